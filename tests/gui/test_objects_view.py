"""The Objects tab with real widgets: one row per object equal to a groupby of the
alert table, and the chosen object's merged light curve and filmstrip in time order."""

from __future__ import annotations

from collections import Counter

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit

from alertview.controllers.objects import ObjectLoaded
from tests.conftest import FINK_LSST_TRANSFER, SHARED
from tests.core.object_packets import OBJECT_ID, write_object_alerts

EARLIER = 4  # earlier alerts of ZTF19acihgng rebuilt from its history


def open_with_object(window, qtbot, tmp_path):
    """The bundled packets and the earlier alerts of one object, in the window."""
    paths = write_object_alerts(tmp_path, EARLIER)[1:]
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([SHARED, *paths])


def show_objects(window, qtbot):
    """Click the Objects tab; its table is built at once."""
    bar = window.left_tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert window.left_tabs.currentWidget() is window.objects
    qtbot.waitUntil(lambda: window.objects.model.rowCount() > 0, timeout=5000)


def table_groupby(window) -> Counter:
    """Alerts per (object, survey) of the rows the alert table shows, read from its cells."""
    model = window.model
    counts = Counter()
    for row in range(model.rowCount()):
        object_id = model.field(row, "object_id")
        if object_id:
            counts[(object_id, model.field(row, "survey"))] += 1
    return counts


def objects_shown(window) -> Counter:
    model = window.objects.model
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    cell = lambda row, name: model.index(row, header.index(name)).data()  # noqa: E731
    return Counter(
        {
            (cell(r, "Object"), cell(r, "Survey")): int(cell(r, "Alerts"))
            for r in range(model.rowCount())
        }
    )


def row_of_object(window, object_id) -> int:
    """The object's row in the objects table, scrolled into sight."""
    model = window.objects.model
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == object_id:
            window.objects.table.scrollTo(model.index(row, 0))
            return row
    raise AssertionError(f"{object_id} not in the objects table")


def choose(window, qtbot, object_id):
    """Click the object's row; wait for its frames (the second result of the decode)."""
    view = window.objects
    row = row_of_object(window, object_id)
    rect = view.table.visualRect(view.model.index(row, 0))
    with qtbot.waitSignal(
        view._loaded, timeout=20000, check_params_cb=lambda r: r.frames is not None
    ):
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(view.filmstrip.frames) > 0, timeout=5000)


def test_objects_count_as_a_groupby_of_the_table_and_follow_the_filter(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([SHARED])
    show_objects(window, qtbot)
    assert objects_shown(window)[(OBJECT_ID, "ztf")] == 1
    # rows arriving while the tab is on screen: the table follows (throttled)
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths(write_object_alerts(tmp_path, EARLIER)[1:])
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=10000)
    expected = table_groupby(window)
    assert objects_shown(window) == expected
    assert expected[(OBJECT_ID, "ztf")] == EARLIER + 1
    # 61 alerts: the prototype has no object; two Rubin ones are asteroids (designations)
    assert len(expected) == 56
    assert ("2004 JQ12", "lsst") in expected
    # a filter on the alert table: the objects of the alerts it passes, rebuilt at once
    window.filter_edit.setText('band == "r"')
    window.apply_filter()
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=5000)
    assert objects_shown(window) != expected
    assert all(window.model.field(r, "band") == "r" for r in range(window.model.rowCount()))


def test_choosing_an_object_shows_its_filmstrip_in_time_order_and_blinks(window, qtbot, tmp_path):
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    choose(window, qtbot, OBJECT_ID)
    view = window.objects
    frames = view.filmstrip.frames
    assert len(frames) == EARLIER + 1 == len(view.filmstrip.rows)
    mjds = [f.mjd for f in frames]
    assert mjds == sorted(mjds) and len(set(mjds)) == len(mjds)
    # each frame is one alert of the object, with its three stamps drawn
    rows = [
        r
        for r in range(window.model.rowCount())
        if window.model.field(r, "object_id") == OBJECT_ID
    ]
    alert_mjds = sorted(window.model.field(r, "mjd") for r in rows)
    assert np.allclose(mjds, alert_mjds)
    for _, boxes in view.filmstrip.rows:
        assert all(image.image is not None for _, image in boxes.values())
    # the merged light curve: every detection once, DC magnitudes beside them
    counts = view.lightcurve.controller.counts
    detections = sum(n for key, n in counts.items() if key.startswith("detections"))
    assert detections == 33
    assert sum(n for key, n in counts.items() if key.startswith("dc ")) == 33
    view.lightcurve.dc_box.click()
    assert not any(key.startswith("dc ") for key in view.lightcurve.controller.counts)
    # blink: the newest frame, science then template, by the button and by the key
    assert view.filmstrip.shown == (frames[-1].alert_id, "science")
    before = view.filmstrip.blink_image.image.copy()
    view.filmstrip.blink_button.click()
    with qtbot.waitSignal(view.filmstrip.blinked, timeout=3000) as blinked:
        pass
    assert blinked.args == ["template"]
    assert view.filmstrip.shown == (frames[-1].alert_id, "template")
    assert not np.array_equal(view.filmstrip.blink_image.image, before)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_B)  # off again
    assert not view.filmstrip.blink_button.isChecked()
    assert view.filmstrip.shown[1] == "science"
    # a click on a triplet puts that alert in the blink panel
    box, _ = view.filmstrip.rows[0][1]["difference"]
    view.filmstrip.frame_clicked.emit(0)
    assert view.filmstrip.shown == (frames[0].alert_id, "science")
    assert box.isVisible()


def test_double_clicking_an_object_selects_its_newest_alert(window, qtbot, tmp_path):
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    view = window.objects
    row = row_of_object(window, OBJECT_ID)
    rect = view.table.visualRect(view.model.index(row, 0))
    # the click already shows the object's newest alert (at once when its decode is
    # quick, later when not); the double click then brings the Alerts tab forward
    with qtbot.waitSignal(window.alert_shown, timeout=20000) as shown:
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.left_tabs.currentIndex() == 0
    rows = [
        r
        for r in range(window.model.rowCount())
        if window.model.field(r, "object_id") == OBJECT_ID
    ]
    newest = max(rows, key=lambda r: window.model.field(r, "mjd"))
    assert shown.args == [window.model.field(newest, "alert_id")]
    assert window.table.selected_row_ids() == [window.model.row_id(newest)]


def test_a_stale_decode_is_not_shown(window, qtbot, tmp_path):
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    choose(window, qtbot, OBJECT_ID)
    view = window.objects
    stale = ObjectLoaded(view.controller.generation - 1, "other", None, (), "")
    assert not view.controller.show_loaded(stale)
    assert len(view.filmstrip.frames) == EARLIER + 1


def test_a_filter_that_drops_the_chosen_object_empties_its_panels(window, qtbot, tmp_path):
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    choose(window, qtbot, OBJECT_ID)
    view = window.objects
    view.filmstrip.blink_button.click()
    assert view.filmstrip.timer.isActive()
    window.filter_edit.setText(f'object_id != "{OBJECT_ID}"')
    window.apply_filter()
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=5000)
    assert OBJECT_ID not in {key[0] for key in objects_shown(window)}
    assert view.summary.text() == "Select an object."
    assert view.filmstrip.frames == () and view.filmstrip.rows == []
    assert view.filmstrip.shown is None and not view.filmstrip.timer.isActive()
    assert view.lightcurve.controller.alert is None
    assert not view.table.selectionModel().hasSelection()
    # another object can be chosen as before
    other = view.model.index(0, 0).data()
    choose(window, qtbot, other)
    assert view.summary.text().startswith(f"<b>{other}</b>")


def top_object(view) -> str:
    return view.model.index(view.table.rowAt(0), 0).data()


def arrive(window, qtbot, paths) -> None:
    """Alerts arriving, as from a stream; wait for the objects table to follow."""
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths(paths)
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=10000)


def test_a_rebuild_keeps_the_table_scrolled_and_the_object_selected(window, qtbot, tmp_path):
    """Rows arriving rebuild the table every few seconds: the objects in sight and the
    one chosen stay where the user left them, though the chosen one is out of sight and
    new objects sort in above."""
    rubin = FINK_LSST_TRANSFER
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([p for p in sorted(SHARED.rglob("*.avro")) if p != rubin])
    show_objects(window, qtbot)
    view = window.objects
    bar = view.table.verticalScrollBar()
    assert bar.maximum() > 20  # more objects than rows in sight
    bar.setValue(bar.maximum() // 2)
    chosen = view.model.index(view.table.rowAt(0) + 2, 0).data()
    choose(window, qtbot, chosen)
    bar.setValue(bar.maximum())  # the chosen object out of sight, above
    top, before = top_object(view), len(objects_shown(window))
    (chosen_row,) = view.table.selectionModel().selectedRows()
    assert view.table.rowAt(0) > chosen_row.row()
    # earlier alerts of one object: the same objects, rebuilt
    arrive(window, qtbot, write_object_alerts(tmp_path, EARLIER)[1:])
    assert objects_shown(window)[(OBJECT_ID, "ztf")] == EARLIER + 1
    assert top_object(view) == top
    (selected,) = view.table.selectionModel().selectedRows()
    assert selected.data() == chosen
    # Rubin alerts of new objects, newer than the top row's: they sort in above it
    top_mjd = view.model.index(view.table.rowAt(0), 4).data()
    arrive(window, qtbot, [rubin])
    assert len(objects_shown(window)) > before
    new_rows = [r for r in range(view.model.rowCount()) if view.model.index(r, 1).data() == "lsst"]
    assert any(float(view.model.index(r, 4).data()) > float(top_mjd) for r in new_rows)
    assert top_object(view) == top
    (selected,) = view.table.selectionModel().selectedRows()
    assert selected.data() == chosen
    assert len(view.filmstrip.frames) > 0  # its panels stay


def test_alerts_arriving_for_the_chosen_object_reload_its_panels(window, qtbot, tmp_path):
    """The demo's ZTF19acihgng rose to 26 alerts in its row while the panels below still
    said 20: a rebuild that counts more alerts of the chosen object decodes it again."""
    paths = write_object_alerts(tmp_path, EARLIER)[1:]
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([SHARED, *paths[:-2]])
    show_objects(window, qtbot)
    choose(window, qtbot, OBJECT_ID)
    view = window.objects
    assert len(view.filmstrip.frames) == EARLIER - 1
    view.filmstrip.blink_button.click()
    arrive(window, qtbot, paths[-2:])
    qtbot.waitUntil(lambda: len(view.filmstrip.frames) == EARLIER + 1, timeout=20000)
    assert f"{EARLIER + 1} alerts:" in view.summary.text()
    assert view.lightcurve.controller.alert is not None
    assert view.filmstrip.shown[0] == view.filmstrip.frames[-1].alert_id  # the newest
    assert view.filmstrip.blink_button.isChecked()  # still blinking
    (selected,) = view.table.selectionModel().selectedRows()
    assert selected.data() == OBJECT_ID


def newest_alert_of(window, object_id) -> int:
    model = window.model
    rows = [r for r in range(model.rowCount()) if model.field(r, "object_id") == object_id]
    return model.field(max(rows, key=lambda r: model.field(r, "mjd")), "alert_id")


def test_choosing_an_object_shows_its_newest_alert_in_the_inspection_pane(window, qtbot, tmp_path):
    """The right-hand pane follows the Objects tab: the object's newest alert is selected
    in the alert table (the tab and the focus stay on the objects, nothing loops back)."""
    bundled, *earlier = write_object_alerts(tmp_path, EARLIER)  # the bundled: its newest
    others = [p for p in sorted(SHARED.rglob("*.avro")) if p != bundled]
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([*others, *earlier])
    show_objects(window, qtbot)
    view = window.objects
    view.table.setFocus()
    row = row_of_object(window, OBJECT_ID)
    rect = view.table.visualRect(view.model.index(row, 0))
    newest = newest_alert_of(window, OBJECT_ID)
    with qtbot.waitSignal(window.alert_shown, timeout=20000) as shown:
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert shown.args == [newest]
    assert window.left_tabs.currentWidget() is view
    assert view.table.hasFocus()
    generation = view.controller.generation
    qtbot.waitUntil(lambda: len(view.filmstrip.frames) == EARLIER, timeout=20000)
    assert view.controller.generation == generation  # the alert table did not choose again
    (selected,) = view.table.selectionModel().selectedRows()
    assert selected.data() == OBJECT_ID
    # a newer alert of it arrives: the pane moves on to it (the user had not moved)
    with qtbot.waitSignal(window.alert_shown, timeout=30000) as shown:
        arrive(window, qtbot, [bundled])
    assert shown.args == [newest_alert_of(window, OBJECT_ID)] != [newest]
    assert window.left_tabs.currentWidget() is view and view.table.hasFocus()


def triage_cell(window, object_id) -> str:
    model = window.objects.model
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return model.index(row_of_object(window, object_id), header.index("Triage")).data()


def states_of(window, object_id) -> list:
    columns = window.model.columns
    return [columns.triage[int(p)] for p in columns.object_positions(object_id, "ztf")]


def test_triage_keys_in_the_objects_tab_mark_the_whole_object(window, qtbot, tmp_path):
    """I / F / R / 0 in the Objects tab did nothing: they mark every alert of the chosen
    object (as Shift+key on the alert table), and the Triage column counts them."""
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    choose(window, qtbot, OBJECT_ID)
    view = window.objects
    assert triage_cell(window, OBJECT_ID) == ""
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    assert states_of(window, OBJECT_ID) == ["reject"] * (EARLIER + 1)
    assert triage_cell(window, OBJECT_ID) == f"{EARLIER + 1} reject"
    assert window.left_tabs.currentWidget() is view  # nothing moved
    qtbot.keyClick(view.table, Qt.Key.Key_F)
    assert triage_cell(window, OBJECT_ID) == f"{EARLIER + 1} follow-up"
    # a triage on the alert table (one alert of it): the column follows
    rows = window.model.rows_of_alert(newest_alert_of(window, OBJECT_ID))
    window.table.select_row(rows[0])
    window.triage.mark("interesting")
    assert triage_cell(window, OBJECT_ID) == f"1 interesting, {EARLIER} follow-up"
    # sorted by it: the triaged object first
    model = view.model
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    view.table.sortByColumn(header.index("Triage"), Qt.SortOrder.DescendingOrder)
    assert model.index(0, 0).data() == OBJECT_ID
    # N: a note on every alert of it, the focus back on the objects
    qtbot.keyClick(view.table, Qt.Key.Key_N)
    dialog = window.triage_dialog
    assert dialog is not None and f"{EARLIER + 1} alerts of {OBJECT_ID}" in dialog.labelText()
    dialog.setTextValue("host galaxy?")
    dialog.accept()
    columns = window.model.columns
    notes = {columns.note[int(p)] for p in columns.object_positions(OBJECT_ID, "ztf")}
    assert notes == {"host galaxy?"}
    qtbot.waitUntil(view.table.hasFocus, timeout=3000)
    # 0 clears the states; nothing chosen: a message, nothing marked
    qtbot.keyClick(view.table, Qt.Key.Key_0)
    assert states_of(window, OBJECT_ID) == [None] * (EARLIER + 1)
    assert triage_cell(window, OBJECT_ID) == ""
    view.controller.clear()
    view.table.clearSelection()
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    assert states_of(window, OBJECT_ID) == [None] * (EARLIER + 1)
    assert window.statusBar().currentMessage() == "choose an object to triage first"
    # a current row without a selection (the focus given back, a filter) is no choice:
    # its object is not triaged behind the user's back
    row = row_of_object(window, OBJECT_ID)
    view.controller.choose(row)  # chosen as a current row is, with nothing selected
    assert view.controller.chosen is not None and not view.table.selectedIndexes()
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    assert states_of(window, OBJECT_ID) == [None] * (EARLIER + 1)
    # the note box wraps long notes here too
    view.table.selectRow(row)
    qtbot.keyClick(view.table, Qt.Key.Key_N)
    editor = window.triage_dialog.findChild(QPlainTextEdit)
    assert editor.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    window.triage_dialog.reject()


def test_counts_read_in_the_singular_and_headers_fit_after_a_filter(window, qtbot, tmp_path):
    """ "1 alert: 1 detections" read wrong; a filter that changed the band columns left
    "g mag/d" in a column sized for another header ("| mag/(")."""
    open_with_object(window, qtbot, tmp_path)
    show_objects(window, qtbot)
    view = window.objects
    model = view.model
    single = next(
        model.index(r, 0).data()
        for r in range(model.rowCount())
        if model.index(r, 2).data() == "1" and model.index(r, 1).data() == "ztf"
    )
    choose(window, qtbot, single)
    alert = view.lightcurve.controller.alert
    summary = view.summary.text()
    assert f"</b> &nbsp; ztf &nbsp; 1 alert: {len(alert.detections)} detection" in summary
    for count, noun in (
        (len(alert.detections), "detection"),
        (alert.n_upper_limits, "upper limit"),
        (alert.n_forced, "forced point"),
    ):
        assert f"{count} {noun}{'' if count == 1 else 's'}" in summary
    assert view.filmstrip.note.text().startswith("1 alert: ")
    # a filter: other bands, other columns; each as wide as its header needs
    window.filter_edit.setText('band == "r"')
    window.apply_filter()
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=5000)
    header = view.table.horizontalHeader()
    for column in range(model.columnCount() - 1):  # (the last one stretches)
        assert header.sectionSize(column) >= header.sectionSizeFromContents(column).width()
    # the objects table has its share of the tab: more than a third of it
    assert view.table.height() > 0.4 * view.height()


def test_objects_follow_the_sky_map_selection(window, qtbot):
    """A box or lasso on the sky map narrows the alert table: the Objects tab counts
    the objects of the alerts it holds, not of every alert (it once ignored it)."""
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([SHARED])
    show_objects(window, qtbot)
    everything = objects_shown(window)
    north = np.flatnonzero(window.model.columns.numbers["dec"].values > 0)
    assert 0 < len(north) < window.model.total
    window.model.set_sky_subset(north)
    qtbot.waitUntil(lambda: objects_shown(window) == table_groupby(window), timeout=5000)
    assert objects_shown(window) != everything
    assert all(window.model.field(r, "dec") > 0 for r in range(window.model.rowCount()))
    window.model.set_sky_subset(None)
    qtbot.waitUntil(lambda: objects_shown(window) == everything, timeout=5000)
