"""The main window: composition of the filter bar, alert table and inspection view.

``SessionController`` (``alertview.controllers.session``) decides; this window
holds the widgets, the threads and the dialogs, and implements its ``SessionView``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.session import SessionController
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_stored
from alertview.core.session.folder import Session
from alertview.core.session.store import AlertStore
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.wording import counted
from alertview.gui.after_paint import after_paint
from alertview.gui.alert_loader import AlertLoader
from alertview.gui.alert_table import AlertTable
from alertview.gui.errors_dialog import show_errors_dialog
from alertview.gui.export_action import ask_and_export
from alertview.gui.file_import import FileImport, FileImports
from alertview.gui.filter_bar import FilterBar
from alertview.gui.help_menu import install_help_menu
from alertview.gui.inspection import InspectionView
from alertview.gui.objects_view import install_objects_view
from alertview.gui.samp_menu import install_samp
from alertview.gui.schemas_view import add_schemas_action
from alertview.gui.skymap import install_skymap
from alertview.gui.stream_control import StreamControl
from alertview.gui.table_model import AlertTableModel
from alertview.gui.triage_actions import install_triage
from alertview.gui.view_menu import install_view_menu
from alertview.gui.watches_view import install_watches
from alertview.gui.window_settings import restore_window_settings, save_window_settings


class MainWindow(QMainWindow, StreamControl):
    """The window; the live-stream part (connect, pause, stop, failures) is in
    ``StreamControl`` (``stream_control.py``)."""

    #: The inspection view now shows this alert id.
    alert_shown = Signal(object)
    #: A file import (the ``FileImport`` job ``open_paths`` returned) is over and its
    #: rows are in the table: finished, cancelled or dropped from the queue.
    import_finished = Signal(object)
    #: The session's stored rows are all in the table (loaded in chunks at start).
    rows_loaded = Signal()

    def __init__(
        self, store: AlertStore, cache: SchemaCache | None = None, session: Session | None = None
    ) -> None:
        super().__init__()
        #: The named session this window shows and closes (None: the caller owns ``store``).
        self.opened = session
        self.store = store
        self.cache = cache or SchemaCache(fields=SURVEY_FIELDS)
        self.loader = AlertLoader(store, self.cache, self)
        self.model = AlertTableModel(
            lambda row: decode_stored(self.store, row, self.cache).record, self
        )
        self.session = SessionController(self, store, self.cache, self.model, self.loader)
        self.loader.loaded.connect(self.session.decoded)
        self.model.filter_progressed.connect(self.session.filter_progressed)
        self.model.filter_failed.connect(self.session.filter_failed)
        self.worker = None
        self.failure_box = None
        self._columns_sized = False
        self._build()
        install_triage(self)
        install_watches(self)
        install_samp(self)
        install_skymap(self)
        install_help_menu(self)  # last: Help at the right end of the menu bar
        self.show_title("")

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_bar = FilterBar()
        self.filter_bar.applied.connect(self.session.apply_filter)
        self.filter_bar.applied.connect(self._remember_filter)
        self.filter_edit, self.match_label = self.filter_bar.edit, self.filter_bar.match_label
        self.table = AlertTable(self.model)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, previous: self.session.current_changed(
                current.row() if current.isValid() else -1,
                previous.row() if previous.isValid() else -1,
            )
        )
        self.table.details_requested.connect(self.open_details)
        self.table.object_requested.connect(self.show_object)
        # a jump scrolls the table once the alert it selects is drawn, and the row after
        # it is decoded ahead then, not while it is drawn
        self.table.scroll_later = self.after_alert_drawn
        self.loader.after_shown = self.after_alert_drawn
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(install_objects_view(self), 1)  # Alerts | Objects tabs

        self.inspection = InspectionView()
        self.inspection.lightcurve.point_clicked.connect(self.select_clicked_detection)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.inspection)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self.status = QLabel()
        self.stream_state = QLabel("offline")
        #: The consumer group in use (the offsets Stream → Resume goes on from).
        self.group_label = QLabel()
        self.error_button = QPushButton("0 errors")
        self.error_button.setFlat(True)
        self.error_button.clicked.connect(self.show_errors)
        self.statusBar().addWidget(self.stream_state, 1)
        self.statusBar().addPermanentWidget(self.group_label)
        self.statusBar().addPermanentWidget(self.error_button)
        self.statusBar().addPermanentWidget(self.status)
        # files read off the GUI thread; a reopened session's rows loaded in chunks
        self.imports = FileImports(self)
        self.statusBar().addPermanentWidget(self.imports.widget)
        self.imports.load_rows()
        self._build_menus()
        self.resize(*first_size(1500, 900))

    def _action(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        if shortcut is not None:
            action.setShortcut(shortcut)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_menus(self) -> None:
        self.pause_action = self._action("&Pause", self._pause_toggled, "Ctrl+P", True)
        self.stop_action = self._action("S&top", self.stop_stream)
        self.follow_action = self._action(
            "&Follow newest", self.session.set_follow, checkable=True
        )
        self.resume_action = self._action("&Resume", self.resume_stream, "Ctrl+R")
        self.keep_action = self._action("&Keep packets…", self.ask_keep_packets)
        self.show_stream_controls(False)
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._action("&Connect to Kafka…", self.ask_connect, "Ctrl+K"))
        menu.addAction(self._action("Open &session…", self._ask_open_session, "Ctrl+Shift+O"))
        self.recent_menu = menu.addMenu("&Recent sessions")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        open_keys = QKeySequence.StandardKey.Open
        menu.addAction(self._action("&Open files or folder…", self._ask_open, open_keys))
        menu.addAction(self._action("Open &folder…", self._ask_open_folder))
        menu.addAction(self._action("&Export selection…", self._ask_export, "Ctrl+E"))
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        stream_menu = self.menuBar().addMenu("&Stream")
        for action in (self.pause_action, self.stop_action, self.resume_action):
            stream_menu.addAction(action)
        stream_menu.addAction(self.follow_action)
        stream_menu.addSeparator()
        stream_menu.addAction(self.keep_action)
        add_schemas_action(self)
        install_view_menu(self)

    # -- what the user and the callers ask ----------------------------------------------------
    def open_paths(self, paths: Iterable[str | os.PathLike]) -> FileImport:
        """Read files, folders or archives into the session off the GUI thread (queued
        behind an import that runs); returns the job: ``job.wait_done()`` or the
        ``import_finished`` signal tell when its rows are in the table."""
        return self.imports.open(list(paths))

    def refresh_rows(self) -> None:
        """Append the rows the store gained since the last call."""
        self.session.refresh_rows()

    def apply_filter(self) -> None:
        self.session.apply_filter(self.filter_edit.text())
        self._remember_filter(self.filter_edit.text())

    def show_object(self, object_id: str) -> None:
        """All alerts of one object: a filter the user sees and can clear."""
        self.filter_edit.setText(f'object_id == "{object_id}"')
        self.apply_filter()

    def select_row(self, row: int) -> None:
        self.table.select_row(row)

    def selected_rows(self) -> list[int]:
        """Store rows of the selected alerts, in table order."""
        return self.table.selected_row_ids()

    def open_details(self) -> None:
        """Enter on a row: the whole packet and its links."""
        self.inspection.tabs.setCurrentWidget(self.inspection.details)

    def show_errors(self) -> None:
        """The errors panel: every message that could not be decoded, and where."""
        self.errors_dialog = show_errors_dialog(self, self.store.errors(), self.session.errors)

    def restore_settings(self) -> None:
        """Window geometry, layout, columns and display choices from the last session."""
        if restore_window_settings(self):
            self._columns_sized = True

    def restore_session(self) -> None:
        """What the session remembers besides its rows: the filter in use."""
        if self.opened is not None and self.opened.meta.filter:
            self.filter_edit.setText(self.opened.meta.filter)
            self.apply_filter()
        self.show_stream_controls(False)

    def _remember_filter(self, text: str) -> None:
        """The session keeps its filter; with ``--keep-packets matching`` the packets
        kept from now on are those of the alerts that pass it."""
        if self.opened is None:
            return
        text = text.strip()
        self.opened.remember_filter(text)
        store = self.opened.store
        if store.retention.matching and text != (store.keep_filter or ""):
            from alertview.core.table.filters import FilterError

            with contextlib.suppress(FilterError):  # the filter bar says why already
                store.set_retention(store.retention, text or None, apply=False)

    def _ask_open_session(self) -> None:
        from alertview.gui.session_windows import ask_open_session

        ask_open_session(self)

    def _fill_recent(self) -> None:
        from alertview.gui.session_windows import fill_recent_menu

        fill_recent_menu(self)

    def showEvent(self, event) -> None:
        """A message given before the window was shown (the demo's "keep packets")
        is given again: QStatusBar hides the stream's state under a message only if
        that label is visible, so the two were drawn over each other."""
        super().showEvent(event)
        bar = self.statusBar()
        message = bar.currentMessage()
        if message and self.stream_state.isVisible():
            bar.clearMessage()
            bar.showMessage(message, 8000)

    def closeEvent(self, event) -> None:
        if self.failure_box is not None:
            self.failure_box.close()
        self.stop_stream()
        self.imports.shutdown()
        self.loader.shutdown()
        self.model.stop_filtering()
        save_window_settings(self)
        super().closeEvent(event)
        if self.opened is not None:  # after the stream's process has let go of it
            self.opened.close()
            self.opened = None

    def _ask_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of alerts")
        if folder:
            self.open_paths([Path(folder)])

    def _ask_open(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open alert files or archives")
        if files:
            self.open_paths([Path(f) for f in files])

    def _ask_export(self) -> None:
        rows = self.selected_rows()
        ask_and_export(self, rows, self._load_alert, lambda: self.store.triage_by_alert(rows))

    def _load_alert(self, row: int):
        return decode_stored(self.store, row, self.cache)

    # -- the SessionView the controller drives ------------------------------------------------
    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def show_match(self, text: str) -> None:
        self.match_label.setText(text)

    def show_filter_error(self, message: str | None) -> None:
        self.filter_bar.show_refused(message)

    def show_error_count(self, count: int) -> None:
        self.error_button.setText(counted(count, "error"))

    def rows_added(self, first: bool) -> None:
        if first and not self._columns_sized:
            self.table.size_columns()

    def show_alert(self, alert, cutouts, prepared) -> None:
        self.inspection.show_alert(alert, cutouts, prepared)
        self.alert_shown.emit(alert.alert_id)

    def after_alert_drawn(self, then: Callable[[], None]) -> None:
        """``then()`` once the shown alert's cutouts and light curve are painted."""
        after_paint(self.inspection.figure_views(), then)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def select_clicked_detection(self, source_id: int) -> None:
        """A light-curve detection was clicked: its own alert, when the session has it;
        else the status bar says why nothing else is selected."""
        if self.table.select_alert_id(source_id):
            return
        if (self.model.columns.alert_id.values == source_id).any():
            self.show_message(f"The alert of detection {source_id} is hidden by the filter")
        else:
            self.show_message(f"The alert of detection {source_id} is not in this session")

    def display_choices(self) -> tuple[str, str]:
        return self.inspection.cutouts.controller.display_choices()

    def show_stream_controls(self, enabled: bool) -> None:
        self.pause_action.setEnabled(enabled)
        self.stop_action.setEnabled(enabled)
        stream = self.opened.meta.stream if self.opened is not None else None
        self.resume_action.setEnabled(not enabled and stream is not None)
        self.keep_action.setEnabled(self.opened is not None and not self.opened.is_temporary)

    def scroll_to_newest(self) -> None:
        self.table.scroll_to_newest()

    def table_attention(self):
        return self.table.attention()


def first_size(width: int, height: int) -> tuple[int, int]:
    """The window's size before any is saved: ``width`` x ``height``, or the screen's
    room where that is smaller (a 1366x768 laptop, a 1280x900 Xvfb: the right pane
    was cut off). The offscreen platform's 800x600 screen is no screen: left alone."""
    screen = QGuiApplication.primaryScreen()
    if screen is None or QGuiApplication.platformName() == "offscreen":
        return width, height
    room = screen.availableGeometry()
    return min(width, room.width() * 95 // 100), min(height, room.height() * 92 // 100)
