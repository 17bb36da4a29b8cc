"""The main window's live stream in Qt: the worker thread, the connection dialog and
the dialog when the stream fails. ``SessionController`` decides what each event
changes (status, rate, outage, errors); this mixin of ``MainWindow`` holds what
only Qt can, under the window's names (``window.connect_stream``, ``window.worker``,
``window.failure_box``) for callers and tests."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QMessageBox

from alertview.core.avro.detail import Detail
from alertview.core.stream.consumer import ConsumerSettings
from alertview.gui.worker import StreamWorker


class StreamControl:
    """Stream methods of ``MainWindow``; they use its ``session``, ``model``, ``store``,
    ``cache`` and ``stream_state``."""

    def connect_stream(self, settings: ConsumerSettings) -> StreamWorker:
        """Start reading ``settings``' topics in a worker thread."""
        self.stop_stream()
        # the table's fields first: a Rubin visit lands in seconds; history when idle
        settings = dataclasses.replace(settings, detail=Detail.TABLE)
        worker = StreamWorker(settings, self.store, self.cache)
        session = self.session
        worker.history_completed.connect(self.model.update_counts)
        worker.batches_stored.connect(session.batches_stored)
        worker.state_changed.connect(self.show_stream_state)
        worker.failed.connect(session.stream_failed)
        worker.lag_changed.connect(session.lag_changed)
        worker.health_changed.connect(session.health_changed)
        self.worker = worker
        session.stream_started(settings.topics, settings.kafka.bootstrap)
        worker.start()
        return worker

    def ask_connect(self) -> None:
        """The connection dialog; on Connect, the stream starts in the worker thread."""
        from alertview.gui.connection_dialog import ConnectionDialog

        dialog = ConnectionDialog(self)
        if dialog.exec() == ConnectionDialog.DialogCode.Accepted:
            url, config = dialog.registry_settings()
            if url:
                self.cache.use_registry(url, config)
            self.connect_stream(dialog.consumer_settings())
        dialog.deleteLater()

    def stop_stream(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker.wait()
            self.worker = None
        self.session.stream_stopped()

    def _pause_toggled(self, paused: bool) -> None:
        if self.worker is not None:
            (self.worker.pause if paused else self.worker.resume)()

    def show_failure(self, message: str) -> None:
        """One non-modal dialog, the latest cause: the table stays usable behind it."""
        if self.failure_box is not None:
            self.failure_box.close()
        self.failure_box = QMessageBox(
            QMessageBox.Icon.Warning, "The stream stopped", message, parent=self
        )
        self.failure_box.setModal(False)
        self.failure_box.show()
