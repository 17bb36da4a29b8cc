"""The SAMP menu with real widgets and real packets, against a real hub (astropy's, its
lockfile in ``tmp_path``) and a test client standing in for TOPCAT or Aladin."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from alertview.core.samp.library import quiet
from alertview.gui.samp_menu import CONNECT_AT_START
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, python_json, raw_records
from tests.samp_hub import (
    TIMEOUT,
    SilentHub,
    file_of,
)


@pytest.fixture
def opened(window, qtbot):
    """The window showing a ZTF alert and Rubin alerts."""
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_SINGLE, FINK_LSST_TRANSFER])
    assert window.model.rowCount() > 1
    return window


def current_alert_id(window):
    index = window.table.currentIndex()
    return window.model.field(index.row(), "alert_id") if index.isValid() else None


def alertview_id(listener):
    client = listener.client
    return next(
        c for c in client.get_registered_clients()
        if client.get_metadata(c).get("samp.name") == "AlertView"
    )  # fmt: skip


def test_menu_sends_the_selection_its_position_and_cutouts(opened, qtbot, listener):
    window, samp = opened, opened.samp
    assert not samp.controller.connected  # nothing until the user asks
    samp.connect_action.trigger()
    assert samp.controller.connected and samp.connect_action.isChecked()
    assert "Connected to the SAMP hub" in window.statusBar().currentMessage()

    window.table.selectAll()
    samp.selection_menu.aboutToShow.emit()  # the menu lists the tool by name
    labels = [a.text() for a in samp.selection_menu.actions() if not a.isSeparator()]
    assert labels == ["&All clients", "Test viewer"]
    assert samp.controller.send_to("selection", "Test viewer")
    params = listener.next("table.load.votable")
    table = Table.read(file_of(params["url"]), format="votable")
    shown = [window.model.field(r, "alert_id") for r in range(window.model.rowCount())]
    assert table["alert_id"].tolist() == shown
    assert str(table["ra"].unit) == "deg" and str(table["flux"].unit) == "nJy"
    assert window.statusBar().currentMessage() == f"Sent {len(shown)} alerts to Test viewer"

    ztf = raw_records(FINK_ZTF_SINGLE)[0]
    assert window.table.select_alert_id(ztf["candid"])
    samp.position_menu.aboutToShow.emit()  # the menu's own entry, triggered
    samp.position_menu.actions()[0].trigger()
    params = listener.next("coord.pointAt.sky")
    assert float(params["ra"]) == ztf["candidate"]["ra"]
    assert float(params["dec"]) == ztf["candidate"]["dec"]

    assert samp.controller.send_to("cutouts", "All clients")
    received = [listener.next("image.load.fits") for _ in range(3)]
    assert sorted(p["name"] for p in received) == sorted(
        f"{ztf['objectId']} {n} (alert {ztf['candid']})"
        for n in ("science", "template", "difference")
    )
    for params in received:
        with fits.open(file_of(params["url"])) as hdus:
            assert hdus[0].data.shape == (63, 63)
    assert window.statusBar().currentMessage() == "Sent 3 cutouts to Test viewer"


def test_a_row_or_a_position_sent_by_a_tool_selects_the_alert(opened, qtbot, listener):
    window, samp = opened, opened.samp
    samp.connect_action.trigger()
    window.table.selectAll()
    samp.controller.send_to("selection", "All clients")
    sent = listener.next("table.load.votable")
    table = Table.read(file_of(sent["url"]), format="votable")
    me = alertview_id(listener)
    threads = []  # where the messages are handled: the GUI thread, never SAMP's
    handle = samp.controller.received
    samp.controller.received = lambda m: (threads.append(threading.current_thread()), handle(m))

    # TOPCAT: the user clicks row 2 of the table AlertView sent it
    row = 2
    listener.client.notify(
        me,
        {
            "samp.mtype": "table.highlight.row",
            "samp.params": {"table-id": sent["table-id"], "url": sent["url"], "row": str(row)},
        },
    )
    qtbot.waitUntil(lambda: current_alert_id(window) == int(table["alert_id"][row]), timeout=10000)

    # Aladin: the user clicks a source (a little off the ZTF alert, within 2 arcsec)
    ztf = raw_records(FINK_ZTF_SINGLE)[0]
    assert current_alert_id(window) != ztf["candid"]
    ra, dec = ztf["candidate"]["ra"] + 0.5 / 3600, ztf["candidate"]["dec"]
    listener.client.notify(
        me, {"samp.mtype": "coord.pointAt.sky", "samp.params": {"ra": str(ra), "dec": str(dec)}}
    )
    qtbot.waitUntil(lambda: current_alert_id(window) == ztf["candid"], timeout=10000)
    qtbot.waitUntil(  # and the panels show it
        lambda: getattr(window.inspection.alert, "alert_id", None) == ztf["candid"], timeout=10000
    )

    # far from every alert: nothing changes, the user is told why
    reply = listener.client.call_and_wait(
        me,
        {"samp.mtype": "coord.pointAt.sky", "samp.params": {"ra": "0.0", "dec": "-89.0"}},
        str(int(TIMEOUT)),
    )
    assert reply["samp.status"] == "samp.ok"
    qtbot.waitUntil(
        lambda: "no alert shown within 1 arcmin" in window.statusBar().currentMessage()
    )
    assert current_alert_id(window) == ztf["candid"]
    assert len(threads) == 3 and set(threads) == {threading.main_thread()}


def test_connect_starts_a_hub_only_when_none_runs_and_close_stops_it(qtbot, tmp_path, samp_env):
    from alertview.core.session.store import AlertStore
    from alertview.gui.main_window import MainWindow

    store = AlertStore(tmp_path / "session")
    main = MainWindow(store)
    qtbot.addWidget(main)
    main.show()
    try:
        assert not main.samp.at_start_action.isChecked()  # the default: off
        qtbot.wait(50)
        assert not main.samp.controller.connected and not samp_env.exists()
        main.samp.connect_action.trigger()
        assert main.samp.controller.connection.started_hub and samp_env.exists()
        assert main.statusBar().currentMessage() == "No SAMP hub was running: started one"
        with qtbot.waitSignal(main.import_finished, timeout=30000):
            main.open_paths([FINK_ZTF_SINGLE])
        main.table.selectAll()
        assert main.samp.controller.send_to("selection", "All clients")
        # no tool on the new hub: said, not pretended
        assert "nothing sent" in main.statusBar().currentMessage()
        main.samp.at_start_action.trigger()
    finally:
        main.close()
        store.close()
    assert not main.samp.controller.connected and not samp_env.exists()  # hub stopped
    folder = main.samp.controller._folder
    assert folder is None
    from PySide6.QtCore import QSettings

    assert QSettings().value(CONNECT_AT_START) in (True, "true")


def test_a_hub_that_shuts_down_disconnects_the_window(opened, qtbot, hub, listener):
    samp = opened.samp
    samp.connect_action.trigger()
    assert samp.controller.connected
    with quiet():
        hub.stop()  # the user quits TOPCAT, whose hub it was
    qtbot.waitUntil(lambda: not samp.connect_action.isChecked(), timeout=10000)
    assert not samp.controller.connected
    assert opened.statusBar().currentMessage() == "The SAMP hub shut down: disconnected"


def test_no_selection_is_one_line_not_a_send(opened, listener):
    samp = opened.samp
    samp.connect_action.trigger()
    opened.table.clearSelection()
    opened.table.setCurrentIndex(opened.model.index(-1, -1))
    assert not samp.controller.send_selection()
    assert opened.statusBar().currentMessage() == "SAMP: select alerts to send first"
    assert not samp.controller.send_cutouts()
    assert opened.statusBar().currentMessage() == "SAMP: select an alert first"
    assert listener.got.empty()
    np.testing.assert_array_equal(samp.selected_positions(), [])


def test_a_hub_that_never_answers_leaves_the_window_alive(opened, qtbot, samp_env):
    samp = opened.samp
    with SilentHub() as silent:
        silent.write_lockfile(samp_env)
        samp.connect_action.trigger()  # returns after the timeout, not never
        samp.selection_menu.aboutToShow.emit()  # listing tools does not ask a dead hub
    assert opened.statusBar().currentMessage() == "SAMP hub did not answer in 3 s"
    assert not samp.connect_action.isChecked() and not samp.controller.connected
    labels = [a.text() for a in samp.selection_menu.actions()]
    assert labels == ["&All clients"]


def test_the_samp_library_is_imported_when_samp_is_first_used(tmp_path):
    """pyvo's import (its registry and table code) cost ~0.3 s of every start for a
    menu the user may never open: a fresh viewer with its SAMP menu has not imported
    it; connecting does."""
    import os
    import textwrap

    script = textwrap.dedent(
        """
        import json, sys
        from alertview.core.session.store import AlertStore
        from alertview.gui.app import make_application
        from alertview.gui.main_window import MainWindow

        def loaded():
            return sorted(n for n in ("pyvo", "astropy.samp") if n in sys.modules)

        app = make_application()
        window = MainWindow(AlertStore(sys.argv[1]))
        window.show()
        app.processEvents()
        before = loaded()
        window.samp.connect_action.setChecked(True)  # starts a hub: SAMP_HUB is ours
        after = loaded()
        connected = window.samp.controller.connection.is_connected
        window.close()
        print(json.dumps({"before": before, "after": after, "connected": connected}))
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    env["SAMP_HUB"] = f"std-lockurl:file://{tmp_path / 'samp'}"
    seen = python_json(script, str(tmp_path / "session"), env=env)
    assert seen["before"] == [], seen
    assert seen["after"] and seen["connected"], seen
