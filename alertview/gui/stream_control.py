"""The main window's live stream in Qt: the worker thread, the connection dialog and
the dialog when the stream fails. ``SessionController`` decides what each event
changes (status, rate, outage, errors); this mixin of ``MainWindow`` holds what
only Qt can, under the window's names (``window.connect_stream``, ``window.worker``,
``window.failure_box``) for callers and tests; and the window title, which names the
session, the stream and its state (live, paused, stopped, offline)."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QInputDialog, QMessageBox

from alertview.core.avro.detail import Detail
from alertview.core.session.folder import Session
from alertview.core.session.meta import StreamMeta
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.messages import BrokerStatus
from alertview.gui.worker import StreamWorker

#: The connection states the title shows.
LIVE, PAUSED, STOPPED, OFFLINE = "live", "paused", "stopped", "offline"
APP_NAME = "AlertView"


def connection_state(text: str, current: str) -> str:
    """The title's state after a status line of the stream (``current`` if the line
    says nothing about the connection: a warning, a full disk)."""
    if text == "receiving":
        return LIVE
    if text in ("paused", "stopped"):
        return text
    if text.startswith("connecting") or text == "not connected":
        return OFFLINE
    return current


def window_title(session: str, stream: str, state: str) -> str:
    """The title, e.g. "night1 — ztf @ kafka:9092 (live) — AlertView": each part once,
    the state on the last, the application's name at the end (Qt appends its display
    name to a title that does not end with it, on X11 and Windows: it was repeated)."""
    parts: list[str] = []
    for part in (session, stream):
        part = part.strip()
        if part and part.casefold() not in {p.casefold() for p in [*parts, APP_NAME]}:
            parts.append(part)
    head = f"{parts.pop()} ({state})" if parts else state
    return " — ".join([*parts, head, APP_NAME])


class StreamControl:
    """Stream methods of ``MainWindow``; they use its ``session``, ``model``, ``store``,
    ``cache`` and ``stream_state``."""

    _connection = OFFLINE
    _broker_down = False
    _title_stream = ""

    def connect_stream(
        self, settings: ConsumerSettings, profile: str | None = None
    ) -> StreamWorker:
        """Start reading ``settings``' topics in a worker thread, into this window's
        session (remembered there, without secrets, for Stream → Resume)."""
        self.stop_stream()
        # the table's fields first: a Rubin visit lands in seconds; history when idle
        settings = dataclasses.replace(settings, detail=Detail.TABLE)
        opened = self.opened
        if opened is not None:
            if opened.is_temporary:
                settings = dataclasses.replace(settings, commit=False)  # nothing is kept
            else:
                opened.remember_stream(
                    StreamMeta(
                        settings.kafka.bootstrap, settings.topics, settings.group_id, profile
                    )
                )
        self._last_settings = settings
        self.group_label.setText(f"group {settings.group_id}")
        self.group_label.setToolTip(
            "the consumer group this session reads with: its committed offsets are where "
            "Stream → Resume goes on from"
            + ("" if settings.commit else " (temporary: none committed)")
        )
        worker = StreamWorker(settings, self.store, self.cache)
        session = self.session
        worker.history_completed.connect(self.model.update_counts)
        worker.batches_stored.connect(session.batches_stored)
        worker.state_changed.connect(self.show_stream_state)
        worker.failed.connect(session.stream_failed)
        worker.lag_changed.connect(session.lag_changed)
        worker.health_changed.connect(session.health_changed)
        worker.health_changed.connect(self._health_changed)
        worker.storage_stopped.connect(session.storage_stopped)
        worker.storage_resumed.connect(session.storage_resumed)
        self.worker = worker
        session.stream_started(settings.topics, settings.kafka.bootstrap)
        worker.start()
        return worker

    def ask_connect(self) -> None:
        """The connection dialog; on Connect, the stream starts in the worker thread."""
        from alertview.gui.connection_dialog import ConnectionDialog

        dialog = ConnectionDialog(self, session=self.opened)
        if dialog.exec() == ConnectionDialog.DialogCode.Accepted:
            url, config = dialog.registry_settings()
            settings, profile = dialog.consumer_settings(), dialog.profile_name()
            window = self._window_for(dialog.session_choice())
            if window is not None:
                if url:
                    window.cache.use_registry(url, config)
                window.connect_stream(settings, profile)
        dialog.deleteLater()

    def _window_for(self, choice: tuple[str, bool]):
        """The window whose session a stream goes into: this one if it is that
        session, else a new window on it (an untitled session left empty goes)."""
        from alertview.gui.session_windows import open_session

        name, keep = choice
        opened = self.opened
        if opened is None:
            return self  # a window on a store its caller owns (tests, benchmarks)
        if keep and not opened.is_temporary and name == opened.name:
            return self
        return open_session(self, (lambda: Session.named(name)) if keep else Session.temporary)

    def resume_stream(self) -> None:
        """Stream → Resume: the session's stream again, from its group's committed
        offsets (what was received before is in the table already)."""
        stream = self.opened.meta.stream if self.opened is not None else None
        if stream is None:
            return
        last = getattr(self, "_last_settings", None)
        if last is not None and last.group_id == stream.group_id:
            self.connect_stream(dataclasses.replace(last, start="committed"), stream.profile)
            return
        from alertview.gui.connection_dialog import ConnectionDialog

        # after a restart the secrets come from the profile's keyring entries
        dialog = ConnectionDialog(self, session=self.opened, resume=stream)
        if dialog.exec() == ConnectionDialog.DialogCode.Accepted:
            url, config = dialog.registry_settings()
            if url:
                self.cache.use_registry(url, config)
            self.connect_stream(dialog.consumer_settings(), dialog.profile_name())
        dialog.deleteLater()

    def ask_keep_packets(self) -> None:
        """Stream → Keep packets…: the session's retention policy."""
        store = self.opened.store if self.opened is not None else None
        if store is None:
            return
        current = store.retention
        text, ok = QInputDialog.getText(
            self,
            "Keep packets",
            "Packets kept in this session (every row stays in the table):\n"
            "  50GB — the newest 50 GB;  7d — those received in the last 7 days;\n"
            "  matching — only alerts that pass the filter in use;  all — every one.\n"
            "Combine them with commas (50GB,7d). Whatever the policy, storing stops\n"
            "(and no offset is committed) while the disk has less than 2 GB free.",
            text="" if current.keeps_all else str(current),
        )
        if ok:
            self.set_keep_packets(text.strip())

    def set_keep_packets(self, text: str) -> bool:
        """Apply a retention policy to the session (``matching`` keeps by the filter in
        use); a bad one is said in the status bar, not applied."""
        from alertview.core.table.filters import FilterError

        opened = self.opened
        if opened is None:
            return False
        keep_filter = self.filter_edit.text().strip() or opened.meta.filter or None
        try:
            opened.store.set_retention(text or "all", keep_filter)
        except (ValueError, FilterError) as exc:
            self.show_message(str(exc))
            return False
        self.show_message(f"keep packets: {opened.store.retention}")
        return True

    def stop_stream(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker.wait()
            self.worker = None
            self._broker_down = False
            self.show_stream_state("stopped")  # (the worker's own word is queued, or lost)
        self.session.stream_stopped()
        self.group_label.setText("")

    # -- the title -------------------------------------------------------------------------
    def show_title(self, text: str) -> None:
        """``text``: the stream ("AlertView — ztf @ kafka:9092", as the controller says
        it), or "" for none."""
        self._title_stream = text.removeprefix(f"{APP_NAME} — ")
        self._update_title()

    def show_stream_state(self, text: str) -> None:
        """The status bar's stream line, and the title's state it implies."""
        self.stream_state.setText(text)
        self._connection = connection_state(text, self._connection)
        self._update_title()

    def _health_changed(self, status: BrokerStatus) -> None:
        self._broker_down = status.down
        self._update_title()

    def connection(self) -> str:
        """What the title says of the stream: live, paused, stopped or offline (the
        broker unreachable, or no stream)."""
        if self._broker_down and self._connection in (LIVE, PAUSED):
            return OFFLINE
        return self._connection

    def _update_title(self) -> None:
        name = self.opened.name if self.opened is not None else ""
        self.setWindowTitle(window_title(name, self._title_stream, self.connection()))

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
