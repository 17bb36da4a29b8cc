"""Saved filters, the filter history and watches in a real window (issue 14): a filter
saved as a watch through the filter bar's menu and dialog, real packets stored and
handed to the window as the stream worker hands its batches, one notification per
batch (a burst: one), highlighted rows, and everything back after a restart."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
from alertview.gui.saved_filters_dialog import ManageFiltersDialog, SaveFilterDialog
from alertview.gui.table_model import HIGHLIGHT_COLOUR
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, SHARED

GREEN = 'band == "g"'


@pytest.fixture(scope="module")
def alerts():
    return [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]


def choose_from_menu(qtbot, window, text: str) -> None:
    """Click the filter bar's "Saved" button and, in the menu it opens, ``text``."""
    bar = window.filter_bar
    chosen: list[str] = []

    def choose() -> None:
        menu = bar.filters_menu
        if not menu.isVisible():
            QTimer.singleShot(20, choose)
            return
        for action in menu.actions():
            if action.text().startswith(text):
                chosen.append(action.text())
                menu.hide()
                action.trigger()
                return
        menu.hide()

    QTimer.singleShot(20, choose)
    qtbot.mouseClick(bar.filters_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(chosen) or not bar.filters_menu.isVisible(), timeout=5000)
    assert chosen, [a.text() for a in bar.filters_menu.actions()]


def stream_batch(window, alerts) -> list[tuple]:
    """Store ``alerts`` and give the window their rows as the stream worker does."""
    rows = window.store.add_rows(alerts)
    window.session.batches_stored(rows, len(alerts), 0)
    return rows


def highlighted_rows(window) -> set[int]:
    model = window.model
    shown = range(model.rowCount())
    colour = [model.data(model.index(r, 1), Qt.ItemDataRole.BackgroundRole) for r in shown]
    return {model.row_id(r) for r in shown if colour[r] == HIGHLIGHT_COLOUR}


def greens(rows, alerts) -> list[int]:
    by_id = {a.alert_id: a for a in alerts}
    return [r[0] for r in rows if by_id[r[2]].band == "g"]


def test_a_saved_watch_tells_once_per_batch_highlights_and_survives_a_restart(
    window, qtbot, alerts, tmp_path
):
    watches = window.watches
    watches.controller.interval = 0.3  # seconds between two messages (5 in the app)
    told: list[str] = []
    watches.notifier.notified.connect(told.append)
    stream_batch(window, alerts[:10])  # before any watch: nothing said
    qtbot.keyClicks(window.filter_edit, GREEN)
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.filter_bar.history.stringList() == [GREEN]

    choose_from_menu(qtbot, window, "Save filter as")
    dialog = watches.dialog
    assert isinstance(dialog, SaveFilterDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "green ones")
    qtbot.mouseClick(
        dialog.watch_box, Qt.MouseButton.LeftButton, pos=dialog.watch_box.rect().center()
    )
    assert dialog.watch_box.isChecked()
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    assert not dialog.isVisible()
    (saved,) = watches.saved.filters
    assert (saved.name, saved.expression, saved.watch) == ("green ones", GREEN, True)
    window.filter_edit.clear()  # every row in the table
    assert told == []

    # a batch: one message, at once, with its count and first match
    rows = stream_batch(window, alerts[10:30])
    new = greens(rows, alerts)
    assert new
    qtbot.waitUntil(lambda: len(told) == 1, timeout=5000)
    assert told[0].startswith(f"watch green ones: {len(new)} new alert")
    assert window.statusBar().currentMessage() == told[0]  # no tray offscreen
    assert highlighted_rows(window) == set(new)
    assert window.filter_bar.filters_button.text() == f"Saved ({len(new)} new)"

    # a burst of batches right after: one message for them all, a moment later
    burst = stream_batch(window, alerts[30:40]) + stream_batch(window, alerts[40:50])
    assert len(told) == 1
    later = greens(burst, alerts)
    qtbot.waitUntil(lambda: len(told) == 2, timeout=5000)
    assert told[1].startswith(f"watch green ones: {len(later)} new alert")
    qtbot.wait(500)
    assert len(told) == 2  # and nothing more
    assert highlighted_rows(window) == set(new + later)

    # selecting a highlighted row: seen, its highlight goes
    first_row = next(r for r in range(window.model.rowCount()) if window.model.row_id(r) == new[0])
    window.table.select_row(first_row)
    assert highlighted_rows(window) == set(new[1:] + later)
    assert window.filter_bar.filters_button.text() == f"Saved ({len(new) + len(later) - 1} new)"

    # restart: the saved watch and the history are back; the stored rows tell nothing
    from alertview.gui.main_window import MainWindow

    window.close()
    window.store.close()
    store = AlertStore(tmp_path / "session")
    again = MainWindow(store)
    qtbot.addWidget(again)
    again.watches.controller.interval = 0.3
    told_again: list[str] = []
    again.watches.notifier.notified.connect(told_again.append)
    again.show()
    qtbot.waitUntil(lambda: again.model.total == 50, timeout=10000)
    assert again.watches.saved.filters == [saved]
    assert again.filter_bar.history.stringList() == [GREEN]
    qtbot.wait(400)
    assert told_again == [] and highlighted_rows(again) == set()
    rows = stream_batch(again, alerts[50:])
    qtbot.waitUntil(lambda: len(told_again) == 1, timeout=5000)
    last = greens(rows, alerts)
    if last:
        assert told_again[0].startswith(f"watch green ones: {len(last)} new alert")
    again.close()
    store.close()


def test_manage_renames_unwatches_and_deletes(window, qtbot, alerts):
    watches = window.watches
    for name, expression in (("bright", "mag < 17"), ("red", 'band == "r"')):
        window.filter_edit.setText(expression)
        qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
        choose_from_menu(qtbot, window, "Save filter as")
        qtbot.keyClicks(watches.dialog.name_edit, name)
        watches.dialog.watch_box.setChecked(True)
        watches.dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert window.filter_bar.history.stringList() == ['band == "r"', "mag < 17"]
    window.filter_edit.clear()
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Down)  # Down lists the history
    popup = window.filter_bar.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert popup.model().rowCount() == 2
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    choose_from_menu(qtbot, window, "bright")  # a saved filter applies on click
    assert window.filter_edit.text() == "mag < 17"
    assert window.model.alert_filter is not None
    assert window.model.alert_filter.expression == "mag < 17"

    choose_from_menu(qtbot, window, "Manage")
    dialog = watches.dialog
    assert isinstance(dialog, ManageFiltersDialog)
    table = dialog.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["bright", "red"]
    table.item(0, 0).setText("very bright")  # as the name cell's editor does
    table.item(1, 2).setCheckState(Qt.CheckState.Unchecked)
    assert [(f.name, f.watch) for f in watches.saved.filters] == [
        ("very bright", True),
        ("red", False),
    ]
    table.item(1, 0).setText("very bright")  # a name in use: refused in one line
    assert dialog.error_label.text() == "a saved filter is already called 'very bright'"
    table.setCurrentCell(1, 0)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert watches.saved.names() == ["very bright"]
    dialog.close()
    stream_batch(window, alerts[:20])
    bright = sum((a.mag or 99) < 17 for a in alerts[:20])
    qtbot.waitUntil(lambda: window.filter_bar.filters_button.text() != "Saved", timeout=5000)
    assert window.filter_bar.filters_button.text() == f"Saved ({bright} new)"


def test_files_opened_after_a_watch_is_set_tell_once(window, qtbot):
    told: list[str] = []
    window.watches.notifier.notified.connect(told.append)
    window.watches.controller.save("rubin", 'survey == "lsst"', watch=True)
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])
    qtbot.waitUntil(lambda: len(told) == 1, timeout=5000)
    assert told[0].startswith("watch rubin: 7 new alerts (first: ")
    for paths in ([FINK_LSST_TRANSFER], [FINK_ZTF_MULTI]):  # nothing new, or no match
        with qtbot.waitSignal(window.import_finished, timeout=30000):
            window.open_paths(paths)
    qtbot.wait(300)
    assert len(told) == 1 and window.model.total == 18
    assert len(highlighted_rows(window)) == 7
