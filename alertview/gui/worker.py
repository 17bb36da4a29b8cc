"""The stream's thread in the viewer: drives the ingest process, relays its news.

Consuming, decoding and storing run in a process of their own
(``core.stream.ingest``), so the GUI thread never competes for the GIL with
a decoder at full speed. This thread waits on the pipe to that process and
turns its messages into signals, at most ~10 a second, carrying the new
table rows as the store wrote them.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QThread, Signal

from alertview.core.avro.schemas import SchemaCache
from alertview.core.session.store import AlertStore
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.ingest import IngestProcess, SchemaSource
from alertview.core.stream.messages import (
    BrokerStatus,
    Command,
    Failed,
    HealthChanged,
    HistoryCompleted,
    LagChanged,
    RowsStored,
    StateChanged,
    StorageResumed,
    StorageStopped,
)

#: Seconds between two row signals to the GUI.
EMIT_EVERY = 0.1


class StreamWorker(QThread):
    """Reads a stream into a store until stopped."""

    #: (rows stored since the last signal, messages, errors).
    batches_stored = Signal(object, int, int)
    #: A one-line state for the status bar ("connecting", "receiving", "paused", ...).
    state_changed = Signal(str)
    #: The stream cannot go on (wrong host, refused group, unknown topic).
    failed = Signal(str)
    #: Consumer lag (messages still to read), from librdkafka's statistics.
    lag_changed = Signal(object)
    #: [(row, n_detections, n_upper_limits, n_forced, schema)] of rows completed later.
    history_completed = Signal(object)
    #: A BrokerStatus each time the broker stops or starts answering again.
    health_changed = Signal(object)
    #: The session's disk is nearly full: nothing more is stored, offsets are held (why).
    storage_stopped = Signal(str)
    #: Storing goes on after ``storage_stopped`` (space was freed).
    storage_resumed = Signal()

    def __init__(self, settings: ConsumerSettings, store: AlertStore, cache: SchemaCache) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.schemas = SchemaSource(
            cache.registry_url,
            tuple(sorted(cache.registry_config.items())),
            cache.use_lsst_package,
        )
        self._process: IngestProcess | None = None
        self._stop = False
        self._paused = False

    # -- control, from the GUI thread ---------------------------------------------------------
    def stop(self) -> None:
        self._stop = True

    def pause(self) -> None:
        self._paused = True
        if self._process is not None:
            self._process.command(Command.PAUSE)

    def resume(self) -> None:
        self._paused = False
        if self._process is not None:
            self._process.command(Command.RESUME)

    # -- the thread ------------------------------------------------------------------------------
    def run(self) -> None:
        process = IngestProcess(self.settings, self.store.folder, self.schemas)
        self._process = process
        if self._paused:
            process.command(Command.PAUSE)
        rows: list[tuple] = []
        messages = errors = 0
        last_emit = time.monotonic()
        stopping = False
        while not process.finished:
            if self._stop and not stopping:
                process.command(Command.STOP)
                stopping = True
            for news in process.receive(0.05):
                match news:
                    case RowsStored():
                        rows += news.rows
                        messages += news.messages
                        errors += news.errors
                    case StateChanged():
                        self.state_changed.emit(news.text)
                    case Failed():
                        self.failed.emit(news.reason)
                    case LagChanged():
                        self.lag_changed.emit(news.lag)
                    case HistoryCompleted():
                        if rows or messages or errors:  # the rows first, then their counts
                            self.batches_stored.emit(rows, messages, errors)
                            rows, messages, errors = [], 0, 0
                            last_emit = time.monotonic()
                        self.history_completed.emit(news.rows)
                    case HealthChanged():
                        self.health_changed.emit(news.status)
                    case StorageStopped():
                        self.storage_stopped.emit(news.reason)
                    case StorageResumed():
                        self.storage_resumed.emit()
            now = time.monotonic()
            if (rows or messages or errors) and now - last_emit >= EMIT_EVERY:
                self.batches_stored.emit(rows, messages, errors)
                rows, messages, errors = [], 0, 0
                last_emit = now
        if rows or messages or errors:
            self.batches_stored.emit(rows, messages, errors)
        process.join()
        self._process = None
        self.health_changed.emit(BrokerStatus())  # a stopped stream has no outage to show
