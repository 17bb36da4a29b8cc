"""One ingest path: poll → decode → store → sync on an interval → commit.

The viewer's stream process (``ingest``) and ``alertview consume`` both read
a stream through this, so both keep the same promise: a Kafka offset is
committed only once everything before it is on disk (the store synced) and
has been through the caller's sink (consume's stdout and ``--out`` files).

The consumer's thread polls and decodes (as far as ``ConsumerSettings.detail``
says); a writer thread stores each batch (``AlertStore.add_rows(sync=False)``)
and hands it to the sink while the next one is fetched and decoded, then
syncs every ``SYNC_EVERY`` seconds (or when it has nothing else to do) and
returns the synced batches, whose offsets the consumer's thread commits.

When the store refuses a batch because its disk is nearly full
(``DiskFull``), nothing more is stored and no offset of that batch or a
later one is committed: the consumer reads those partitions again from the
refused batches' first offsets and fetches nothing for ``RETRY_EVERY``
seconds, then tries again (``StorageStopped`` / ``StorageResumed`` say so).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alertview.core.session.store_errors import DiskFull, StoreError
from alertview.core.stream.messages import StorageResumed, StorageStopped, StreamNews

if TYPE_CHECKING:
    from alertview.core.session.store import AlertStore
    from alertview.core.stream.consumer import AlertConsumer, Batch

#: Seconds between two fsyncs of the stored packets; offsets are committed after each.
SYNC_EVERY = 0.5
#: Seconds between two tries to store again once the disk was found full.
RETRY_EVERY = 5.0
#: Seconds the writer waits for a batch before it looks at the clock again.
TICK = 0.1

log = logging.getLogger(__name__)

#: What the writer gives each stored batch to, with the batch's new table rows.
Sink = Callable[["Batch", list[tuple]], None]


def tune_for_streaming() -> None:
    """Settings of the whole process for a stream's batches (the viewer's stream process
    and ``consume`` call it once).

    Each batch is ~30-100 MB of message bytes; by default glibc gives the heap
    back after every batch and the kernel zeroes fresh pages for the next one
    (measured: ~8 % of a core in page faults at 4,000 ZTF alerts/s): glibc is
    asked to keep freed memory (other C libraries: nothing to do). An alert
    makes ~10 container objects, all freed by reference counting: the cyclic
    garbage collector runs rarely.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_TRIM_THRESHOLD, 512 << 20)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest
    except (OSError, AttributeError):
        pass
    gc.set_threshold(100_000, 50, 1000)


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the store's disk is (nearly) full: the store's own check
    (``DiskFull``), or the file system's ENOSPC/EDQUOT met while writing."""
    if isinstance(exc, DiskFull):
        return True
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if not isinstance(exc, (OSError, StoreError)):
            return False
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


@dataclass
class _Barrier:
    """Put in the writer's inbox: set once every batch before it was stored or refused."""

    passed: threading.Event = field(default_factory=threading.Event)


_END = object()  # the end of the stream, in the writer's inbox


class _Writer(threading.Thread):
    """Stores batches while the next ones are fetched and decoded.

    Writing a packet is mostly kernel time (the GIL is released), so it runs
    beside the decoder.
    """

    def __init__(
        self,
        store: AlertStore | None,
        sink: Sink | None,
        tick: Callable[[bool], None] | None,
        notify: Callable[[StreamNews], None],
        sync_every: float,
    ) -> None:
        super().__init__(name="alertview-store", daemon=True)
        self.store = store
        self.sink = sink
        self.tick = tick
        self.notify = notify
        self.sync_every = sync_every
        # two batches in hand are enough to overlap decoding and writing; each is up to
        # 30-100 MB, and memory touched for the first time costs page faults
        self.inbox: queue.Queue[object] = queue.Queue(maxsize=2)
        self.synced: queue.Queue[Batch] = queue.Queue()
        self.failure: BaseException | None = None
        #: Set when the store refused a batch; every batch after it is refused too,
        #: until the consumer's thread clears it (``Pipeline._release``).
        self.full: BaseException | None = None
        self.refused: list[Batch] = []
        #: Batches stored or refused so far (each went through the sink or was refused).
        self.processed = 0
        self._stopped_said = False

    def run(self) -> None:
        unsynced: list[Batch] = []
        last_sync = time.monotonic()
        finished = False
        try:
            while not finished:
                item: object = None
                with contextlib.suppress(queue.Empty):
                    item = self.inbox.get(timeout=TICK)
                if item is _END:
                    finished = True
                elif isinstance(item, _Barrier):
                    self._sync(unsynced)
                    unsynced = []
                    item.passed.set()
                elif item is not None:
                    self._take(item, unsynced)  # type: ignore[arg-type]
                now = time.monotonic()
                if unsynced and (
                    finished or self.inbox.empty() or now - last_sync >= self.sync_every
                ):
                    self._sync(unsynced)
                    unsynced = []
                    last_sync = now
                if self.tick is not None:
                    self.tick(finished)
        except BaseException as exc:  # reported by the consumer's thread
            self.failure = exc

    def _take(self, batch: Batch, unsynced: list[Batch]) -> None:
        if self.full is not None:
            self.refused.append(batch)
            self.processed += 1
            return
        rows: list[tuple] = []
        if self.store is not None:
            try:
                # the errors first: a batch refused after its rows were stored would
                # reach the viewer never (read again, its rows are duplicates); one
                # refused after its errors only stores those again when read again
                self.store.add_errors(batch.errors)
                rows = self.store.add_rows(batch.alerts, sync=False)
            except Exception as exc:
                if not disk_full(exc):
                    raise
                self.full = exc
                self.refused.append(batch)
                self.processed += 1
                if not self._stopped_said:
                    self._stopped_said = True
                    log.info("storage stopped: %s", exc)
                    self.notify(StorageStopped(_reason(exc)))
                return
            if self._stopped_said:
                self._stopped_said = False
                log.info("storage resumed")
                self.notify(StorageResumed())
        if self.sink is not None:
            self.sink(batch, rows)
        batch.alerts = []  # stored: only the offsets wait for the sync
        unsynced.append(batch)
        self.processed += 1

    def _sync(self, batches: list[Batch]) -> None:
        """Packets on disk first, then their offsets may go to Kafka."""
        if not batches:
            return
        if self.store is not None:
            self.store.sync()
        for done in batches:
            self.synced.put(done)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DiskFull):
        return str(exc)
    return f"the session's disk is full ({exc}): storing stopped, offsets held"


class Pipeline:
    """A consumer and a store read and written as one: use it from the consumer's thread.

    ``poll`` gives the next batch (decoded), ``put`` hands it to the writer
    (the caller may cut it first, as ``consume --max`` does), and the synced
    batches' offsets are committed at each ``poll`` and at ``finish``. With
    ``commit=False`` (a temporary session) no offset is ever committed.
    With ``stop_when_full`` the pipeline does not retry after the store
    refused a batch: ``storage_stopped`` is set and ``poll`` gives nothing more.
    """

    def __init__(
        self,
        consumer: AlertConsumer,
        store: AlertStore | None,
        *,
        commit: bool = True,
        sink: Sink | None = None,
        tick: Callable[[bool], None] | None = None,
        notify: Callable[[StreamNews], None] | None = None,
        sync_every: float = SYNC_EVERY,
        retry_every: float = RETRY_EVERY,
        stop_when_full: bool = False,
    ) -> None:
        self.consumer = consumer
        self.commit = commit
        self.retry_every = retry_every
        self.stop_when_full = stop_when_full
        self._writer = _Writer(store, sink, tick, notify or (lambda news: None), sync_every)
        #: Batches handed to the writer.
        self.put_count = 0
        #: Why storing stopped (the store's DiskFull), while it is stopped.
        self.storage_stopped: BaseException | None = None
        self._retry_at = 0.0
        #: Where each partition is read again from, while storing is stopped.
        self._rewound: dict[tuple[str, int], int] = {}

    def start(self) -> Pipeline:
        self._writer.start()
        return self

    # -- the consumer's thread ----------------------------------------------------------------
    def poll(self) -> Batch:
        """The next batch (possibly empty); commits what was synced meanwhile."""
        from alertview.core.stream.consumer import Batch

        self._raise_failure()
        self._watch_storage()
        if self.storage_stopped is not None and self.stop_when_full:
            return Batch()
        batch = self.consumer.poll()
        self.commit_synced()
        return batch

    def put(self, batch: Batch) -> None:
        """Hand a batch to the writer (a batch without messages is dropped)."""
        if not batch.messages:
            return
        if self.storage_stopped is not None:  # fetched before the hold: read it again later
            # (never past where a refused batch of the same partition begins)
            offsets = {
                key: min(offset, self._rewound.get(key, offset))
                for key, offset in batch.first_offsets.items()
            }
            self._rewound.update(offsets)
            self.consumer.rewind(offsets)
            return
        self._put(batch)
        self.put_count += 1

    def _put(self, item: object) -> None:
        """Into the writer's inbox; the writer's failure if it died meanwhile (never
        waits for a dead writer for ever)."""
        while True:
            try:
                self._writer.inbox.put(item, timeout=1)
                return
            except queue.Full:
                self._raise_failure()
                if not self._writer.is_alive():
                    raise RuntimeError("the pipeline's writer has ended") from None

    @property
    def refused(self) -> BaseException | None:
        """Why the store refused a batch (the one holding, or one met since), if it did."""
        return self.storage_stopped or self._writer.full

    @property
    def settled(self) -> bool:
        """Every batch handed over has been stored (and given to the sink) or refused."""
        return self._writer.processed == self.put_count

    def commit_synced(self) -> None:
        """Commit the offsets of the batches synced so far."""
        while True:
            try:
                batch = self._writer.synced.get_nowait()
            except queue.Empty:
                return
            if self.commit:
                self.consumer.commit(batch)

    def finish(self) -> str | None:
        """Store what was handed over, sync, commit and wait for the broker's answer;
        returns why the last offsets could not be committed, or None."""
        self._put(_END)
        self._writer.join()
        self._raise_failure()
        self.commit_synced()
        if not self.commit:
            return None
        return self.consumer.commit_sync()

    def abandon(self, timeout: float = 10) -> None:
        """Stop the writer after a failure (nothing more is committed)."""
        if self._writer.is_alive():
            try:
                self._writer.inbox.put(_END, timeout=timeout)
            except queue.Full:
                return
            self._writer.join(timeout)

    def _raise_failure(self) -> None:
        if self._writer.failure is not None:
            raise self._writer.failure

    # -- a full disk --------------------------------------------------------------------------
    def _watch_storage(self) -> None:
        writer = self._writer
        if self.storage_stopped is None:
            if writer.full is None:
                return
            self._hold(writer.full)
        elif not self.stop_when_full and time.monotonic() >= self._retry_at:
            self._release()

    def _hold(self, reason: BaseException) -> None:
        """The store refused a batch: read every refused batch again later, fetch
        nothing meanwhile, commit only what was stored before it."""
        barrier = _Barrier()
        self._put(barrier)  # every batch handed over is stored or refused past the barrier
        while not barrier.passed.wait(1):
            self._raise_failure()
        refused, self._writer.refused = self._writer.refused, []
        first: dict[tuple[str, int], int] = {}
        for batch in refused:
            for key, offset in batch.first_offsets.items():
                first[key] = min(first.get(key, offset), offset)
        self.consumer.rewind(first)
        self._rewound = first
        self.consumer.hold(True)
        self.commit_synced()  # what was stored before the refusal
        self.storage_stopped = reason
        self._retry_at = time.monotonic() + self.retry_every

    def _release(self) -> None:
        """Try again: the next batch goes to the store (and is refused again if the
        disk is still full)."""
        self._writer.full = None  # (the writer is idle: the barrier passed, nothing put)
        self.storage_stopped = None
        self._rewound = {}
        self.consumer.hold(False)
