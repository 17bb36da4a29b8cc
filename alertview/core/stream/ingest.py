"""A stream read in a process of its own: consume, decode, store, commit.

Decoding a busy stream keeps one core at 100 %. In a thread of the viewer's
process it would hold the viewer's GIL most of the time, and every Qt call
from the GUI thread would wait for it (measured: a 10 ms timer ~90 ms late at
the 99th percentile). In its own process it has its own interpreter and GIL;
the viewer only receives the new table rows over a pipe, a few times a second.

The child reads through the one ingest path ``alertview consume`` uses too
(``pipeline.Pipeline``): it writes to the same session store (SQLite in WAL
mode allows a writer per process; each process appends to segment files of
its own) and commits Kafka offsets only after the packets are on disk.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alertview.core.child_process import ChildProcess
from alertview.core.logs import configure_stream_child
from alertview.core.stream.messages import (
    BrokerStatus,
    Command,
    Failed,
    HealthChanged,
    HistoryCompleted,
    LagChanged,
    RowsStored,
    StateChanged,
    StreamNews,
)
from alertview.core.stream.pipeline import tune_for_streaming
from alertview.core.terminal_signals import ignore_terminal_signals

if TYPE_CHECKING:
    from alertview.core.stream.consumer import AlertConsumer, Batch, ConsumerSettings

#: Seconds of history decoding per idle poll (short, so a new visit is not kept waiting).
HISTORY_BUDGET = 0.1
#: Seconds between two row messages to the viewer.
SEND_EVERY = 0.1
#: The stream's process yields the CPU to the viewer (and the broker) when both want it.
NICENESS = 5
#: Tracebacks of internal errors written to the log per run (a bug repeats alike).
TRACEBACKS_LOGGED = 5

log = logging.getLogger(__name__)


def _broker_status(consumer: AlertConsumer) -> BrokerStatus:
    """The consumer's BrokerHealth as a picklable value."""
    health = consumer.health
    since = health.down_since  # monotonic: turned into the wall clock's time
    if since is None:
        return BrokerStatus()
    wall = time.time() - (time.monotonic() - since)
    return BrokerStatus(wall, health.reason(since=since - 1))


@dataclass(frozen=True)
class SchemaSource:
    """How the child finds schemas: the parent's SchemaCache settings (picklable)."""

    registry_url: str | None = None
    #: may carry the registry's Basic-auth credentials: never in a repr
    registry_config: tuple[tuple[str, Any], ...] = field(default=(), repr=False)
    use_lsst_package: bool = True


class _RowsToViewer:
    """The pipeline's sink in the viewer's stream process: stored rows go to the
    viewer every ``SEND_EVERY`` seconds (from the pipeline's writer thread)."""

    def __init__(self, send: Callable[[StreamNews], None]) -> None:
        self.send = send
        self._lock = threading.Lock()
        self.rows: list[tuple] = []
        self.messages = self.errors = 0
        #: Batches taken but not sent yet: history is completed only once this is 0 and
        #: every batch was taken (the viewer must hold a row before its counts).
        self.pending = 0
        self._last_send = time.monotonic()

    def take(self, batch: Batch, rows: list[tuple]) -> None:
        with self._lock:
            self.rows += rows
            self.messages += batch.messages
            self.errors += len(batch.errors)
            self.pending += 1

    def tick(self, finished: bool) -> None:
        now = time.monotonic()
        if not self.pending or (not finished and now - self._last_send < SEND_EVERY):
            return
        with self._lock:
            news = RowsStored(self.rows, self.messages, self.errors)
            self.rows, self.messages, self.errors = [], 0, 0
            # sent before ``pending`` says so: the consumer's thread completes history
            # only when it is 0, and its counts must not overtake these rows on the pipe
            self.send(news)
            self.pending = 0
        self._last_send = now


def _child(
    settings: ConsumerSettings, folder: str, schemas: SchemaSource, conn: Connection
) -> None:
    """The child's main loop; every outcome goes to ``conn`` as a ``StreamNews``."""
    ignore_terminal_signals()  # the viewer stops this process through ``conn``
    # the child's log (internal errors with their tracebacks) goes to the viewer's stderr,
    # and to the stream's log file when the viewer keeps one
    configure_stream_child()
    tune_for_streaming()
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)  # when the cores are busy, the viewer's clicks come first
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import HistoryCompletion
    from alertview.core.session.store import AlertStore
    from alertview.core.stream.config import StreamError
    from alertview.core.stream.consumer import AlertConsumer
    from alertview.core.stream.pipeline import Pipeline
    from alertview.core.surveys import SURVEY_FIELDS

    send_lock = threading.Lock()

    def send(news: StreamNews) -> None:
        try:
            with send_lock:
                conn.send(news)
        except (BrokenPipeError, OSError):
            raise SystemExit(0) from None  # the viewer has gone

    cache = SchemaCache(
        schemas.registry_url,
        dict(schemas.registry_config),
        schemas.use_lsst_package,
        fields=SURVEY_FIELDS,
    )
    store = AlertStore(folder)
    history = HistoryCompletion(store, cache)
    consumer = AlertConsumer(settings, cache)
    send(StateChanged(f"connecting to {settings.kafka.bootstrap}"))
    try:
        consumer.open()
    except StreamError as exc:
        send(StateChanged("not connected"))
        send(Failed(str(exc)))
        store.close()
        return
    rows = _RowsToViewer(send)
    pipeline = Pipeline(
        consumer,
        store,
        commit=getattr(settings, "commit", True),
        sink=rows.take,
        tick=rows.tick,
        notify=send,
    ).start()
    paused = stop = False
    send(StateChanged("receiving"))
    last_lag = time.monotonic()
    tracebacks = 0
    health = BrokerStatus()
    try:
        while not stop:
            while conn.poll():  # commands from the viewer
                try:
                    command = Command(conn.recv())
                except EOFError:
                    command = Command.STOP
                if command is Command.STOP:
                    stop = True
                else:
                    paused = command is Command.PAUSE
                    (consumer.pause if paused else consumer.resume)()
                    send(StateChanged("paused" if paused else "receiving"))
            if stop:
                break
            batch = pipeline.poll()
            for warning in consumer.take_warnings():
                send(StateChanged(warning))
            status = _broker_status(consumer)
            if status.down != health.down:  # once per change: news, not a heartbeat
                health = status
                send(HealthChanged(status))
            for error in batch.errors:  # each is stored; a bug's traceback goes to the log
                if error.detail is not None and tracebacks < TRACEBACKS_LOGGED:
                    tracebacks += 1
                    log.warning("%s\n%s", error, error.detail.rstrip())
            pipeline.put(batch)
            idle = not batch.messages and not paused and pipeline.storage_stopped is None
            if idle and pipeline.settled and rows.pending == 0:
                completed = history.run(HISTORY_BUDGET)  # idle: the history
                if completed:
                    send(HistoryCompleted(completed))
            now = time.monotonic()
            if now - last_lag >= 1.0:
                send(LagChanged(consumer.lag))
                last_lag = now
        unsent = pipeline.finish()
        if unsent is not None:
            log.warning("the last offsets were not committed (%s): read again next time", unsent)
    except StreamError as exc:
        send(Failed(str(exc)))
    except Exception as exc:  # never die silently: say what happened
        send(Failed(f"internal error: {type(exc).__name__}: {exc}"))
        log.exception("the stream's process failed")
    finally:
        pipeline.abandon()
        consumer.close(timeout=5)  # (a commit in flight to a broker gone waits for ever)
        store.close()
        send(StateChanged("stopped"))


class IngestProcess(ChildProcess):
    """Starts the child, passes commands to it and hands its messages back."""

    def __init__(
        self, settings: ConsumerSettings, folder: str | Path, schemas: SchemaSource
    ) -> None:
        self._conn, child_conn = multiprocessing.get_context("spawn").Pipe(duplex=True)
        super().__init__(_child, (settings, str(folder), schemas, child_conn), "alertview-ingest")
        child_conn.close()
        self.finished = False

    def command(self, command: Command) -> None:
        """Pause, resume or stop the child (ignored once it has ended)."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self._conn.send(command)

    def receive(self, timeout: float) -> Iterator[StreamNews]:
        """Messages that arrived within ``timeout`` seconds (all that are waiting)."""
        try:
            if not self._conn.poll(timeout):
                return
            while self._conn.poll():
                yield self._conn.recv()
        except (EOFError, OSError):
            self.finished = True
            self._process.join(2)
            if self._process.exitcode not in (0, None):
                code = self._process.exitcode
                yield Failed(f"the stream's process ended (exit code {code})")

    def join(self, timeout: float = 15) -> None:
        """Wait for the child to finish; stop it the hard way if it does not."""
        self.end(timeout)
        self._conn.close()
