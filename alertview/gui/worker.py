"""The Kafka consumer's thread: create, poll, store, commit and close it there.

Batches reach the GUI as one signal at most every ~100 ms, carrying only
counts: the window reads the new rows from the store, so the GUI thread never
waits on the network or on decoding.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QThread, Signal

from alertview.core.schemas import SchemaCache
from alertview.core.store import AlertStore
from alertview.core.stream.config import StreamError
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings

log = logging.getLogger(__name__)

#: Seconds between two signals to the GUI.
EMIT_EVERY = 0.1
#: Seconds of history decoding per idle poll (short, so a new visit is not kept waiting).
HISTORY_BUDGET = 0.1


class StreamWorker(QThread):
    """Reads a stream into a store until stopped."""

    #: (alerts stored since the last signal, messages, errors) — the GUI reads the rows.
    batches_stored = Signal(int, int, int)
    #: A one-line state for the status bar ("connecting", "receiving", "paused", ...).
    state_changed = Signal(str)
    #: The stream cannot go on (wrong host, refused group, unknown topic).
    failed = Signal(str)
    #: Consumer lag (messages still to read), from librdkafka's statistics.
    lag_changed = Signal(object)
    #: [(row, n_detections, n_upper_limits, n_forced)] of rows whose history was decoded.
    history_completed = Signal(object)

    def __init__(self, settings: ConsumerSettings, store: AlertStore, cache: SchemaCache) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.cache = cache
        self._consumer: AlertConsumer | None = None
        self._stop = False
        self._paused = False

    # -- control, from the GUI thread ---------------------------------------------------------
    def stop(self) -> None:
        self._stop = True
        if self._consumer is not None:
            self._consumer.stop()

    def pause(self) -> None:
        self._paused = True
        if self._consumer is not None:
            self._consumer.pause()
        self.state_changed.emit("paused")

    def resume(self) -> None:
        self._paused = False
        if self._consumer is not None:
            self._consumer.resume()
        self.state_changed.emit("receiving")

    # -- the thread ------------------------------------------------------------------------------
    def run(self) -> None:
        self.state_changed.emit(f"connecting to {self.settings.kafka.bootstrap}")
        consumer = AlertConsumer(self.settings, self.cache)
        try:
            consumer.open()
        except StreamError as exc:
            self.state_changed.emit("not connected")
            self.failed.emit(str(exc))
            return
        self._consumer = consumer
        if self._paused:
            consumer.pause()
        self.state_changed.emit("paused" if self._paused else "receiving")
        stored = messages = errors = 0
        last_emit = time.monotonic()
        try:
            while not self._stop:
                batch = consumer.poll()
                for warning in consumer.take_warnings():
                    self.state_changed.emit(warning)
                if batch.messages:
                    stored += self.store.add(batch.alerts)
                    self.store.add_errors(batch.errors)
                    consumer.commit(batch)
                    messages += batch.messages
                    errors += len(batch.errors)
                elif not self._paused:  # idle: decode the history the table skipped
                    completed = self.store.complete_history(self.cache, HISTORY_BUDGET)
                    if completed:
                        self.history_completed.emit(completed)
                now = time.monotonic()
                if (stored or messages or errors) and now - last_emit >= EMIT_EVERY:
                    self.lag_changed.emit(consumer.lag)
                    self.batches_stored.emit(stored, messages, errors)
                    stored = messages = errors = 0
                    last_emit = now
            consumer.commit_sync()
        except StreamError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # never die silently in a thread: say what happened
            log.exception("stream worker failed")
            self.failed.emit(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            if stored or messages or errors:
                self.batches_stored.emit(stored, messages, errors)
            self._consumer = None
            consumer.close()
            self.state_changed.emit("stopped")
