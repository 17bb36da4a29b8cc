"""A selected alert is painted once, and nothing else runs on its paint (issue 15 §3).

Each paint of the light curve costs ~5-10 ms; before, every alert was painted ~3
times: pyqtgraph resized the axes to the new tick labels while painting, the
view box's transform changed during the paint, and the summary label relayouted
the window up to the main splitter. The next row's decode, started as soon as
an alert was shown, shared the GIL with its painting.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject

from tests.conftest import SHARED


class PaintCount(QObject):
    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def settle(qapp, quiet: float = 0.15) -> None:
    """Run the event loop until nothing has been painted for ``quiet`` seconds."""
    end = time.monotonic() + quiet
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.005)


def ztf_rows_shown(window, qtbot, qapp) -> list[int]:
    """The shared alerts in a 1500x900 window, the first ZTF row shown: the ZTF rows."""
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    window.resize(1500, 900)
    ztf_rows = [
        r for r in range(window.model.rowCount()) if window.model.field(r, "survey") == "ztf"
    ]
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        window.select_row(ztf_rows[0])
    settle(qapp)
    return ztf_rows


def test_each_selected_alert_paints_the_light_curve_once(window, qtbot, qapp):
    ztf_rows = ztf_rows_shown(window, qtbot, qapp)
    paints = PaintCount(window.inspection.lightcurve.plot.viewport())
    legend_heights = {window.inspection.lightcurve.legend.height()}
    for row in ztf_rows[1:13]:
        window.loader.clear()  # a cold selection: decoded now, not ahead
        with qtbot.waitSignal(window.alert_shown, timeout=10000):
            window.select_row(row)
        settle(qapp)
        legend_heights.add(window.inspection.lightcurve.legend.height())
    # once per alert; a legend that needs another line resizes the plot (once more)
    assert paints.count <= 12 + len(legend_heights) - 1, paints.count


def test_rubin_alerts_paint_the_light_curve_and_the_cutouts_once_each(window, qtbot, qapp):
    """Rubin legends take one line or two: the row kept its height only while the
    line count did not change, and each change resized the plot under it (the light
    curve was painted ~2.7 times per alert); the cutouts' view boxes took their new
    transform while painting, and were painted twice."""
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    window.resize(1500, 900)
    rubin_rows = [
        r for r in range(window.model.rowCount()) if window.model.field(r, "survey") == "lsst"
    ]
    assert len(rubin_rows) >= 7
    lightcurve = window.inspection.lightcurve
    legend_lines = set()
    for row in rubin_rows[:3]:  # the legend row has met its tallest text at this width
        with qtbot.waitSignal(window.alert_shown, timeout=10000):
            window.select_row(row)
        settle(qapp)
    light_curve = PaintCount(lightcurve.plot.viewport())
    cutouts = PaintCount(window.inspection.cutouts.view.viewport())
    for row in [*rubin_rows[3:], *rubin_rows[:3]]:
        window.loader.clear()
        with qtbot.waitSignal(window.alert_shown, timeout=10000):
            window.select_row(row)
        settle(qapp)
        legend_lines.add(lightcurve.legend.label.heightForWidth(lightcurve.legend.width()))
    assert len(legend_lines) > 1  # the legends needed different heights: the case
    shown = len(rubin_rows)
    assert light_curve.count <= shown + 1, (light_curve.count, shown)  # +1: a taller legend
    assert cutouts.count == shown, (cutouts.count, shown)


def test_the_next_rows_decode_waits_until_the_shown_alert_is_painted(window, qtbot, qapp):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    loader = window.loader
    choices = window.display_choices()
    following = window.model.row_id(4)
    loader.prefetch(following, choices)
    time.sleep(0.5)  # the decode thread is free: a decode submitted now would be done
    assert (following, choices) not in loader._ready
    qtbot.waitUntil(lambda: (following, choices) in loader._ready, timeout=10000)


def test_a_selection_is_painted_in_one_pass_then_the_next_row_decoded(window, qtbot, qapp):
    """The cutouts and the light curve of a selected alert are painted in the same pass
    of the window: each scene painted the window as soon as its own changes were
    processed, the first before the other's, so two passes an alert. The next row's
    decode is submitted after that pass, not before it (it shares the GIL)."""
    ztf_rows = ztf_rows_shown(window, qtbot, qapp)
    events: list[str] = []
    views = dict(zip(window.inspection.figure_views(), ("cutouts", "light curve"), strict=True))

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:
            if watched is window and event.type() == QEvent.Type.UpdateRequest:
                events.append("pass")
            elif watched in views and event.type() == QEvent.Type.Paint:
                events.append(views[watched])
            return False

    watch = Watch()
    for widget in (window, *views):
        widget.installEventFilter(watch)
    submit = window.loader._submit_prefetch
    window.loader._submit_prefetch = lambda *args: (events.append("prefetch"), submit(*args))
    for row in ztf_rows[2:10:2]:  # jumps: the row after the last one is not decoded ahead
        window.loader.clear()
        events.clear()
        with qtbot.waitSignal(window.alert_shown, timeout=10000):
            window.select_row(row)
        settle(qapp)
        first = {name: events.index(name) for name in ("cutouts", "light curve", "prefetch")}
        passes = {name: events[: first[name]].count("pass") for name in first}
        assert passes["cutouts"] == passes["light curve"], events
        assert first["prefetch"] > max(first["cutouts"], first["light curve"]), events
