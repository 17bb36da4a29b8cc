"""The viewer with real widgets: open files, select, light curve, cutouts, filter."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt

from alertview.core.avro.encode import container_file
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.gui.table_model import COLUMNS, ROLE_ROW_ID
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, SHARED, raw_records
from tests.core.helpers import conform


def column(name):
    return [c.header for c in COLUMNS].index(name)


def show_row(window, qtbot, row):
    """Select a table row and wait until its alert is decoded (off the GUI thread) and drawn."""
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        window.select_row(row)


def row_of(window, alert_id):
    for row in range(window.model.rowCount()):
        if window.model.index(row, column("Alert id")).data() == str(alert_id):
            return row
    raise AssertionError(f"alert {alert_id} not in the table")


def test_open_shared_files_shows_rows_with_their_values(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000) as opened:
        window.open_paths([SHARED])
    assert opened.args[0].added == 57
    assert window.model.rowCount() == 57
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    row = row_of(window, raw["candid"])
    cell = lambda name: window.model.index(row, column(name)).data()  # noqa: E731
    assert cell("Object") == "ZTF19acihgng"
    assert cell("Mag") == f"{raw['candidate']['magpsf']:.2f}"
    assert cell("Band") == "r" and cell("Survey") == "ztf"
    assert cell("MJD") == f"{raw['candidate']['jd'] - 2400000.5:.5f}"
    assert cell("Det.") == str(sum(1 for p in raw["prv_candidates"] if p["candid"]) + 1)
    assert "57 alerts" in window.status.text()


def test_selecting_a_ztf_row_draws_its_light_curve_and_cutouts(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    show_row(window, qtbot, row_of(window, raw["candid"]))
    lightcurve = window.inspection.lightcurve
    detections = [p for p in raw["prv_candidates"] if p["candid"]] + [raw["candidate"]]
    limits = [p for p in raw["prv_candidates"] if p["candid"] is None]
    expected = {}
    for points, kind in ((detections, "detections"), (limits, "upper limits")):
        for p in points:
            key = f"{kind} {'gri'[p['fid'] - 1]}"
            expected[key] = expected.get(key, 0) + 1
    assert lightcurve.controller.counts == expected
    assert not lightcurve.controller.flux
    assert window.inspection.cutouts.controller.shapes() == {
        "science": (63, 63), "template": (63, 63), "difference": (63, 63)
    }  # fmt: skip
    # the keyboard moves through the alerts and the panes follow
    before = window.inspection.alert.alert_id
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.inspection.alert.alert_id != before


def test_points_without_a_magnitude_are_named_not_dropped(window, qtbot):
    # ZTF's 3.5 forced-photometry test packet: every forced flux is negative
    path = SHARED / "ztf" / "1661382530015060001.avro"
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([path])
    raw = raw_records(path)[0]
    forced = [p for p in raw["prv_candidates"] if p.get("forcediffimflux") is not None]
    show_row(window, qtbot, 0)
    lightcurve = window.inspection.lightcurve
    assert not lightcurve.controller.flux
    assert not [k for k in lightcurve.controller.counts if k.startswith("forced")]
    note = f"{len(forced)} forced points with flux ≤ 0: see Flux"
    assert note in lightcurve.controller.legend_lines() and note in lightcurve.legend.text
    lightcurve.units.setCurrentIndex(1)  # flux: drawn, and the note goes
    assert sum(
        v for k, v in lightcurve.controller.counts.items() if k.startswith("forced")
    ) == len(forced)
    assert not [line for line in lightcurve.controller.legend_lines() if "see Flux" in line]


def test_selecting_a_rubin_row_shows_flux_and_forced_points(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])
    raw = raw_records(FINK_LSST_TRANSFER)[1]
    show_row(window, qtbot, row_of(window, raw["diaSourceId"]))
    lightcurve = window.inspection.lightcurve
    assert lightcurve.controller.flux  # difference fluxes can be negative: flux by default
    bands = [s["band"] for s in [*raw["prvDiaSources"], raw["diaSource"]]]
    for band in set(bands):
        assert lightcurve.controller.counts[f"detections {band}"] == bands.count(band)
        # the legend reads the same counts, one line per series
        assert f"{band} ({bands.count(band)})" in lightcurve.controller.legend_lines()
        assert f"&nbsp;{band} ({bands.count(band)})" in lightcurve.legend.text
    forced = [s["band"] for s in raw["prvDiaForcedSources"]]
    assert sum(
        v for k, v in lightcurve.controller.counts.items() if k.startswith("forced")
    ) == len(forced)
    assert window.inspection.cutouts.controller.shapes() == {
        n: (30, 30) for n in ("science", "template", "difference")
    }
    lightcurve.forced_box.setChecked(False)
    assert not [k for k in lightcurve.controller.counts if k.startswith("forced")]
    assert "forced" not in lightcurve.legend.text


def test_filter_bar_narrows_rows_and_explains_errors(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    alerts = list(read_alerts([SHARED], SchemaCache()))
    expected = sum(1 for a in alerts if a.band == "r" and a.mag is not None and a.mag < 19)
    window.filter_edit.setText('band == "r" and mag < 19')
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.model.rowCount() == expected
    assert window.match_label.text() == f"{expected} of 57 match"
    # raw record fields work too (decoded from the stored packets on demand)
    window.filter_edit.setText("nbad == 0 and fwhm <= 5")
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.model.wait_for_filter()  # row by row, off the GUI thread
    qtbot.waitUntil(lambda: not window.model.filtering)
    assert window.model.rowCount() == sum(
        1
        for a in alerts
        if a.survey == "ztf" and a.record["candidate"]["nbad"] == 0
        and a.record["candidate"]["fwhm"] <= 5
    )  # fmt: skip
    window.filter_edit.setText("mag <")
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.match_label.text().startswith("bad filter: the expression ends too early")
    window.filter_edit.clear()
    assert window.model.rowCount() == 57


def _previous_alert_file(tmp_path):
    """The alert ZTF sent for an earlier detection of ZTF19acihgng, rebuilt from its history."""
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    schema = alert.packet.schema.raw
    candidate_schema = next(f["type"] for f in schema["fields"] if f["name"] == "candidate")
    detections = sorted((p for p in raw["prv_candidates"] if p["candid"]), key=lambda p: p["jd"])
    previous = detections[-1]
    record = {
        **raw,
        "candid": previous["candid"],
        "candidate": conform(previous, candidate_schema),
        "prv_candidates": [p for p in raw["prv_candidates"] if p["jd"] < previous["jd"]],
    }
    path = tmp_path / "previous.avro"
    path.write_bytes(container_file([record], alert.packet.schema))
    return path, previous


def test_clicking_a_light_curve_point_selects_that_alert(window, qtbot, tmp_path):
    path, previous = _previous_alert_file(tmp_path)
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_SINGLE, path])
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    show_row(window, qtbot, row_of(window, raw["candid"]))
    plot = window.inspection.lightcurve.plot
    window.inspection.lightcurve.resize(900, 500)
    qtbot.wait(50)
    view = plot.getViewBox()
    scene_point = view.mapViewToScene(QPointF(previous["jd"] - 2400000.5, previous["magpsf"]))
    widget_point = plot.mapFromScene(scene_point)
    with qtbot.waitSignal(window.inspection.lightcurve.point_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=widget_point)
    assert clicked.args == [previous["candid"]]
    qtbot.waitUntil(lambda: window.inspection.alert.alert_id == previous["candid"], timeout=10000)
    assert math.isclose(window.inspection.alert.mag, previous["magpsf"])
    # an older detection, whose alert this session does not have: said, nothing moves
    oldest = min((p for p in raw["prv_candidates"] if p["candid"]), key=lambda p: p["jd"])
    qtbot.wait(50)
    scene_point = view.mapViewToScene(QPointF(oldest["jd"] - 2400000.5, oldest["magpsf"]))
    with qtbot.waitSignal(window.inspection.lightcurve.point_clicked, timeout=2000):
        qtbot.mouseClick(
            plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene_point)
        )
    message = window.statusBar().currentMessage()
    assert message == f"The alert of detection {oldest['candid']} is not in this session"
    assert window.inspection.alert.alert_id == previous["candid"]


def test_export_of_a_selection_round_trips(window, qtbot, tmp_path):
    import fastavro
    from astropy.table import Table
    from PySide6.QtCore import QItemSelectionModel

    from alertview.gui.export_action import run_export

    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_SINGLE, SHARED / "fink" / "avro_multi_alerts.avro"])
    model = window.table.selectionModel()
    for row in (1, 3, 4):
        model.select(
            window.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    rows = window.selected_rows()
    ids = [int(window.model.index(r, column("Alert id")).data()) for r in (1, 3, 4)]
    assert len(rows) == 3
    (avro,) = run_export(window, rows, window._load_alert, "avro", tmp_path / "sel.avro")
    with avro.open("rb") as stream:
        assert [r["candid"] for r in fastavro.reader(stream)] == ids
    (table_path,) = run_export(window, rows, window._load_alert, "votable", tmp_path / "s.xml")
    table = Table.read(table_path, format="votable")
    assert [int(v) for v in table["alert_id"]] == ids


def test_a_quick_decode_is_shown_before_the_selection_returns(window, qtbot):
    """The GUI thread waits a few frames for a decode rather than repainting the table
    while the decode runs beside it (both need the GIL): the alert is on screen at once."""
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_SINGLE])
    shown = []
    window.alert_shown.connect(shown.append)
    window.select_row(0)
    assert shown == [int(window.model.index(0, column("Alert id")).data())]
    assert window.inspection.alert.alert_id == shown[0]


def test_moving_fast_drops_stale_results(window, qtbot, monkeypatch):
    """Rows passed over quickly, their decodes slower than the GUI thread waits for
    (a long Rubin history, a busy machine), are decoded in the background; only the
    last one is drawn."""
    from alertview.gui import alert_loader

    monkeypatch.setattr(alert_loader, "WAIT_FOR_DECODE", 0.0)
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])
    shown = []
    window.alert_shown.connect(shown.append)
    for row in range(window.model.rowCount()):
        window.select_row(row)  # no waiting: as fast as a held-down arrow key
    last = int(window.model.index(window.model.rowCount() - 1, column("Alert id")).data())
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] == last, timeout=15000)
    qtbot.wait(300)
    assert shown[-1] == last and window.inspection.alert.alert_id == last
    assert len(shown) < window.model.rowCount()  # the others were dropped, not drawn


def test_errors_panel_lists_what_could_not_be_read(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QTableWidget

    bad = tmp_path / "broken.avro"
    bad.write_bytes(b"Obj\x01 not really")
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([bad, FINK_ZTF_SINGLE])
    assert window.model.rowCount() == 1 and window.error_button.text() == "1 error"
    window.show_errors()
    try:
        table = window.errors_dialog.findChild(QTableWidget)
        # kept in the session's errors: the file, the byte offset, the reason
        assert table.rowCount() == 1 and table.item(0, 0).text() == str(bad)
        assert table.item(0, 2).text() == "6" and "truncated" in table.item(0, 3).text()
    finally:
        window.errors_dialog.close()


def test_header_click_sorts_and_new_rows_take_their_sorted_places(window, qtbot, tmp_path):
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    window.store.add(alerts[:30])
    window.refresh_rows()
    header = window.table.horizontalHeader()
    mag = column("Mag")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_header_point(header, mag))
    window.select_row(5)
    selected_id = window.model.field(5, "alert_id")

    def mags():
        values = [window.model.field(r, "mag") for r in range(window.model.rowCount())]
        return [-math.inf if v is None else v for v in values]

    assert mags() == sorted(mags())
    window.store.add(alerts[30:])  # a live batch arrives while sorted
    window.refresh_rows()
    assert window.model.rowCount() == 57 and mags() == sorted(mags())
    current = window.table.selectionModel().currentIndex()
    assert window.model.field(current.row(), "alert_id") == selected_id  # selection followed

    window.filter_edit.setText('band == "r"')
    window.apply_filter()
    assert all(window.model.field(r, "band") == "r" for r in range(window.model.rowCount()))
    assert mags() == sorted(mags())
    assert window.match_label.text() == f"{window.model.rowCount()} of 57 match"

    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_header_point(header, mag))
    assert mags() == sorted(mags(), reverse=True)


def _header_point(header, section):
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(x, header.height() // 2)


def test_the_next_row_is_decoded_while_the_current_one_is_looked_at(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    show_row(window, qtbot, 4)
    loader = window.loader
    choices = window.inspection.cutouts.controller.display_choices()
    following = window.model.index(5, 0).data(ROLE_ROW_ID)
    qtbot.waitUntil(lambda: (following, choices) in loader._ready, timeout=10000)
    shown = []
    window.alert_shown.connect(shown.append)
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    # ready ahead: drawn within the key press, no decode to wait for
    assert shown == [window.model.field(5, "alert_id")]
    assert window.inspection.alert.alert_id == shown[0]


# -- the window title, and the id columns' widths (issue 15 §3) ----------------------------
def test_window_title_says_each_part_once_and_ends_with_the_app_name():
    from alertview.gui.stream_control import window_title

    assert window_title("night1", "ztf @ kafka:9092", "live") == (
        "night1 — ztf @ kafka:9092 (live) — AlertView"
    )
    assert window_title("", "", "offline") == "offline — AlertView"
    assert window_title("night1", "", "offline") == "night1 (offline) — AlertView"
    # a session named as its stream, or as the application: said once
    assert window_title("ztf @ k:1", "ztf @ k:1", "paused") == "ztf @ k:1 (paused) — AlertView"
    assert window_title("AlertView", "t @ b", "stopped") == "t @ b (stopped) — AlertView"
    for title in (window_title("demo", "alertview-demo @ 127.0.0.1:9", "live"),):
        parts = title.split(" — ")
        assert len(parts) == len(set(parts)) and title.count("AlertView") == 1


def test_window_title_follows_the_stream_live_paused_offline_stopped(qtbot, tmp_path, monkeypatch):
    import time

    from alertview.core.session.folder import Session
    from alertview.core.stream.messages import BrokerStatus
    from alertview.gui.app import make_application
    from alertview.gui.demo import DemoStream
    from alertview.gui.main_window import MainWindow

    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    make_application()
    session = Session.named("night1")
    window = MainWindow(session.store, session=session)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.windowTitle() == "night1 (offline) — AlertView"
        with DemoStream(interval=0.3) as demo:
            settings = demo.consumer_settings()
            worker = window.connect_stream(settings)
            stream = f"{settings.topics[0]} @ {settings.kafka.bootstrap}"
            qtbot.waitUntil(
                lambda: window.windowTitle().endswith("(live) — AlertView"), timeout=20000
            )
            assert window.windowTitle() == f"night1 — {stream} (live) — AlertView"
            window.pause_action.setChecked(True)
            qtbot.waitUntil(lambda: "(paused)" in window.windowTitle(), timeout=10000)
            window.pause_action.setChecked(False)
            qtbot.waitUntil(lambda: "(live)" in window.windowTitle(), timeout=10000)
            # the broker unreachable (as the worker reports it): offline until it answers
            worker.health_changed.emit(BrokerStatus(down_since=time.time(), reason="refused"))
            assert window.windowTitle() == f"night1 — {stream} (offline) — AlertView"
            worker.health_changed.emit(BrokerStatus())
            assert window.windowTitle().endswith("(live) — AlertView")
            window.stop_stream()
            assert window.windowTitle() == f"night1 — {stream} (stopped) — AlertView"
            qtbot.wait(200)  # the worker's own last words change nothing
            assert window.windowTitle() == f"night1 — {stream} (stopped) — AlertView"
    finally:
        window.close()


def test_a_wrong_host_leaves_the_title_offline(window, qtbot):
    from alertview.core.stream.config import KafkaSettings
    from alertview.core.stream.consumer import ConsumerSettings

    worker = window.connect_stream(ConsumerSettings(KafkaSettings("127.0.0.1:1"), ("t",), "g"))
    qtbot.waitUntil(lambda: worker.isFinished(), timeout=25000)
    qtbot.waitUntil(lambda: window.failure_box is not None, timeout=5000)
    assert window.windowTitle() == "t @ 127.0.0.1:1 (offline) — AlertView"
    window.failure_box.close()


def id_columns_fit(window):
    """(column, longest text, width it needs, section width) of the id columns, from the
    font the cells are drawn with and the style's text margins."""
    from PySide6.QtWidgets import QStyle

    table = window.table
    metrics = table.fontMetrics()
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table)
    found = []
    for name in ("Alert id", "Object"):
        texts = [
            window.model.index(r, column(name)).data() or ""
            for r in range(window.model.rowCount())
        ]
        longest = max(texts, key=metrics.horizontalAdvance)
        needed = metrics.horizontalAdvance(longest) + 2 * (margin + 1)
        found.append((name, longest, needed, table.columnWidth(column(name))))
    return found


def test_alert_and_object_ids_are_never_elided(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])  # ZTF candids (19 digits) and Rubin diaSourceIds
    fits = id_columns_fit(window)
    assert max(len(longest) for _name, longest, _needed, _width in fits) == 19
    for name, longest, needed, width in fits:
        assert width >= needed, (name, longest, needed, width)
    table = window.table
    # the id columns come up at least as wide as 19 widest digits, whatever the first rows
    digit = max(table.fontMetrics().horizontalAdvance(d) for d in "0123456789")
    assert table.columnWidth(column("Alert id")) >= 19 * digit
    # dragged narrower (or restored so from an old layout): back to the ids' width
    table.setColumnWidth(column("Alert id"), 40)
    assert table.columnWidth(column("Alert id")) >= fits[0][2]
    # other columns keep the width they are given, and hiding an id column still hides it
    table.setColumnWidth(column("Band"), 30)
    assert table.columnWidth(column("Band")) == 30
    table.setColumnHidden(column("Object"), True)
    qtbot.wait(50)
    assert table.isColumnHidden(column("Object"))


def test_coordinates_and_times_have_room_for_their_widest_values(window, qtbot):
    """Sized on the first rows (RA 63.3), a later RA 151.09364 was elided in the demo."""
    from alertview.core.table.rows import ROW_FIELDS

    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_LSST_TRANSFER])  # RA 61-64, Dec -47
    table, metrics = window.table, window.table.fontMetrics()
    table.size_columns()  # (what the first rows of a session do)
    for header, widest in (("RA", "359.99999"), ("Dec", "+89.99999"), ("MJD", "99999.99999")):
        assert table.columnWidth(column(header)) > metrics.horizontalAdvance(widest), header
    field = {name: i for i, name in enumerate(ROW_FIELDS)}
    row = list(window.store.rows()[0])
    row[field["row"]], row[field["ra"]] = 10**6, 359.99999
    window.model.append_rows([tuple(row)])
    index = window.model.index(window.model.rowCount() - 1, column("RA"))
    assert index.data() == "359.99999"
    assert table.columnWidth(column("RA")) > metrics.horizontalAdvance(index.data())


def test_counts_in_the_packet_tree_say_one_in_the_singular():
    from alertview.controllers.details import shown

    assert shown([7]) == "1 item" and shown([7, 8]) == "2 items"
    assert shown(b"x") == "<1 byte>" and shown(b"xy") == "<2 bytes>"


def test_a_message_before_the_window_shows_does_not_overlap_the_stream_state(qtbot, tmp_path):
    from alertview.core.session.store import AlertStore
    from alertview.gui.main_window import MainWindow

    store = AlertStore(tmp_path / "session")
    main = MainWindow(store)
    qtbot.addWidget(main)
    main.show_message("keep packets: 1GB")  # as the demo does while it sets up
    main.show()
    try:
        qtbot.waitExposed(main)
        assert main.statusBar().currentMessage() == "keep packets: 1GB"
        assert not main.stream_state.isVisible()  # under the message, not drawn over it
        main.statusBar().clearMessage()
        assert main.stream_state.isVisible()
    finally:
        main.close()
        store.close()
