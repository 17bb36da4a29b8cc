"""The main window: composition of the filter bar, alert table and inspection view."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_stored, read_alerts
from alertview.core.errors import DecodeError
from alertview.core.session.store import AlertStore
from alertview.core.stream.ingest import BrokerStatus
from alertview.core.table.filters import FilterError, parse_filter
from alertview.gui.alert_loader import AlertLoader
from alertview.gui.errors_dialog import show_errors_dialog
from alertview.gui.export_action import ask_and_export
from alertview.gui.inspection import InspectionView
from alertview.gui.schemas_view import add_schemas_action
from alertview.gui.stream_control import StreamControl
from alertview.gui.table_model import COLUMNS, ROLE_ROW_ID, AlertTableModel
from alertview.gui.window_settings import restore_window_settings, save_window_settings
from alertview.gui.worker import StreamWorker

#: Alerts read from files are stored (and read back) in batches of this size.
OPEN_BATCH = 500
#: Rows read from the store at a time: a reopened session can hold millions, and
#: small chunks keep the transient Python tuples (~1.5 KB a row) from bloating RSS.
REFRESH_CHUNK = 5_000


class MainWindow(QMainWindow, StreamControl):
    """The window; the live-stream part (connect, pause, stop, failures) is in
    ``StreamControl`` (``stream_control.py``)."""

    #: The inspection view now shows this alert id.
    alert_shown = Signal(object)

    def __init__(self, store: AlertStore, cache: SchemaCache | None = None) -> None:
        super().__init__()
        self.setWindowTitle("AlertView")
        self.store = store
        self.cache = cache or SchemaCache()
        self.loader = AlertLoader(store, self.cache, self)
        self.loader.loaded.connect(self._show_decoded)
        self._read_ahead: tuple | None = None  # (row id, display choices) to decode next
        self.errors: list[str] = []
        self.model = AlertTableModel(
            lambda row: decode_stored(self.store, row, self.cache).record, self
        )
        self.worker: StreamWorker | None = None
        self.lag: int | None = None
        self.broker_status = BrokerStatus()
        self.received = 0
        self._rate_window: list[tuple[float, int]] = []
        self._columns_sized = False
        self._build()
        self._last_row = 0

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            'Filter, e.g.  band == "r" and mag < 19 and n_history_detections >= 2'
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda text: text or self.apply_filter())
        self.filter_edit.setMinimumWidth(220)  # a long error must not squeeze it shut
        self.match_label = QLabel()
        self.match_label.setWordWrap(True)  # an error wraps under itself instead
        self.model.filter_progressed.connect(self._filter_progressed)
        self.model.filter_failed.connect(self._filter_failed)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Filter:"))
        bar.addWidget(self.filter_edit, 3)
        bar.addWidget(self.match_label, 2)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        # arrival order until the user clicks a column header
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # sizing columns to their contents reads the first 100 rows, not 1,000
        self.table.horizontalHeader().setResizeContentsPrecision(100)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.installEventFilter(self)  # Enter opens the details

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table, 1)

        self.inspection = InspectionView()
        self.inspection.lightcurve.point_clicked.connect(self.select_alert_id)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.inspection)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self.status = QLabel()
        self.stream_state = QLabel("offline")
        self.error_button = QPushButton("0 errors")
        self.error_button.setFlat(True)
        self.error_button.clicked.connect(self.show_errors)
        self.statusBar().addWidget(self.stream_state, 1)
        self.statusBar().addPermanentWidget(self.error_button)
        self.statusBar().addPermanentWidget(self.status)
        self.pause_action = QAction("&Pause", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut("Ctrl+P")
        self.pause_action.toggled.connect(self._pause_toggled)
        self.pause_action.setEnabled(False)
        self.stop_action = QAction("S&top", self)
        self.stop_action.triggered.connect(self.stop_stream)
        self.stop_action.setEnabled(False)
        self.follow_action = QAction("&Follow newest", self)
        self.follow_action.setCheckable(True)
        open_action = QAction("&Open files or folder…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self._ask_open)
        folder_action = QAction("Open &folder…", self)
        folder_action.triggered.connect(self._ask_open_folder)
        connect_action = QAction("&Connect to Kafka…", self)
        connect_action.setShortcut("Ctrl+K")
        connect_action.triggered.connect(self.ask_connect)
        export_action = QAction("&Export selection…", self)
        export_action.setShortcut("Ctrl+E")
        export_action.triggered.connect(
            lambda: ask_and_export(self, self.selected_rows(), self._load_alert)
        )
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu = self.menuBar().addMenu("&File")
        menu.addAction(connect_action)
        menu.addAction(open_action)
        menu.addAction(folder_action)
        menu.addAction(export_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        stream_menu = self.menuBar().addMenu("&Stream")
        for action in (self.pause_action, self.stop_action, self.follow_action):
            stream_menu.addAction(action)
        add_schemas_action(self)
        self.resize(1500, 900)

    # -- data in -----------------------------------------------------------------------------
    def open_paths(self, paths: Iterable[str | os.PathLike]) -> int:
        """Read files, folders or archives into the session; returns alerts added."""
        added, batch = 0, []
        for item in read_alerts(paths, self.cache):
            if isinstance(item, DecodeError):
                self.errors.append(f"warning: {item}" if item.warning else str(item))
                continue
            batch.append(item)
            if len(batch) >= OPEN_BATCH:
                added += self.store.add(batch)
                batch = []
        added += self.store.add(batch)
        self.refresh_rows()
        return added

    def refresh_rows(self) -> None:
        """Append the rows the store gained since the last call (one insert per batch)."""
        while rows := self.store.rows(after=self._last_row, limit=REFRESH_CHUNK):
            self._append(rows)
            if len(rows) < REFRESH_CHUNK:
                break
        self._update_status()

    def _append(self, rows: list[tuple]) -> None:
        """Rows in store order; any already shown (read by ``refresh_rows``) are skipped."""
        if rows and rows[0][0] <= self._last_row:
            rows = [r for r in rows if r[0] > self._last_row]
        if not rows:
            return
        first = self.model.total == 0
        self._last_row = rows[-1][0]
        self.model.append_rows(rows)
        if first and not self._columns_sized:
            self.table.resizeColumnsToContents()

    def show_errors(self) -> None:
        """The errors panel: every message that could not be decoded, and where."""
        self.errors_dialog = show_errors_dialog(self, self.store.errors(), self.errors)

    def closeEvent(self, event) -> None:
        if getattr(self, "failure_box", None) is not None:
            self.failure_box.close()
        self.stop_stream()
        self.loader.shutdown()
        self.model.stop_filtering()
        save_window_settings(self)
        super().closeEvent(event)

    def restore_settings(self) -> None:
        """Window geometry, layout, columns and display choices from the last session."""
        if restore_window_settings(self):
            self._columns_sized = True

    def _ask_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of alerts")
        if folder:
            self.open_paths([Path(folder)])

    def _ask_open(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open alert files or archives")
        if files:
            self.open_paths([Path(f) for f in files])

    # -- filter ------------------------------------------------------------------------------
    def apply_filter(self) -> None:
        """Filter the table; a bad filter (a typo, a hostile text) is explained, never
        raised. One reading packets finishes in the model's background thread."""
        text = self.filter_edit.text().strip()
        try:
            self.model.set_filter(parse_filter(text) if text else None)
        except FilterError as exc:
            self._filter_failed(str(exc))
            return
        self.filter_edit.setStyleSheet("")
        self.filter_edit.setToolTip("")
        self._update_status()
        if self.model.filtering:
            self.match_label.setText("filtering…")

    def _filter_failed(self, message: str) -> None:
        self.filter_edit.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }")
        self.filter_edit.setToolTip(message)
        self.match_label.setText(message)

    def _filter_progressed(self, done: int, total: int) -> None:
        if done < total:
            self.match_label.setText(f"filtering… {done} of {total}")
        else:
            self._update_status()

    def _update_status(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        if self.model.alert_filter is not None:
            self.match_label.setText(f"{shown} of {total} match")
        elif not self.match_label.text().startswith("bad filter"):
            self.match_label.setText("")
        n_errors = len(self.errors) + self.store.error_count()
        self.error_button.setText(f"{n_errors} errors")
        lag = "" if self.lag is None else f", lag {self.lag}"
        live = f", {self.received} received, {self.rate:.0f}/s{lag}" if self.worker else ""
        outage = f" — {self.broker_status.describe()}" if self.broker_status.down else ""
        self.status.setText(f"{total} alerts{live}{outage}")

    # -- selection ---------------------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        """Decode off the GUI thread; a result for a row no longer selected is dropped."""
        if not current.isValid():
            return
        choices = self.inspection.cutouts.controller.display_choices()
        # browsing row by row: the next row in the same direction is decoded once this
        # one is shown (not before: the two would share the GIL with the drawing)
        step = -1 if previous.isValid() and previous.row() == current.row() + 1 else 1
        following = current.row() + step
        self._read_ahead = None
        if 0 <= following < self.model.rowCount():
            self._read_ahead = (self.model.index(following, 0).data(ROLE_ROW_ID), choices)
        self.loader.request(current.data(ROLE_ROW_ID), choices)

    def _show_decoded(self, generation: int, alert, cutouts) -> None:
        if generation != self.loader.generation:
            return  # the user has moved on
        if alert is None:
            self.statusBar().showMessage(str(cutouts), 8000)
            return
        cutouts, prepared = cutouts
        self.inspection.show_alert(alert, cutouts, prepared)
        self.alert_shown.emit(alert.alert_id)
        if self._read_ahead is not None:
            self.loader.prefetch(*self._read_ahead)
            self._read_ahead = None

    def select_alert_id(self, alert_id: int) -> bool:
        """Select the table row of ``alert_id`` (e.g. a clicked light-curve point)."""
        for row in self.model.rows_of_alert(alert_id):
            index = self.model.index(row, 0)
            if index.isValid():
                self.table.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.table.scrollTo(index)
                return True
        return False

    def _column_menu(self, position) -> None:
        """The column chooser: right-click a column header."""
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(position))

    def column_menu(self) -> QMenu:
        menu = QMenu(self)
        for number, column in enumerate(COLUMNS):
            action = menu.addAction(column.header)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(number))
            action.toggled.connect(
                lambda shown, n=number: self.table.setColumnHidden(n, not shown)
            )
        return menu

    def eventFilter(self, watched, event) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.open_details()
            return True
        return super().eventFilter(watched, event)

    def open_details(self) -> None:
        """Enter on a row: the whole packet and its links."""
        self.inspection.tabs.setCurrentWidget(self.inspection.details)

    def _double_clicked(self, index: QModelIndex) -> None:
        if COLUMNS[index.column()].field == "object_id" and index.data():
            self.show_object(index.data())
        else:
            self.open_details()

    def show_object(self, object_id: str) -> None:
        """All alerts of one object: a filter the user sees and can clear."""
        self.filter_edit.setText(f'object_id == "{object_id}"')
        self.apply_filter()

    def selected_rows(self) -> list[int]:
        """Store rows of the selected alerts, in table order."""
        indexes = self.table.selectionModel().selectedRows()
        return [i.data(ROLE_ROW_ID) for i in sorted(indexes, key=lambda i: i.row())]

    def _load_alert(self, row: int):
        return decode_stored(self.store, row, self.cache)

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
