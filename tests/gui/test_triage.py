"""Scanning with the keyboard on real windows and real packets: the triage keys, notes
and tags reach the column and the session, survive a reopen, filter the table, go
into exports; next unscanned visits each untriaged alert once."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QPlainTextEdit,
)

from alertview.core.alert import Origin
from alertview.core.decode import decode_bytes
from alertview.core.session.folder import Session
from alertview.gui.session_windows import open_window
from alertview.gui.table_model import COLUMNS
from alertview.gui.triage_actions import TagsDialog
from tests.conftest import DATA
from tests.stream.kafka_data import ztf_messages

TRIAGE = [c.field for c in COLUMNS].index("triage")
#: Real ZTF packets again under new alert ids: objects with two and three alerts.
REPEATS = 110


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def packets(tmp_path):
    """The bundled packets, and a folder of the ZTF ones renumbered (one file each)."""
    folder = tmp_path / "repeats"
    folder.mkdir()
    for number, (_key, value) in enumerate(ztf_messages(REPEATS)):
        (folder / f"{number}.avro").write_bytes(value)
    return [DATA, folder]


@pytest.fixture
def app():
    from alertview.gui.app import make_application

    return make_application()


def scan_window(packets=None):
    window = open_window(Session.named("scan"))
    if packets:
        window.open_paths(packets).wait_done(60)
        QApplication.processEvents()
    window.table.setFocus()
    return window


def close(window) -> None:
    window.close()
    QApplication.processEvents()


def cell(window, row: int, role=Qt.ItemDataRole.DisplayRole):
    return window.model.index(row, TRIAGE).data(role)


def press(window, qtbot, row: int, key, modifier=Qt.KeyboardModifier.NoModifier) -> int:
    """Select table row ``row`` and press ``key`` on the table; returns its alert id."""
    window.activateWindow()  # back from a dialog
    window.table.setFocus()  # as a click on the row gives it
    qtbot.waitUntil(window.table.hasFocus)
    window.select_row(row)
    alert_id = window.model.field(row, "alert_id")
    qtbot.keyClick(window.table, key, modifier)
    return alert_id


def row_of(window, alert_id: int) -> int:
    (row,) = window.model.rows_of_alert(alert_id)
    return row


def states(window) -> dict[int, str | None]:
    """Alert id -> triage state as the table's columns hold it."""
    model = window.model
    return {
        model.columns.value(p, "alert_id"): model.columns.value(p, "triage")
        for p in range(model.total)
    }


def shown_ids(window) -> set[int]:
    return {window.model.field(r, "alert_id") for r in range(window.model.rowCount())}


def apply_filter(window, text: str) -> None:
    window.filter_edit.setText(text)
    window.apply_filter()


def finish(dialog, qtbot) -> None:
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_triage_keys_notes_and_tags_last_filter_and_export(
    app, qtbot, packets, tmp_path, monkeypatch
):
    window = scan_window(packets)
    total = window.model.total
    assert total > REPEATS  # the bundled 57 and the renumbered ZTF ones
    try:
        interesting = press(window, qtbot, 0, Qt.Key.Key_I)
        assert cell(window, 0) == "interesting"
        marker = cell(window, 0, Qt.ItemDataRole.DecorationRole)  # drawn the same selected
        assert (
            marker.pixmap(12, 12, QIcon.Mode.Selected).toImage()
            == marker.pixmap(12, 12, QIcon.Mode.Normal).toImage()
        )
        followup = press(window, qtbot, 1, Qt.Key.Key_F)
        press(window, qtbot, 2, Qt.Key.Key_R)
        cleared = press(window, qtbot, 3, Qt.Key.Key_I)
        press(window, qtbot, 3, Qt.Key.Key_Backspace)
        assert cell(window, 3) == "" and states(window)[cleared] is None
        # Shift+R: every alert of the selected alert's object
        objects = [window.model.field(r, "object_id") for r in range(total)]
        repeated = next(r for r in range(4, total) if objects[r] and objects.count(objects[r]) > 1)
        press(window, qtbot, repeated, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
        object_id = objects[repeated]
        of_object = {
            window.model.field(r, "alert_id") for r in range(total) if objects[r] == object_id
        }
        assert len(of_object) >= 2
        assert all(states(window)[a] == "reject" for a in of_object)

        # a note on the follow-up alert: N opens the dialog, OK keeps it
        press(window, qtbot, row_of(window, followup), Qt.Key.Key_N)
        dialog = window.triage_dialog
        assert isinstance(dialog, QInputDialog) and dialog.isVisible()
        editor = dialog.findChild(QPlainTextEdit)  # a long note wraps in the box
        assert editor.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
        dialog.setTextValue("fading fast\ncheck tomorrow")
        finish(dialog, qtbot)
        assert window.triage_dialog is None
        # tags on it, then on the interesting one: the second dialog completes the first's
        press(window, qtbot, row_of(window, followup), Qt.Key.Key_T)
        dialog = window.triage_dialog
        assert isinstance(dialog, TagsDialog) and dialog.edit.text() == ""
        qtbot.keyClicks(dialog.edit, "SN-candidate, bright")
        finish(dialog, qtbot)
        press(window, qtbot, row_of(window, interesting), Qt.Key.Key_T)
        dialog = window.triage_dialog
        completer = dialog.edit.completer()
        assert completer.model().stringList() == ["bright", "sn-candidate"]
        qtbot.keyClicks(dialog.edit, "bright, sn")
        # the word being typed is completed, the words before it stay
        assert completer.completionCount() == 1  # "sn" matched, "bright, sn" would not
        assert completer.currentCompletion() == "bright, sn-candidate"
        dialog.edit.setText("followup")
        finish(dialog, qtbot)
        row = row_of(window, followup)
        assert cell(window, row) == "follow-up ✎ #bright #sn-candidate"
        tip = cell(window, row, Qt.ItemDataRole.ToolTipRole)
        assert "tags: bright, sn-candidate" in tip and "fading fast<br>check tomorrow" in tip

        # typing in the filter box triages nothing
        before = states(window)
        window.filter_edit.setFocus()
        qtbot.keyClicks(window.filter_edit, "rif")
        assert states(window) == before
        window.filter_edit.clear()

        triaged = 3 + len(of_object)
        qtbot.waitUntil(
            lambda: (
                window.triage.view.counter.text() == f"{triaged} scanned · {total - triaged} left"
            )
        )
        keep = {a for a, s in states(window).items() if s != "reject"}
        apply_filter(window, 'triage != "reject"')
        assert shown_ids(window) == keep and window.model.rowCount() == total - 1 - len(of_object)
        qtbot.waitUntil(
            lambda: window.triage.view.counter.text() == f"2 scanned · {len(keep) - 2} left"
        )
        apply_filter(window, 'tag == "followup"')  # a state or a tag
        assert shown_ids(window) == {followup, interesting}
        apply_filter(window, 'tag == "bright" and note != ""')
        assert shown_ids(window) == {followup}
        # rejecting a row under a filter on triage: it leaves, the cursor stays on its row
        apply_filter(window, 'triage == "unscanned"')
        left = window.model.rowCount()
        gone = press(window, qtbot, 5, Qt.Key.Key_R)
        assert window.model.rowCount() == left - 1 and gone not in shown_ids(window)
        assert window.table.currentIndex().row() == 5
        apply_filter(window, "")

        # File > Export of a selection carries the triage: columns in a table, a sidecar
        # beside Avro packets
        export_and_check(window, tmp_path, monkeypatch, [interesting, followup, cleared, gone])
    finally:
        close(window)

    again = scan_window()
    try:
        assert states(again) == {**before, gone: "reject"}
        row = row_of(again, followup)
        assert cell(again, row) == "follow-up ✎ #bright #sn-candidate"
        tip = cell(again, row, Qt.ItemDataRole.ToolTipRole)
        assert "tags: bright, sn-candidate" in tip and "check tomorrow" in tip
        assert again.model.field(row_of(again, interesting), "tags") == "followup"
        apply_filter(again, 'tag == "followup"')
        assert shown_ids(again) == {followup, interesting}
        qtbot.waitUntil(lambda: again.triage.view.counter.text() == "2 scanned · 0 left")
    finally:
        close(again)


def export(window, monkeypatch, dest, choice: str) -> dict[int, dict[str, str]]:
    """File > Export selection to ``dest`` as ``choice``; the triage CSV's rows by alert id."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(dest), choice))
    window._ask_export()
    # Avro: a container per writer schema (scanned.avro or scanned-1.avro...), each with
    # its sidecar
    tables = sorted(dest.parent.glob(f"{dest.stem}*.avro.triage.csv")) if ".avro" in choice else []
    assert tables or ".avro" not in choice
    rows = {}
    for table in tables or [dest]:
        with table.open(newline="") as exported:
            rows.update({int(r["alert_id"]): r for r in csv.DictReader(exported)})
    return rows


def export_and_check(window, tmp_path, monkeypatch, alert_ids: list[int]) -> None:
    selection = window.table.selectionModel()
    window.table.clearSelection()
    for alert_id in alert_ids:
        index = window.model.index(row_of(window, alert_id), 0)
        selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    for dest, choice in (
        (tmp_path / "scanned.csv", "CSV table (*.csv)"),
        (tmp_path / "scanned.avro", "Avro packets (*.avro)"),
    ):
        rows = export(window, monkeypatch, dest, choice)
        assert set(rows) == set(alert_ids)
        interesting, followup, unscanned, rejected = (rows[a] for a in alert_ids)
        assert (interesting["triage"], interesting["tags"]) == ("interesting", "followup")
        assert (followup["triage"], followup["tags"]) == ("followup", "bright, sn-candidate")
        assert followup["note"] == "fading fast\ncheck tomorrow"
        assert unscanned["triage"] == "unscanned" and rejected["triage"] == "reject"


def test_next_unscanned_visits_every_untriaged_alert_once(app, qtbot, packets):
    window = scan_window(packets)
    try:
        model, table = window.model, window.table
        table.sortByColumn([c.field for c in COLUMNS].index("mag"), Qt.SortOrder.AscendingOrder)
        for row in (0, 4, 9, 30):
            press(window, qtbot, row, Qt.Key.Key_F)
        untriaged = [a for a, s in states(window).items() if s is None]
        table.clearSelection()
        table.selectionModel().clearCurrentIndex()
        visited = []
        for number in range(len(untriaged)):
            key = Qt.Key.Key_Space if number % 2 else Qt.Key.Key_J
            qtbot.keyClick(table, key)
            visited.append(model.field(table.currentIndex().row(), "alert_id"))
        assert len(visited) == len(set(visited)) == len(untriaged)
        assert set(visited) == set(untriaged)
        rows = [row_of(window, a) for a in visited]
        assert rows == sorted(rows)  # in table order from the top
        qtbot.keyClick(table, Qt.Key.Key_Space)  # round again from the top
        assert model.field(table.currentIndex().row(), "alert_id") == visited[0]
        counter = window.triage.view.counter
        qtbot.waitUntil(lambda: counter.text() == f"4 scanned · {len(untriaged)} left")

        # rows arriving from a stream are counted as left
        alerts = []
        for offset, (key, value) in enumerate(ztf_messages(REPEATS + 20)[REPEATS:]):
            origin = Origin("ztf", 0, "ztf", 0, offset)
            alerts += decode_bytes(value, window.cache, origin=origin, key=key)
        window.session.batches_stored(window.store.add_rows(alerts), len(alerts), 0)
        qtbot.waitUntil(lambda: counter.text() == f"4 scanned · {len(untriaged) + 20} left")
    finally:
        close(window)
