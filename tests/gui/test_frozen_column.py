"""The alert table's first column stays in sight when it scrolls sideways: a second view
over its left edge (Qt's frozen-column example), on the same model and selection."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from alertview.gui.table_model import COLUMNS
from tests.conftest import SHARED


def column(name):
    return [c.header for c in COLUMNS].index(name)


def open_shared(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    table = window.table
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() > 0, timeout=5000)
    return table


def scroll_far_right(table):
    bar = table.horizontalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > table.columnWidth(0)  # the table's own first column is gone


def test_first_column_stays_at_the_left_edge_when_scrolled_right(window, qtbot):
    table = open_shared(window, qtbot)
    frozen = table.frozen
    scroll_far_right(table)
    assert table.columnViewportPosition(0) < 0
    # what is at x=0 of the table's rows is the overlay's first column
    viewport = table.viewport()
    inside = viewport.geometry().topLeft() + QPoint(3, 3)
    assert table.childAt(inside) is frozen.viewport()
    assert frozen.viewport().mapTo(table, QPoint(0, 0)) == viewport.geometry().topLeft()
    assert frozen.indexAt(QPoint(3, 3)).column() == 0
    assert frozen.width() == table.columnWidth(0)
    # its header over the table's header, and it stops above the horizontal scroll bar
    assert frozen.horizontalHeader().height() == table.horizontalHeader().height()
    bottom = frozen.mapTo(table, QPoint(0, frozen.height()))
    assert bottom.y() == viewport.geometry().bottom() + 1
    # only the first column is shown in it, broker columns met later too
    shown = [c for c in range(window.model.columnCount()) if not frozen.isColumnHidden(c)]
    assert shown == [0]


def test_frozen_rows_stay_aligned_while_scrolling_down(window, qtbot):
    table = open_shared(window, qtbot)
    frozen = table.frozen
    window.resize(1500, 500)
    qtbot.waitUntil(lambda: table.verticalScrollBar().maximum() > 0, timeout=5000)
    scroll_far_right(table)
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    assert frozen.verticalScrollBar().value() == table.verticalScrollBar().value()
    for row in (0, 10, window.model.rowCount() - 1):
        assert frozen.rowViewportPosition(row) == table.rowViewportPosition(row)
        assert frozen.rowHeight(row) == table.rowHeight(row)
    # the wheel over the overlay scrolls the table, and the overlay with it
    before = table.verticalScrollBar().value()
    at = QPointF(5, 50)
    wheel = QWheelEvent(
        at, frozen.viewport().mapToGlobal(at), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(frozen.viewport(), wheel)
    assert table.verticalScrollBar().value() < before
    assert frozen.verticalScrollBar().value() == table.verticalScrollBar().value()
    assert frozen.rowViewportPosition(5) == table.rowViewportPosition(5)


def test_selection_is_shared_both_ways(window, qtbot):
    table = open_shared(window, qtbot)
    frozen = table.frozen
    assert frozen.model() is table.model()
    assert frozen.selectionModel() is table.selectionModel()
    scroll_far_right(table)
    # a click on the overlay selects the row in the table, and its alert is shown; the
    # table takes the focus (from the filter box here), so a triage key marks that row
    window.activateWindow()
    window.filter_edit.setFocus()
    qtbot.waitUntil(window.filter_edit.hasFocus, timeout=2000)
    row = 4
    where = frozen.visualRect(frozen.model().index(row, 0)).center()
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        qtbot.mouseClick(frozen.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert table.currentIndex().row() == row
    assert table.selectionModel().isRowSelected(row)
    assert window.selected_rows() == [window.model.row_id(row)]
    assert table.hasFocus()
    qtbot.keyClick(table, Qt.Key.Key_I)
    assert window.model.field(row, "triage") == "interesting"
    # the keys stay on the table (triage keys need its focus): the overlay takes none
    assert frozen.focusPolicy() == Qt.FocusPolicy.NoFocus
    # Down on the table moves the selection the overlay shows
    table.setFocus()
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        qtbot.keyClick(table, Qt.Key.Key_Down)
    assert frozen.selectionModel().isRowSelected(row + 1)
    assert frozen.currentIndex().row() == row + 1


def test_frozen_header_sorts_and_follows_hidden_and_resized_columns(window, qtbot):
    table = open_shared(window, qtbot)
    frozen = table.frozen
    header = frozen.horizontalHeader()
    x = header.sectionViewportPosition(0) + header.sectionSize(0) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    main_header = table.horizontalHeader()
    assert main_header.sortIndicatorSection() == 0
    assert main_header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    ids = [window.model.field(r, "object_id") or "" for r in range(window.model.rowCount())]
    assert ids == sorted(ids) and ids[0] != ids[-1]  # by the frozen column: the object
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert main_header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    # resizing the table's first column resizes the overlay
    table.setColumnWidth(0, table.columnWidth(0) + 30)
    assert frozen.width() == table.columnWidth(0) == frozen.columnWidth(0)
    # the first column hidden in the chooser: the next one is frozen
    table.setColumnHidden(0, True)  # (the header says so at its next layout)
    qtbot.waitUntil(lambda: frozen.column == column("MJD"), timeout=2000)
    assert not frozen.isColumnHidden(column("MJD")) and frozen.isColumnHidden(0)
    assert frozen.width() == table.columnWidth(column("MJD"))
    table.setColumnHidden(0, False)
    qtbot.waitUntil(lambda: frozen.column == 0, timeout=2000)


def test_a_restored_layout_freezes_its_first_visible_column(window, qtbot, tmp_path):
    from alertview.core.session.store import AlertStore
    from alertview.gui.main_window import MainWindow
    from alertview.gui.window_settings import save_window_settings

    open_shared(window, qtbot)
    window.table.setColumnHidden(0, True)
    window.table.setColumnWidth(column("MJD"), 260)
    qtbot.waitUntil(lambda: window.table.frozen.column == column("MJD"), timeout=2000)
    save_window_settings(window)
    store = AlertStore(tmp_path / "second")
    second = MainWindow(store)
    qtbot.addWidget(second)
    try:
        second.show()
        second.restore_settings()
        frozen = second.table.frozen
        qtbot.waitUntil(lambda: frozen.column == column("MJD"), timeout=2000)
        assert frozen.width() == second.table.columnWidth(column("MJD")) == 260
        assert frozen.isColumnHidden(0) and not frozen.isColumnHidden(column("MJD"))
    finally:
        second.close()
        store.close()
