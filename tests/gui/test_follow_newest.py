"""The "Follow newest" choice on a live table: rows arrive as the stream's batches do (stored, then
handed to the session controller), and the row the user is on stays where it is."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QCursor

from alertview.controllers.follow import Attention
from alertview.core.alert import Origin
from alertview.core.decode import decode_bytes
from alertview.gui.table_model import COLUMNS
from tests.stream.kafka_data import ztf_messages

BATCH = 40


def live_batches(window, count: int) -> list[list[tuple]]:
    """``count`` batches of distinct real ZTF alerts, stored as the stream stores them."""
    messages = ztf_messages(BATCH * count)
    batches = []
    for start in range(0, len(messages), BATCH):
        alerts = []
        for offset, (key, value) in enumerate(messages[start : start + BATCH], start):
            origin = Origin("ztf", 0, "ztf", 0, offset)
            alerts.extend(decode_bytes(value, window.cache, origin=origin, key=key))
        batches.append(window.store.add_rows(alerts))
    return batches


def arrive(window, rows: list[tuple]) -> None:
    """One live batch, by the worker's path (``batches_stored``)."""
    window.session.batches_stored(rows, len(rows), 0)


def top_of(window, alert_id: int) -> int:
    """Where ``alert_id``'s row is drawn in the table's viewport."""
    (row,) = window.model.rows_of_alert(alert_id)
    return window.table.rowViewportPosition(row)


def selected_alert(window) -> int:
    current = window.table.currentIndex()
    assert window.table.selectionModel().isRowSelected(current.row(), current.parent())
    return window.model.field(current.row(), "alert_id")


def test_new_rows_neither_take_the_selection_nor_scroll_it_away(window, qtbot):
    batches = live_batches(window, 7)
    window.follow_action.setChecked(True)
    arrive(window, batches[0])
    arrive(window, batches[1])
    table, model = window.table, window.model
    # nothing selected: the newest row comes in sight
    assert table.attention().newest_in_sight
    assert table.verticalScrollBar().value() > 0

    # the user selects a row in sight: batches come, the row stays put, selected
    row = table.rowAt(table.viewport().height() // 2)
    window.select_row(row)
    alert, top = selected_alert(window), table.rowViewportPosition(row)
    arrive(window, batches[2])
    assert model.rowCount() == 3 * BATCH
    assert selected_alert(window) == alert and top_of(window, alert) == top
    assert not table.attention().newest_in_sight  # not followed: the user is on a row

    # re-sorted (newest MJD first): the same alert stays selected
    table.sortByColumn([c.field for c in COLUMNS].index("mjd"), Qt.SortOrder.DescendingOrder)
    assert selected_alert(window) == alert
    table.scrollTo(table.currentIndex())
    top = top_of(window, alert)
    # rows sorted in above it (equal MJDs: ZTF's packets cycled) leave it where it is
    before = [model.field(r, "alert_id") for r in range(model.rowCount())].index(alert)
    arrive(window, batches[3])
    after = model.rows_of_alert(alert)[0]
    assert after > before  # rows did arrive above it
    assert selected_alert(window) == alert and top_of(window, alert) == top

    # the user on the newest row stays on it: new rows come, the selection and the
    # details stay on the alert looked at, and a triage key marks that one
    window.select_row(model.newest_row())
    # out of sight: the table scrolls to it once its alert is drawn
    qtbot.waitUntil(lambda: table.attention().newest_in_sight)
    alert = selected_alert(window)
    top = top_of(window, alert)
    arrive(window, batches[4])
    assert model.field(model.newest_row(), "alert_id") == batches[4][-1][2] != alert
    assert selected_alert(window) == alert and top_of(window, alert) == top
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_I)
    columns = model.columns
    triaged = {
        columns.value(p, "alert_id"): columns.value(p, "triage")
        for p in range(model.total)
        if columns.value(p, "triage")
    }
    assert triaged == {alert: "interesting"}  # the alert looked at, not the newest

    # nothing selected, the newest row in sight, but the pointer over the table: no
    # scrolling (in arrival order the new rows go below, out of sight)
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    table.clearSelection()
    table.scroll_to_newest()
    assert table.attention() == Attention(newest_in_sight=True)
    QCursor.setPos(table.viewport().mapToGlobal(QPoint(40, 60)))
    qtbot.mouseMove(table.viewport(), QPoint(40, 60))
    assert table.attention().pointer_over
    first, scrolled = model.field(table.rowAt(60), "alert_id"), table.verticalScrollBar().value()
    arrive(window, batches[5])
    assert model.field(table.rowAt(60), "alert_id") == first
    assert table.verticalScrollBar().value() == scrolled
    assert not table.attention().newest_in_sight
    # the pointer gone, following starts again when the user comes back to the newest row
    QCursor.setPos(window.filter_edit.mapToGlobal(QPoint(5, 5)))
    qtbot.mouseMove(window.filter_edit)
    table.scroll_to_newest()
    arrive(window, batches[6])
    assert table.attention().newest_in_sight and model.newest_row() == 7 * BATCH - 1


def test_a_whole_table_selected_is_read_from_its_ranges_not_row_by_row(window, qtbot):
    """Ctrl+A on 10^6 rows: ``selectedRows()`` would build 10^6 indexes for each batch
    (Follow newest asks whether a row is selected) and for each export or triage."""
    batches = live_batches(window, 3)
    window.follow_action.setChecked(True)
    arrive(window, batches[0])
    arrive(window, batches[1])
    table, model = window.table, window.model
    table.sortByColumn([c.field for c in COLUMNS].index("mjd"), Qt.SortOrder.DescendingOrder)
    selection = table.selectionModel()

    def row_by_row(*args):
        raise AssertionError("selectedRows() builds an index per selected row")

    selection.selectedRows = row_by_row
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    in_table_order = [model.row_id(r) for r in range(model.rowCount())]
    assert table.selected_row_ids() == in_table_order == window.selected_rows()
    assert sorted(in_table_order) == [r[0] for b in batches[:2] for r in b]
    scrolled = table.verticalScrollBar().value()
    assert table.attention().selected
    arrive(window, batches[2])  # rows selected: not followed
    assert table.verticalScrollBar().value() == scrolled
    in_table_order = [model.row_id(r) for r in range(model.rowCount())]
    # two ranges, one row in both: each selected row once, in table order
    table.select_row(2)
    flags = QItemSelectionModel.SelectionFlag
    for row in (3, 4, 4, 7):
        selection.select(model.index(row, 0), flags.Select | flags.Rows)
    assert table.selected_row_ids() == [in_table_order[r] for r in (2, 3, 4, 7)]
    table.clearSelection()
    assert not table.attention().selected and table.selected_row_ids() == []
