"""The alert table: sortable, a column chooser on its header, Enter for the details,
a double-clicked object id for all of that object's alerts; its first column stays
in sight when it scrolls sideways (``frozen_column``) and its id columns are never
too narrow for a 19-digit id."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QStyle, QTableView, QWidget

from alertview.controllers.follow import Attention
from alertview.gui.frozen_column import FrozenColumn
from alertview.gui.table_model import AlertTableModel

_SELECT_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | (
    QItemSelectionModel.SelectionFlag.Rows
)
#: Columns of ids, never elided: ZTF's candid and Rubin's diaSourceId / diaObjectId
#: are 64-bit integers of up to 19 digits.
ID_FIELDS = ("alert_id", "object_id")
ID_DIGITS = 19
#: Columns sized for the widest value they can hold, not only the first rows' (a
#: stream's first alerts at RA 63.3 left later ones at 151.09… elided).
WIDEST_TEXT = {"ra": "359.99999", "dec": "+89.99999", "mjd": "99999.99999"}


class AlertTable(QTableView):
    """The table of the session's alerts (rows of an ``AlertTableModel``)."""

    #: Enter or a double click on a row: show the whole packet.
    details_requested = Signal()
    #: A double-clicked object id: show all alerts of that object.
    object_requested = Signal(str)

    def __init__(self, model: AlertTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSortingEnabled(True)
        header = self.horizontalHeader()
        # arrival order until the user clicks a column header
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        # one line per cell, elided if narrow: wrapping laid every cell's text out in a
        # QTextLayout, and a full repaint (a jump that scrolls) took 22 ms instead of 14
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # sizing columns to their contents reads the first 100 rows, not 1,000
        header.setResizeContentsPrecision(100)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda position: self.column_menu().exec(header.mapToGlobal(position))
        )
        header.sectionResized.connect(self._keep_ids_whole)
        model.columnsInserted.connect(self._size_new_columns)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.doubleClicked.connect(self._double_clicked)
        self.frozen = FrozenColumn(self)
        #: Calls back once the alert a jump selects is drawn (the window's): rows out of
        #: sight that ``select_row`` selects scroll into sight then (None: at once).
        self.scroll_later: Callable[[Callable[[], None]], None] | None = None
        self._jumping = False  # inside ``select_row``
        self._pending_scroll: tuple[QPersistentModelIndex, QAbstractItemView.ScrollHint] | None = (
            None
        )
        # the row under the user (selected, or under the pointer) and its height on screen,
        # kept while rows are inserted above it (a sorted live table) or re-sorted
        self._anchor: tuple[QPersistentModelIndex, int] | None = None
        model.layoutAboutToBeChanged.connect(self._take_anchor)
        model.layoutChanged.connect(self._keep_anchor)

    def column_menu(self) -> QMenu:
        """The column chooser: right-click a column header (View → Columns too)."""
        menu = QMenu(self)
        self.fill_column_menu(menu)
        return menu

    def fill_column_menu(self, menu: QMenu) -> None:
        """A checkable entry per column, the fixed ones then the broker fields met so far."""
        menu.clear()
        model = self.model()
        for number in range(model.columnCount()):
            action = menu.addAction(model.column(number).header)
            action.setCheckable(True)
            action.setChecked(not self.isColumnHidden(number))
            action.toggled.connect(lambda shown, n=number: self.setColumnHidden(n, not shown))

    # -- widths ---------------------------------------------------------------------------
    def size_columns(self) -> None:
        """Every column to its contents (the first 100 rows), the ids whole, and the
        coordinates and times as wide as their widest value."""
        self.resizeColumnsToContents()
        self.fit_id_columns()
        model, metrics = self.model(), self.fontMetrics()
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self)
        for column in range(model.columnCount()):
            text = WIDEST_TEXT.get(model.column(column).field)
            if text is not None:
                needed = metrics.horizontalAdvance(text) + 2 * (margin + 1) + 1
                self.setColumnWidth(column, max(self.columnWidth(column), needed))

    def id_width(self, column: int) -> int:
        """The width a cell of ``column`` needs for a 19-digit id, or for the widest of
        the first rows' texts (ZTF's object ids are letters), without eliding."""
        metrics = self.fontMetrics()
        digit = max(metrics.horizontalAdvance(d) for d in "0123456789")
        # the style's text margins on both sides, and the grid line
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self)
        digits = ID_DIGITS * digit + 2 * (margin + 1) + 1
        return max(digits, self.sizeHintForColumn(column))

    def id_columns(self) -> list[int]:
        model = self.model()
        return [n for n in range(model.columnCount()) if model.column(n).field in ID_FIELDS]

    def fit_id_columns(self) -> None:
        """Widen (never narrow) the id columns to ``id_width``."""
        for column in self.id_columns():
            if not self.isColumnHidden(column):
                self._keep_ids_whole(column, 0, self.columnWidth(column))

    def _keep_ids_whole(self, column: int, _old: int, new: int) -> None:
        """An id column dragged (or restored) narrower than its ids: back to their width."""
        if new > 0 and column in self.id_columns():
            needed = self.id_width(column)
            if new < needed:
                self.setColumnWidth(column, needed)

    def _size_new_columns(self, _parent: QModelIndex, first: int, last: int) -> None:
        """A broker field met for the first time: its column to its contents."""
        for column in range(first, last + 1):
            self.resizeColumnToContents(column)

    # -- the frozen first column ------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.frozen.update_geometry()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        if hasattr(self, "frozen"):  # (called during construction, before the overlay)
            self.frozen.update_geometry()

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        """As Qt's, but a cell of another column is not left under the frozen column;
        a jump out of sight asked for by ``select_row`` scrolls a pass later."""
        if (
            self._jumping
            and self.scroll_later is not None
            and index.isValid()
            and not self._in_sight(index.row())
        ):
            self._scroll_after_the_alert(index, hint)
            return
        self._scroll_now(index, hint)

    def _scroll_now(self, index, hint) -> None:
        self._pending_scroll = None  # a scroll now replaces one waiting
        super().scrollTo(index, hint)
        frozen = getattr(self, "frozen", None)
        if frozen is None or not index.isValid() or index.column() == frozen.column:
            return
        hidden = frozen.width() - self.columnViewportPosition(index.column())
        if frozen.isVisible() and hidden > 0:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - hidden)

    def _scroll_after_the_alert(self, index: QModelIndex, hint) -> None:
        """Scroll to ``index`` once the alert the jump shows has been drawn.

        Scrolling repaints every visible cell (the frozen column over the viewport
        keeps Qt from moving the pixels), each a few calls from Qt into the Python
        model: 15-40 ms, in the same paint pass as the light curve and cutouts of
        the alert, which appeared that much later. ``scroll_later`` (the window's)
        calls back when they are drawn; the latest jump wins."""
        first = self._pending_scroll is None
        self._pending_scroll = (QPersistentModelIndex(index), hint)
        if first:
            self.scroll_later(self._scroll_pending)

    def _scroll_pending(self) -> None:
        pending, self._pending_scroll = self._pending_scroll, None
        if pending is not None and pending[0].isValid():
            self._scroll_now(self.model().index(pending[0].row(), pending[0].column()), pending[1])

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.details_requested.emit()  # Enter opens the details
            return
        super().keyPressEvent(event)

    def _double_clicked(self, index: QModelIndex) -> None:
        if self.model().column(index.column()).field == "object_id" and index.data():
            self.object_requested.emit(index.data())
        else:
            self.details_requested.emit()

    def select_row(self, row: int) -> None:
        """Make table row ``row`` the current, selected one (brought into sight; a far
        one after its alert is drawn: ``_scroll_after_the_alert``)."""
        self._jump(self.model().index(row, 0))

    def select_alert_id(self, alert_id: int) -> bool:
        """Select the table row of ``alert_id`` (e.g. a clicked light-curve point)."""
        for row in self.model().rows_of_alert(alert_id):
            index = self.model().index(row, 0)
            if index.isValid():
                self._jump(index)
                return True
        return False

    def _jump(self, index: QModelIndex) -> None:
        self._jumping = True
        try:
            self.selectionModel().setCurrentIndex(index, _SELECT_ROW)
            self.scrollTo(index)
        finally:
            self._jumping = False

    def selected_table_rows(self) -> np.ndarray:
        """Table rows selected, ascending, from the selection's ranges: Ctrl+A on 10^6
        rows is one range, where ``selectedRows()`` builds 10^6 Python indexes."""
        ranges = self.selectionModel().selection()
        parts = [np.arange(r.top(), r.bottom() + 1, dtype=np.int64) for r in ranges]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def selected_positions(self) -> np.ndarray:
        """Column positions of the selected alerts, in table order."""
        return self.model().shown_positions()[self.selected_table_rows()]

    def selected_row_ids(self) -> list[int]:
        """Store rows of the selected alerts, in table order."""
        return self.model().columns.row.values[self.selected_positions()].tolist()

    # -- the row under the user, while rows arrive ----------------------------------------
    def attention(self) -> Attention:
        """What the table shows the user now, for "Follow newest"."""
        model: AlertTableModel = self.model()
        newest = model.newest_row()
        return Attention(
            selected=self.selectionModel().hasSelection(),  # not a count: once per batch
            newest_in_sight=newest < 0 or self._in_sight(newest),
            pointer_over=self._pointer_over(self),
        )

    @staticmethod
    def _pointer_over(widget: QWidget) -> bool:
        """The mouse pointer is over ``widget`` (as Qt last saw it, or where it is now)."""
        if widget.underMouse():
            return True
        return widget.isVisible() and widget.rect().contains(widget.mapFromGlobal(QCursor.pos()))

    def _in_sight(self, row: int) -> bool:
        top = self.rowViewportPosition(row)
        return top >= 0 and top + self.rowHeight(row) <= self.viewport().height()

    def scroll_to_newest(self) -> None:
        """The newest alert shown in sight (the bottom of the table in arrival order)."""
        newest = self.model().newest_row()
        if newest >= 0:
            self.executeDelayedItemsLayout()  # the rows just inserted, in the scroll range
            self.scrollTo(self.model().index(newest, 0))

    def _take_anchor(self) -> None:
        """Before the rows move: the selected row in sight, else the one under the pointer."""
        self._anchor = None
        current = self.currentIndex().row()
        row = -1
        if current >= 0 and self.selectionModel().isRowSelected(current, QModelIndex()):
            row = current if self._in_sight(current) else -1
        if row < 0 and self._pointer_over(self.viewport()):
            pointer = self.viewport().mapFromGlobal(QCursor.pos())
            row = self.rowAt(pointer.y())
        if row >= 0:
            index = QPersistentModelIndex(self.model().index(row, 0))
            self._anchor = (index, self.rowViewportPosition(row))

    def _keep_anchor(self) -> None:
        """After the rows moved: scroll so that the anchored row is where it was."""
        if self._anchor is None:
            return
        index, top = self._anchor
        self._anchor = None
        if not index.isValid():
            return  # filtered out
        self.executeDelayedItemsLayout()  # the scroll range for the new row count
        shift = self.rowViewportPosition(index.row()) - top
        if shift:
            per_item = self.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerItem
            bar = self.verticalScrollBar()
            bar.setValue(
                bar.value() + (shift // self.rowHeight(index.row()) if per_item else shift)
            )
