"""Files, folders and archives read into a session: the reader behind the viewer's
File → Open, Qt-free so that it runs in a thread or in a process of its own.

It reads the table's fields only (``Detail.TABLE``, as the live stream
decodes), stores them in batches and reports the new rows a few times a
second; once every row is in, it completes the light-curve counts
(``HistoryCompletion``) as the stream does when idle. What could not be read
is kept in the session's errors (one line each, file and offset), so a
reopened session still shows it. ``gui.file_import`` runs it and shows its
progress; ``controllers.file_import`` decides the words.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import HistoryCompletion, decode_bytes
from alertview.core.errors import AlertViewError, DecodeError
from alertview.core.session.store import AlertStore
from alertview.core.sources import MEMBER_SEPARATOR, Blob, iter_blobs
from alertview.core.terminal_signals import ignore_terminal_signals

log = logging.getLogger(__name__)

#: Alerts stored at a time.
BATCH = 500
#: Seconds between two progress reports (and row inserts) to the GUI thread.
REPORT_EVERY = 0.2
#: A report shows the alerts read since the last once this many wait (an archive's
#: table fills as it is read); fewer wait for the end or a batch: a few files come
#: in one piece, and a watch tells "7 new alerts" once, not "3", then "4".
SHOWN_AT_REPORT = 100
#: Seconds of history decoding between two reports.
HISTORY_BUDGET = 0.2
#: The child's niceness: when the cores are busy, the viewer's clicks come first.
NICENESS = 5


@dataclass(frozen=True)
class ImportProgress:
    """What the reader did since its last report (it crosses a thread boundary)."""

    #: Table rows stored (``ROW_FIELDS`` order), new alerts only.
    rows: list[tuple] = field(default_factory=list)
    #: Alerts read, duplicates of alerts already in the session included.
    alerts: int = 0
    #: Bytes of the inputs read so far (a running total).
    bytes_read: int = 0
    #: Lines not kept in the session's errors (the reader's own failure).
    errors: list[str] = field(default_factory=list)
    #: Inputs (or parts of one) that could not be read, kept in the session's errors.
    stored_errors: int = 0


def stored_error(error: DecodeError) -> SimpleNamespace:
    """A file's decode failure as the store keeps it: the file (or archive member), the
    byte offset in it, the reason (a file has no topic or partition)."""
    reason = f"warning: {error.reason}" if error.warning else error.reason
    return SimpleNamespace(
        topic=None, partition=None, offset=error.offset, source=error.source, reason=reason
    )


def input_sizes(paths: Sequence[str | os.PathLike]) -> dict[str, int]:
    """Bytes on disk of every file under ``paths``, by the name ``iter_blobs`` gives it."""
    sizes: dict[str, int] = {}
    for path in map(Path, paths):
        try:
            if path.is_dir():
                for root, dirs, files in os.walk(path):
                    dirs[:] = [d for d in dirs if not d.startswith(".")]
                    for name in files:
                        if not name.startswith("."):
                            file = Path(root) / name
                            sizes[str(file)] = file.stat().st_size
            else:
                sizes[str(path)] = path.stat().st_size
        except OSError:
            continue  # the reader says why, in its own words
    return sizes


def _read_position(path: str) -> int | None:
    """How far this process has read its open file ``path``: its descriptor's offset
    (Linux's /proc; elsewhere None). Archives are read through a decompressor, whose
    output says nothing of how much of the file is behind it."""
    try:
        with os.scandir("/proc/self/fd") as entries:  # closed on the early return too
            for fd in entries:
                if os.readlink(fd.path) == path:
                    with open(f"/proc/self/fdinfo/{fd.name}") as info:
                        return int(info.readline().split()[1])  # "pos:\t<offset>"
    except (OSError, ValueError, IndexError):
        pass
    return None


class _BytesRead:
    """Bytes of the inputs read so far: whole files once done; within one, the
    offset its descriptor has reached (where the system tells it), else the bytes of
    its members so far (close for ZTF's archives, whose stamps are compressed
    already); never more than its size."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.done = 0
        self.file: str | None = None
        self.within = 0

    def file_of(self, source: str) -> str:
        head = source
        while head not in self.sizes and MEMBER_SEPARATOR in head:
            head = head.rsplit(MEMBER_SEPARATOR, 1)[0]
        return head

    def add(self, blob: Blob | DecodeError) -> None:
        source = blob.source or ""
        file = self.file_of(source)
        if file != self.file:
            self.finish()
            self.file = file
        if isinstance(blob, Blob):
            self.within += len(blob.data)

    def finish(self) -> None:
        if self.file is not None:
            self.done += self.sizes.get(self.file, self.within)
        self.file, self.within = None, 0

    @property
    def total(self) -> int:
        if self.file is None:
            return self.done
        size = self.sizes.get(self.file, self.within)
        position = _read_position(os.path.realpath(self.file))
        return self.done + min(size, self.within if position is None else position)


@dataclass(frozen=True)
class Sized:
    """The inputs' size on disk in bytes (None: unknown)."""

    total: int | None


@dataclass(frozen=True)
class HistoryCounted:
    """(row, n_detections, n_upper_limits, n_forced, schema) of rows completed."""

    rows: list[tuple]


@dataclass(frozen=True)
class Ended:
    """The reader is done; nothing follows."""

    cancelled: bool


#: What the reader reports, in order (over a pipe when it runs in a child process).
ImportNews = Sized | ImportProgress | HistoryCounted | Ended


class Reader:
    """Reads ``paths`` into ``store``: the table's fields in batches, then the history
    counts. Qt-free, so that it runs in a thread or in a child process alike."""

    def __init__(
        self,
        paths: Sequence[str],
        store: AlertStore,
        cache: SchemaCache,
        send: Callable[[ImportNews], None],
        cancelled: Callable[[], bool],
        sizes: dict[str, int] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.sizes = sizes  # (``input_sizes``, when the caller has them already)
        self.store = store
        self.cache = cache
        self.send = send
        self.cancelled = cancelled

    def run(self) -> None:
        stopped = False
        try:
            self._read()
            stopped = self.cancelled()
            if not stopped:
                self._complete_history()
                stopped = self.cancelled()
        except AlertViewError as exc:  # the store refused a batch (a nearly full disk)
            self.send(ImportProgress(errors=[f"{' '.join(self.paths)}: {exc}"]))
        except Exception as exc:  # a bug must not end the window: one error line
            log.exception("reading %s failed", self.paths)
            error = DecodeError.internal(exc, " ".join(self.paths))
            self.send(ImportProgress(errors=[str(error)]))
        self.send(Ended(stopped))

    def _items(self, counter: _BytesRead) -> Iterator[object]:
        for blob in iter_blobs(self.paths):
            counter.add(blob)
            if isinstance(blob, DecodeError):
                yield blob
                continue
            try:
                yield from decode_bytes(
                    blob.data, self.cache, origin=Origin(blob.source), detail=Detail.TABLE
                )
            except DecodeError as exc:
                yield exc.located(blob.source)
            if self.cancelled():
                return
        counter.finish()

    def _read(self) -> None:
        sizes = self.sizes if self.sizes is not None else input_sizes(self.paths)
        self.send(Sized(sum(sizes.values()) if sizes else None))
        counter = _BytesRead(sizes)
        batch: list = []
        rows: list[tuple] = []
        errors: list[DecodeError] = []
        alerts = 0
        report_at = time.monotonic() + REPORT_EVERY
        try:
            for item in self._items(counter):
                if isinstance(item, DecodeError):
                    errors.append(item)
                else:
                    batch.append(item)
                    alerts += 1
                due = time.monotonic() >= report_at
                if len(batch) >= BATCH or (due and len(batch) >= SHOWN_AT_REPORT):
                    rows += self.store.add_rows(batch, sync=False)
                    batch = []
                if due:
                    self.store.add_errors(map(stored_error, errors))  # kept with the session
                    self.send(ImportProgress(rows, alerts, counter.total, [], len(errors)))
                    rows, errors, alerts = [], [], 0
                    report_at = time.monotonic() + REPORT_EVERY
            self.store.add_errors(map(stored_error, errors))
            rows += self.store.add_rows(batch)  # and everything before it synced
        except AlertViewError:  # refused (a disk nearly full): what was stored is shown
            self.send(ImportProgress(rows, alerts, counter.total))
            raise
        self.send(ImportProgress(rows, alerts, counter.total, [], len(errors)))

    def _complete_history(self) -> None:
        history = HistoryCompletion(self.store, self.cache)
        while not self.cancelled():
            completed = history.run(HISTORY_BUDGET)
            if not completed:
                return
            self.send(HistoryCounted(completed))


def read_in_child(
    paths: list[str], sizes: dict[str, int], folder: str, schemas: tuple, conn: Connection
) -> None:
    """The reader in a process of its own: its decoding never holds the viewer's GIL."""
    ignore_terminal_signals()  # the viewer cancels the import through ``conn``
    logging.basicConfig(level=logging.WARNING, format="alertview import: %(message)s")
    gc.set_threshold(100_000, 50, 1000)  # ~10 objects per alert, freed by refcounts
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)  # when the cores are busy, the viewer's clicks come first
    from alertview.core.surveys import SURVEY_FIELDS

    url, config, use_lsst_package = schemas
    cache = SchemaCache(url, dict(config), use_lsst_package, fields=SURVEY_FIELDS)
    stop = False

    def cancelled() -> bool:
        nonlocal stop
        with contextlib.suppress(EOFError, OSError):
            stop = stop or conn.poll()  # any word from the viewer means stop
        return stop

    def send(news: ImportNews) -> None:
        try:
            conn.send(news)
        except OSError:  # the viewer has gone
            raise SystemExit(0) from None

    store = AlertStore(folder)
    try:
        Reader(paths, store, cache, send, cancelled, sizes).run()
    finally:
        store.close()
