"""The Objects tab beside the alert table: one row per object of the alerts the table
shows, and for the object chosen its merged light curve and cutout filmstrip.

``ObjectsController`` (``controllers/objects.py``) decides; this module holds the
widgets (the table's model: ``objects_model``). The table is rebuilt from the alert
table's columns when the filter changes, and at most every ``REBUILD_MS`` while rows
arrive (only while the tab is on screen: a hidden tab is rebuilt when it is shown).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.objects import (
    Frame,
    ObjectLoaded,
    ObjectsController,
)
from alertview.core.object_lightcurve import ObjectLightcurve
from alertview.core.table.objects import ObjectTable
from alertview.core.wording import counted
from alertview.gui.filmstrip import Filmstrip
from alertview.gui.object_lightcurve import ObjectLightcurvePanel
from alertview.gui.objects_model import TRIAGE_WIDTH, ObjectsModel
from alertview.gui.objects_triage import install_objects_triage

#: The table is rebuilt at most this often while rows arrive (milliseconds), or ten
#: times the last build's duration if longer (a million alerts take ~0.5 s).
REBUILD_MS = 2000


class ObjectsView(QWidget):
    """The tab: objects table on top; below, the merged light curve and the filmstrip."""

    #: A double-clicked object: the alert id of its newest alert.
    latest_requested = Signal(object)
    #: The chosen object's newest alert (alert id) is now this one, and was that one
    #: (None: just chosen): the inspection pane shows it.
    newest_changed = Signal(object, object)
    _loaded = Signal(object)  # from the decode thread: an ObjectLoaded

    def __init__(self, store, cache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._restoring = False  # the selection is being put back: not the user's
        #: The headers the columns were last sized for (the bands come and go with
        #: the filter: a column sized for another header cut it to "| mag/(").
        self._sized: tuple[str, ...] = ()
        self.newest: int | None = None  # the chosen object's newest alert (alert id)
        self.model = ObjectsModel(self)
        self.controller = ObjectsController(self, store, cache)
        self.model.sort_requested = self.controller.sort
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSortIndicator(4, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.summary = QLabel("Select an object.")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.lightcurve = ObjectLightcurvePanel()
        self.filmstrip = Filmstrip()
        self.filmstrip.frame_clicked.connect(self.controller.show_frame)
        self.filmstrip.blink_button.toggled.connect(self._blink_toggled)
        self.filmstrip.timer.timeout.connect(self.controller.blink_step)
        blink = QAction("Blink", self)
        blink.setShortcut(QKeySequence("B"))
        blink.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        blink.triggered.connect(self.filmstrip.blink_button.toggle)
        self.addAction(blink)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.lightcurve)
        lower.addWidget(self.filmstrip)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.summary)
        below_layout.addWidget(lower, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(below)
        # the objects get 45 % of the tab (~15 rows at 1500x900), the panels the rest
        splitter.setStretchFactor(0, 9)
        splitter.setStretchFactor(1, 11)
        splitter.setSizes([450, 550])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._loaded.connect(self.controller.show_loaded)
        self.build_seconds = 0.0

    # -- what the window asks ---------------------------------------------------------------
    def rebuild(self, columns, mask: np.ndarray | None) -> None:
        """The objects of the alerts ``mask`` passes, the chosen one kept selected and the
        table scrolled where it was (a stream rebuilds it every ``REBUILD_MS``)."""
        started = time.perf_counter()
        place = self._place()
        self.controller.rebuild(columns, mask)
        self._put_back(place)
        row = self.controller.row_of_chosen()
        newest = None if row is None else self.controller.latest_alert_id(row)
        if newest != self.newest:
            before, self.newest = self.newest, newest
            if newest is not None:
                self.newest_changed.emit(newest, before)
        self.build_seconds = time.perf_counter() - started

    def _place(self) -> tuple[tuple[str, str | None] | None, int, int]:
        """Where the table is scrolled: the object in its top row (None: scrolled to the
        top, where new objects show), and both scroll bars' values."""
        vertical = self.table.verticalScrollBar().value()
        row = self.table.rowAt(0)
        top = self.controller.key(row) if vertical > 0 and row >= 0 else None
        return top, vertical, self.table.horizontalScrollBar().value()

    def _put_back(self, place: tuple[tuple[str, str | None] | None, int, int]) -> None:
        """The object that was in the top row back there; if it left, the old value."""
        top, vertical, horizontal = place
        self.table.doItemsLayout()  # the scroll bars' ranges of the new rows and columns
        row = None if top is None else self.controller.row_of(top)
        if row is None:
            self.table.verticalScrollBar().setValue(vertical)
        else:
            self.table.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop
            )
        self.table.horizontalScrollBar().setValue(horizontal)

    def shutdown(self) -> None:
        self.filmstrip.timer.stop()
        self.controller.shutdown()

    # -- the ObjectsView the controller drives ---------------------------------------------------
    def show_table(self, table: ObjectTable, order: np.ndarray) -> None:
        self._restoring = True
        try:
            self.model.set_table(table, order, self.controller.triage)
            headers = tuple(c.header for c in self.model.columns)
            if headers != self._sized and len(table):
                self._sized = headers
                self.table.resizeColumnsToContents()  # header and the rows in sight
                fields = [c.field for c in self.model.columns]
                triage, header = fields.index("triage"), self.table.horizontalHeader()
                header.resizeSection(triage, min(header.sectionSize(triage), TRIAGE_WIDTH))
            row = self.controller.row_of_chosen()
            if row is not None:
                self.table.selectRow(row)
        finally:
            self._restoring = False

    def loaded(self, result: ObjectLoaded) -> None:
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._loaded.emit(result)

    def show_lightcurve(self, lightcurve: ObjectLightcurve | None, note: str) -> None:
        self.lightcurve.show_object(lightcurve)
        if lightcurve is None:
            self.summary.setText(note or "Select an object.")
            return
        alert = lightcurve.alert
        dc = f", {len(lightcurve.dc)} with a DC magnitude" if len(lightcurve.dc) else ""
        text = (
            f"<b>{alert.object_id}</b> &nbsp; {alert.survey} &nbsp; "
            f"{counted(lightcurve.n_alerts, 'alert')}: "
            f"{counted(len(alert.detections), 'detection')}{dc}, "
            f"{counted(alert.n_upper_limits, 'upper limit')}, "
            f"{counted(alert.n_forced, 'forced point')}"
        )
        self.summary.setText(text + (f" &nbsp; <i>({note})</i>" if note else ""))

    def show_frames(self, frames: Sequence[Frame], note: str) -> None:
        if not frames:  # nothing chosen any more: nothing to blink
            self.filmstrip.blink_button.setChecked(False)
        self.filmstrip.show_frames(frames, note)

    def show_blink(self, frame: Frame | None, name: str) -> None:
        self.filmstrip.show_blink(frame, name)

    def show_triage(self, counts: np.ndarray) -> None:
        self.model.set_triage(counts)

    # -- the user ---------------------------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._restoring or not current.isValid():
            return
        self.filmstrip.blink_button.setChecked(False)
        self.summary.setText("Decoding the object's alerts…")
        self.controller.choose(current.row())
        self.newest = self.controller.latest_alert_id(current.row())
        self.newest_changed.emit(self.newest, None)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.latest_requested.emit(self.controller.latest_alert_id(index.row()))

    def _blink_toggled(self, on: bool) -> None:
        self.controller.set_blinking(on)
        if on:
            self.filmstrip.timer.start()
        else:
            self.filmstrip.timer.stop()


def shown_mask(model) -> np.ndarray | None:
    """Which column positions the alert table shows (None: all of them): the filter's
    and the sky map selection's."""
    if model.alert_filter is None and model.sky_mask is None:
        return None
    mask = np.zeros(len(model.columns), dtype=bool)
    mask[model.shown_positions()] = True
    return mask


class _Rebuilds(QObject):
    """When to rebuild the objects table: the filter changed (soon), rows arrived (at
    most every ``REBUILD_MS``), the tab was shown with changes pending; and the decode
    thread's end when the window closes."""

    def __init__(self, window, tabs: QTabWidget, view: ObjectsView) -> None:
        super().__init__(view)
        self.window, self.tabs, self.view = window, tabs, view
        self.dirty = True
        self._filter = None
        self._sky = None
        self._built = -float("inf")  # time.monotonic() of the last build
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.run)
        model = window.model
        model.rowsInserted.connect(lambda *_: self.changed())
        model.modelReset.connect(lambda: self.changed())
        model.layoutChanged.connect(lambda *_: self.changed())
        tabs.currentChanged.connect(lambda _: self.schedule(soon=True))
        window.installEventFilter(self)

    def changed(self) -> None:
        """The alert table changed: new rows, or another filter (rebuilt at once)."""
        self.dirty = True
        model = self.window.model
        other = model.alert_filter is not self._filter or model.sky_mask is not self._sky
        self.schedule(soon=other)

    def schedule(self, soon: bool = False) -> None:
        if self.tabs.currentWidget() is not self.view or not self.dirty:
            return
        interval = max(REBUILD_MS / 1000, 10 * self.view.build_seconds)
        wait = 0.0 if soon else max(0.0, self._built + interval - time.monotonic())
        if soon or not self.timer.isActive():
            self.timer.start(int(wait * 1000))

    def run(self) -> None:
        if self.tabs.currentWidget() is not self.view:
            return
        model = self.window.model
        self._filter, self._sky = model.alert_filter, model.sky_mask
        self.dirty = False
        self.view.rebuild(model.columns, shown_mask(model))
        self._built = time.monotonic()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.timer.stop()
            self.view.shutdown()
        return False


def install_objects_view(window) -> QTabWidget:
    """Put the alert table and an Objects tab in one tab widget for the window's left
    pane (returned); ``window.objects`` is the tab's ``ObjectsView``."""
    tabs = QTabWidget()
    tabs.addTab(window.table, "Alerts")
    view = ObjectsView(window.store, window.cache)
    tabs.addTab(view, "Objects")
    window.objects = view
    window.left_tabs = tabs
    view._rebuilds = _Rebuilds(window, tabs, view)

    def select_latest(alert_id: int) -> None:
        tabs.setCurrentIndex(0)
        window.table.select_alert_id(alert_id)

    view.latest_requested.connect(select_latest)

    def show_newest(alert_id: int, before: int | None) -> None:
        """The chosen object's newest alert selected in the alert table, so that the
        inspection pane shows it; the tab and the focus stay. A newer alert of it
        replaces the older only if the user has not selected another since."""
        current = window.table.currentIndex()
        on = window.model.field(current.row(), "alert_id") if current.isValid() else None
        if before is None or on == before:
            window.table.select_alert_id(alert_id)

    view.newest_changed.connect(show_newest)
    install_objects_triage(window, view)
    return tabs
