"""The Kafka consumer's thread: create, poll, store, commit and close it there.

Batches reach the GUI as one signal at most every ~100 ms, carrying the new
table rows as the store wrote them, so the GUI thread never waits on the
network, on decoding or on the store.
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
#: Seconds between two fsyncs of the stored packets; offsets are committed after each.
SYNC_EVERY = 0.5
#: Seconds of history decoding per idle poll (short, so a new visit is not kept waiting).
HISTORY_BUDGET = 0.1


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
    def _sync_and_commit(self, consumer: AlertConsumer, batches: list) -> None:
        """Packets to disk first, then their offsets to Kafka (at least once)."""
        if not batches:
            return
        self.store.sync()
        for batch in batches:
            consumer.commit(batch)
        batches.clear()

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
        stored: list[tuple] = []
        messages = errors = 0
        last_emit = last_sync = time.monotonic()
        unsynced: list = []  # batches stored but not yet forced to disk
        try:
            while not self._stop:
                batch = consumer.poll()
                for warning in consumer.take_warnings():
                    self.state_changed.emit(warning)
                if batch.messages:
                    stored += self.store.add_rows(batch.alerts, sync=False)
                    self.store.add_errors(batch.errors)
                    unsynced.append(batch)
                    messages += batch.messages
                    errors += len(batch.errors)
                if unsynced and (not batch.messages or time.monotonic() - last_sync >= SYNC_EVERY):
                    self._sync_and_commit(consumer, unsynced)
                    last_sync = time.monotonic()
                elif not batch.messages and not self._paused:  # idle: the skipped history
                    completed = self.store.complete_history(self.cache, HISTORY_BUDGET)
                    if completed:
                        self.history_completed.emit(completed)
                now = time.monotonic()
                if (stored or messages or errors) and now - last_emit >= EMIT_EVERY:
                    self.lag_changed.emit(consumer.lag)
                    self.batches_stored.emit(stored, messages, errors)
                    stored, messages, errors = [], 0, 0
                    last_emit = now
            self._sync_and_commit(consumer, unsynced)
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
