"""The main window's live stream: connect, pause, stop, ingest rate, broker health
and the dialog when the stream fails. A mixin of ``MainWindow``, so the window keeps
its names (``window.connect_stream``, ``window.failure_box``) for callers and tests."""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtWidgets import QMessageBox

from alertview.core.avro.detail import Detail
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.ingest import BrokerStatus
from alertview.gui.worker import StreamWorker


class StreamControl:
    """Stream methods of ``MainWindow``; they use its model, table, status widgets,
    actions, ``errors``, ``_append`` and ``_update_status``."""

    def connect_stream(self, settings: ConsumerSettings) -> StreamWorker:
        """Start reading ``settings``' topics in a worker thread."""
        self.stop_stream()
        # the table's fields first: a Rubin visit lands in seconds; history when idle
        settings = dataclasses.replace(settings, detail=Detail.TABLE)
        worker = StreamWorker(settings, self.store, self.cache)
        worker.history_completed.connect(self.model.update_counts)
        worker.batches_stored.connect(self._batches_stored)
        worker.state_changed.connect(self.stream_state.setText)
        worker.failed.connect(self._stream_failed)
        worker.lag_changed.connect(lambda lag: setattr(self, "lag", lag))
        worker.health_changed.connect(self._health_changed)
        self.worker = worker
        self.pause_action.setEnabled(True)
        self.stop_action.setEnabled(True)
        topics = ", ".join(settings.topics)
        self.setWindowTitle(f"AlertView — {topics} @ {settings.kafka.bootstrap}")
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
            self._health_changed(BrokerStatus())  # no stream, no outage to show
        self.pause_action.setEnabled(False)
        self.stop_action.setEnabled(False)

    def _pause_toggled(self, paused: bool) -> None:
        if self.worker is not None:
            (self.worker.pause if paused else self.worker.resume)()

    def _batches_stored(self, rows: list[tuple], messages: int, errors: int) -> None:
        now = time.monotonic()
        self.received += messages
        self._rate_window = [(t, n) for t, n in self._rate_window if now - t < 5.0]
        self._rate_window.append((now, messages))
        self._append(rows)
        self._update_status()
        if self.follow_action.isChecked() and self.model.rowCount():
            self.table.scrollToBottom()

    @property
    def rate(self) -> float:
        if len(self._rate_window) < 2:
            return 0.0
        span = self._rate_window[-1][0] - self._rate_window[0][0]
        return sum(n for _, n in self._rate_window[1:]) / span if span > 0 else 0.0

    def _health_changed(self, status: BrokerStatus) -> None:
        """The outage stays in sight until the broker answers (the stream resumes by itself)."""
        self.broker_status = status
        self._update_status()

    def _stream_failed(self, message: str) -> None:
        """The stream ended (a refused password or certificate, a broker not found):
        said in a dialog the user cannot miss, kept in the errors panel."""
        self.errors.append(message)
        self.stream_state.setText(message)
        self._update_status()
        if getattr(self, "failure_box", None) is not None:  # one dialog, the latest cause
            self.failure_box.close()
        self.failure_box = QMessageBox(
            QMessageBox.Icon.Warning, "The stream stopped", message, parent=self
        )
        self.failure_box.setModal(False)  # the table stays usable behind it
        self.failure_box.show()
