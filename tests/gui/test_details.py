"""The packet tree, its search, links, Enter for details, and an object's alerts."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from alertview.core.decode import read_alerts
from alertview.core.links import alert_links
from alertview.core.schemas import SchemaCache
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI
from tests.gui.test_main_window import column


def test_packet_tree_has_every_field_and_finks_additions(window, qtbot):
    window.open_paths([FINK_ZTF_MULTI])
    window.select_row(0)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    details = window.inspection.details
    assert window.inspection.tabs.currentWidget() is details
    fields = details.visible_fields()
    for name in ("candid", "candidate", "prv_candidates", "cdsxmatch", "rfscore", "snn"):
        assert name in fields
    details.search.setText("cdsxmatch")
    assert details.visible_fields() == ["cdsxmatch"]
    details.search.setText("magpsf")  # found inside candidate and prv_candidates
    assert set(details.visible_fields()) == {"candidate", "prv_candidates", "cmagpsf"}
    alert = window.inspection.alert
    assert f"https://fink-portal.org/{alert.object_id}" in details.links.text()
    assert "simbad" in details.links.text() and "legacysurvey" in details.links.text()


def test_links_by_object_and_position():
    alerts = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))
    names = [name for name, _ in alert_links(alerts[0])]
    assert names[:2] == ["Fink", "Lasair"] and "TNS" in names and "Aladin Lite" in names
    assert f"{alerts[0].ra:.6f}" in dict(alert_links(alerts[0]))["SIMBAD"]
    # a solar-system-only source has no object page, only positions
    assert "Fink" not in dict(alert_links(alerts[4]))


def test_double_clicking_an_object_shows_all_its_alerts(window, qtbot):
    window.open_paths([FINK_ZTF_MULTI])
    index = window.proxy.index(2, column("Object"))
    object_id = index.data()
    rect = window.table.visualRect(index)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.filter_edit.text() == f'object_id == "{object_id}"'
    assert window.proxy.rowCount() == 1
    assert window.proxy.index(0, column("Object")).data() == object_id


def test_layout_and_choices_persist(window, qtbot):
    window.follow_action.setChecked(True)
    window.table.horizontalHeader().resizeSection(1, 321)
    window.close()
    settings = QSettings()
    assert settings.value("main/follow", type=bool) is True
    from alertview.core.store import AlertStore
    from alertview.gui.main_window import MainWindow

    store = AlertStore(window.store.folder.parent / "again")
    again = MainWindow(store)
    qtbot.addWidget(again)
    again.restore_settings()
    assert again.follow_action.isChecked()
    assert again.table.horizontalHeader().sectionSize(1) == 321
    store.close()
