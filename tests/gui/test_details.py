"""The packet tree, its search, links, Enter for details, and an object's alerts."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.links import alert_links
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI
from tests.gui.test_main_window import column, show_row


def test_packet_tree_has_every_field_and_finks_additions(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_MULTI])
    show_row(window, qtbot, 0)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    details = window.inspection.details
    assert window.inspection.tabs.currentWidget() is details
    fields = details.controller.visible_fields()
    for name in ("candid", "candidate", "prv_candidates", "cdsxmatch", "rfscore", "snn"):
        assert name in fields
    details.search.setText("cdsxmatch")
    assert details.controller.visible_fields() == ["cdsxmatch"]
    details.search.setText("magpsf")  # found inside candidate and prv_candidates
    assert set(details.controller.visible_fields()) == {"candidate", "prv_candidates", "cmagpsf"}
    alert = window.inspection.alert
    assert f"https://fink-portal.org/{alert.object_id}" in details.links.text()
    assert "simbad" in details.links.text() and "legacysurvey" in details.links.text()


def test_a_rubin_alert_drawn_from_its_light_curve_fields_shows_every_field(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])
    show_row(window, qtbot, 0)
    shown = window.inspection.alert
    # the viewer decoded the light curve's part of the history
    assert shown.detail is Detail.LIGHT_CURVE
    assert len(shown.detections) > 1 and len(shown.forced) > 1
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    details = window.inspection.details
    details.search.setText("apFlux")  # a diaSource field the light curve does not read
    assert set(details.controller.visible_fields()) == {"diaSource", "prvDiaSources"}
    root = details.tree.invisibleRootItem()
    sources = next(root.child(i) for i in range(root.childCount())
                   if root.child(i).text(0) == "prvDiaSources")  # fmt: skip
    sources.setExpanded(True)
    first = sources.child(0)
    first.setExpanded(True)
    names = {first.child(i).text(0) for i in range(first.childCount())}
    assert {"apFlux", "psfFlux", "x", "y"} <= names


def test_links_by_object_and_position():
    alerts = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))
    names = [name for name, _ in alert_links(alerts[0])]
    assert names[:2] == ["Fink", "Lasair"] and "TNS" in names and "Aladin Lite" in names
    assert f"{alerts[0].ra:.6f}" in dict(alert_links(alerts[0]))["SIMBAD"]
    # a known asteroid has no broker object page: the MPC's and JPL's, and positions
    assert "Fink" not in dict(alert_links(alerts[4])) and "MPC" in dict(alert_links(alerts[4]))


def test_double_clicking_an_object_shows_all_its_alerts(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_MULTI])
    index = window.model.index(2, column("Object"))
    object_id = index.data()
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.filter_edit.text() == f'object_id == "{object_id}"'
    assert window.model.rowCount() == 1
    assert window.model.index(0, column("Object")).data() == object_id


def test_layout_and_choices_persist(window, qtbot):
    window.follow_action.setChecked(True)
    window.table.horizontalHeader().resizeSection(1, 321)
    window.inspection.cutouts.set_display("percentile", "log", "viridis")
    window.inspection.lightcurve.time_axis.setCurrentIndex(1)
    window.inspection.lightcurve.range_box.setChecked(True)  # All points
    window.close()
    settings = QSettings()
    assert settings.value("main/follow", type=bool) is True
    from alertview.core.session.store import AlertStore
    from alertview.gui.main_window import MainWindow

    store = AlertStore(window.store.folder.parent / "again")
    again = MainWindow(store)
    qtbot.addWidget(again)
    again.restore_settings()
    assert again.follow_action.isChecked()
    assert again.table.horizontalHeader().sectionSize(1) == 321
    cutouts = again.inspection.cutouts
    assert (
        cutouts.controller.limits,
        cutouts.controller.stretch,
        cutouts.controller.colour_map,
    ) == (
        "percentile",
        "log",
        "viridis",
    )
    assert again.inspection.lightcurve.time_axis.currentIndex() == 1
    assert again.inspection.lightcurve.range_box.isChecked()
    again.close()  # its threads end before the store closes
    store.close()


def test_cutout_display_menu_and_pixel_under_the_cursor(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])
    show_row(window, qtbot, 0)
    cutouts = window.inspection.cutouts
    science = cutouts.images["science"]
    before = science.image.copy()
    cutouts.set_display(limits="minmax", stretch="linear", colours="viridis")
    assert (
        cutouts.controller.limits,
        cutouts.controller.stretch,
        cutouts.controller.colour_map,
    ) == ("minmax", "linear", "viridis")
    assert not (science.image == before).all()  # redrawn with the new limits and stretch
    alert = window.inspection.alert
    text = cutouts.controller.describe_pixel("science", 14.5, 14.5)
    assert text.startswith("Science pixel (14, 14) = ") and "nJy" in text
    ra = float(text.split("RA ")[1].split()[0])
    assert abs(ra - alert.ra) < 3 / 3600  # the stamp's centre is the source
    # the pointer over the stamp: the read-out; another alert: it is cleared
    view = cutouts.boxes["science"].scene().views()[0]
    centre = view.mapFromScene(cutouts.boxes["science"].sceneBoundingRect().center())
    qtbot.mouseMove(view.viewport(), centre)
    qtbot.waitUntil(lambda: cutouts.pixel_label.text().startswith("Science pixel"), timeout=3000)
    show_row(window, qtbot, 1)
    assert cutouts.pixel_label.text().strip() == ""


def test_light_curve_days_since_first_detection(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_MULTI])
    show_row(window, qtbot, 3)
    lightcurve = window.inspection.lightcurve
    counts = dict(lightcurve.controller.counts)
    lightcurve.time_axis.setCurrentIndex(1)
    assert lightcurve.controller.counts == counts
    points = lightcurve.points
    xs = [x for key in points.series_keys() if key != "ring" for x in points.drawn(key)[0]]
    # the first detection at day 0 (this alert's history has nothing before it)
    alert, first = lightcurve.controller.alert, lightcurve.controller.x0
    assert min(xs) == 0 and first < alert.mjd - 1 and max(xs) == alert.mjd - first


def test_column_chooser_hides_and_shows_columns(window):
    menu = window.table.column_menu()
    topic = next(a for a in menu.actions() if a.text() == "Topic")
    topic.setChecked(False)
    assert window.table.isColumnHidden(column("Topic"))
    topic.setChecked(True)
    assert not window.table.isColumnHidden(column("Topic"))
    menu.deleteLater()


def test_missing_and_broken_stamps_show_labelled_blanks(qtbot):
    from alertview.core.cutouts import CutoutError, decode_cutout
    from alertview.gui.cutouts import CutoutPanel

    panel = CutoutPanel()
    qtbot.addWidget(panel)
    (alert,) = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))[:1]
    good = decode_cutout("science", alert.cutouts["science"])
    panel.show_cutouts(
        {
            "science": good,
            "template": CutoutError("template cutout is missing"),
            "difference": CutoutError("difference cutout cannot be decoded (bad gzip)"),
        }
    )
    assert panel.controller.shapes() == {"science": (30, 30)}
    assert "template cutout is missing" in panel.labels["template"].text
    assert "cannot be decoded" in panel.labels["difference"].text


def test_a_column_layout_saved_for_other_columns_is_not_applied(window, qtbot):
    """Qt keeps a header's layout by column number: one saved when the table had other
    columns (an older version's) would shift every width and hidden flag by one."""
    window.table.horizontalHeader().resizeSection(1, 321)
    window.close()
    settings = QSettings()
    settings.setValue("main/header_fields", "mjd,object_id,alert_id,survey")  # older columns
    from alertview.core.session.store import AlertStore
    from alertview.gui.main_window import MainWindow

    store = AlertStore(window.store.folder.parent / "again")
    again = MainWindow(store)
    qtbot.addWidget(again)
    again.restore_settings()
    assert not again._columns_sized  # sized to the rows' contents when they come
    assert again.table.horizontalHeader().sectionSize(1) != 321
    again.close()  # its threads end before the store closes
    store.close()
