"""The alert table's first column kept in sight while the table scrolls sideways.

Qt's "Frozen Column" example: a second ``QTableView`` laid over the table's left
edge, on the same model and the same selection model, showing only the first
visible column; the two scroll together vertically. Scrolled far right to read a
broker's score, the user still sees which alert each row is.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView


class FrozenColumn(QTableView):
    """The overlay: one column of ``table``, the table's rows, height and sort order."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.column = 0
        self._following = False  # True while this view copies the table's widths
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        # clicks select in the table's selection model; the focus goes up to the table
        # (Qt gives a click's focus to the first parent that takes it): its keys work
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionBehavior(table.selectionBehavior())
        self.setSelectionMode(table.selectionMode())
        self.setVerticalScrollMode(table.verticalScrollMode())
        self.setAlternatingRowColors(table.alternatingRowColors())
        self.setWordWrap(table.wordWrap())
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        self.verticalHeader().setMinimumSectionSize(table.verticalHeader().minimumSectionSize())
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._resized_here)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda position: table.horizontalHeader().customContextMenuRequested.emit(position)
        )
        # a header click sorts the table (its indicator, then its sort)
        header.sectionClicked.connect(self._header_clicked)
        main_header = table.horizontalHeader()
        main_header.sortIndicatorChanged.connect(self._show_sort)
        main_header.sectionResized.connect(self._main_resized)
        # the table leads the vertical scrolling; this view's own range may lag behind
        # while rows arrive (a value clamped to it must not pull the table back)
        ours, theirs = self.verticalScrollBar(), table.verticalScrollBar()
        theirs.valueChanged.connect(ours.setValue)
        ours.rangeChanged.connect(lambda _low, _high: ours.setValue(theirs.value()))
        ours.valueChanged.connect(self._scrolled_here)
        self.doubleClicked.connect(table.doubleClicked.emit)
        model = table.model()
        for signal in (model.columnsInserted, model.modelReset, model.layoutChanged):
            signal.connect(self.sync_columns)
        table.viewport().stackUnder(self)
        self.sync_columns()
        self._show_sort(main_header.sortIndicatorSection(), main_header.sortIndicatorOrder())
        self.show()

    def sync_columns(self, *_args: object, hiding: int = -1) -> None:
        """Show only the table's first visible column (the user may hide one;
        ``hiding``: a column being hidden, not flagged so yet)."""
        table, header = self.table, self.table.horizontalHeader()
        visible = [
            column
            for column in map(header.logicalIndex, range(header.count()))
            if column != hiding and not header.isSectionHidden(column)
        ]
        self.column = visible[0] if visible else 0
        self._following = True
        try:
            for column in range(self.model().columnCount()):
                self.setColumnHidden(column, column != self.column)
            self.setColumnWidth(self.column, table.columnWidth(self.column))
        finally:
            self._following = False
        delegate = table.itemDelegateForColumn(self.column)
        if delegate is not None:
            self.setItemDelegateForColumn(self.column, delegate)
        self.setVisible(bool(visible))
        self.update_geometry()

    def update_geometry(self) -> None:
        """Over the table's first column, from its header to the bottom of its rows
        (the horizontal scroll bar below stays the table's)."""
        table = self.table
        viewport = table.viewport().geometry()
        header = table.horizontalHeader()
        self.horizontalHeader().setFixedHeight(header.height())
        self.setGeometry(
            viewport.x(),
            header.y(),
            table.columnWidth(self.column),
            viewport.height() + header.height(),
        )

    def _main_resized(self, column: int, old: int, new: int) -> None:
        if column == self.column and new > 0:
            self._following = True
            try:
                self.setColumnWidth(column, new)
            finally:
                self._following = False
            self.update_geometry()
        elif new == 0 or old == 0:  # hidden or shown again: the first column may change
            self.sync_columns(hiding=column if new == 0 else -1)

    def _resized_here(self, column: int, _old: int, new: int) -> None:
        """The user dragged the overlay's header edge: the table's column follows."""
        if self._following or column != self.column or new <= 0:
            return
        if self.table.columnWidth(column) != new:
            self.table.setColumnWidth(column, new)

    def _scrolled_here(self, value: int) -> None:
        """A drag-select past the overlay's edge scrolled it: the table follows, if the
        two agree on the range (else this is a clamp to a range not updated yet)."""
        ours, theirs = self.verticalScrollBar(), self.table.verticalScrollBar()
        if value != theirs.value() and ours.maximum() == theirs.maximum():
            theirs.setValue(value)

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        """Nothing: the table, on the same selection, brings a new current row into
        sight (and this view follows its scroll bar). Scrolling here first pulled the
        table along at once, past its own choice of when to scroll (a jump scrolls
        after the alert is drawn: ``AlertTable._scroll_after_the_alert``)."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        """The wheel over the overlay scrolls the table (which then scrolls this)."""
        QCoreApplication.sendEvent(self.table.viewport(), event)

    def _header_clicked(self, column: int) -> None:
        header = self.table.horizontalHeader()
        ascending = Qt.SortOrder.AscendingOrder
        order = ascending
        if header.sortIndicatorSection() == column and header.sortIndicatorOrder() == ascending:
            order = Qt.SortOrder.DescendingOrder
        self.table.sortByColumn(column, order)

    def _show_sort(self, column: int, order: Qt.SortOrder) -> None:
        self.horizontalHeader().setSortIndicator(column, order)
