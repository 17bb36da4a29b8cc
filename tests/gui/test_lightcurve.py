"""The light-curve pane on real widgets: ZTF forced-photometry epochs and their limits."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pyqtgraph as pg
import pytest
from astropy.time import Time
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument

from alertview.controllers.lightcurve import LightcurvePlot, Series
from alertview.controllers.time_ticks import TIME_MODES
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.object_lightcurve import merge_lightcurve
from alertview.gui.lightcurve import LightcurvePanel
from alertview.gui.object_lightcurve import ObjectLightcurvePanel
from alertview.gui.theme import band_colour
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, FORCED_TEST, raw_records
from tests.core.forced_packets import with_unmeasured_epochs

BANDS = {1: "g", 2: "r", 3: "i"}


@pytest.fixture
def panel(qtbot):
    widget = LightcurvePanel()
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def decode(path):
    (alert,) = read_alerts([path], SchemaCache())
    return alert


def series_counts(panel, series: str) -> dict[str, int]:
    return {
        k.rpartition(" ")[2]: v for k, v in panel.controller.counts.items() if k.startswith(series)
    }


def test_forced_non_detections_are_drawn_as_upper_limits(panel):
    panel.show_alert(decode(FORCED_TEST))
    points = raw_records(FORCED_TEST)[0]["prv_candidates"]
    expected: dict[str, int] = {}
    for p in points:
        if p.get("candid") is None and p.get("diffmaglim") is not None:
            expected[BANDS[p["fid"]]] = expected.get(BANDS[p["fid"]], 0) + 1
    assert not panel.controller.flux and sum(expected.values()) == 18
    assert series_counts(panel, "upper limits") == expected
    for band, n in expected.items():
        assert f"{band} limit ({n})" in panel.controller.legend_lines()
    panel.units.setCurrentIndex(1)  # flux: limits are magnitudes only, forced points drawn
    assert series_counts(panel, "upper limits") == {}
    assert sum(series_counts(panel, "forced").values()) == len(points)
    assert not [
        line for line in panel.controller.legend_lines() if "without a measurement" in line
    ]


def test_legend_says_how_many_forced_epochs_had_no_measurement(panel, tmp_path):
    path, record = with_unmeasured_epochs(tmp_path, 3)
    alert = decode(path)
    panel.show_alert(alert)
    note = "3 forced epochs without a measurement"
    assert note in panel.controller.legend_lines() and note in panel.legend.text
    # the unmeasured epochs keep their limits; only the measured ones are forced points
    assert sum(series_counts(panel, "upper limits").values()) == len(record["prv_candidates"])
    panel.units.setCurrentIndex(1)
    assert note in panel.controller.legend_lines()  # in no view, so named in every view
    assert sum(series_counts(panel, "forced").values()) == len(record["prv_candidates"]) - 3
    panel.forced_box.setChecked(False)  # forced photometry hidden: nothing to explain
    assert (
        note not in panel.controller.legend_lines()
        and "without a measurement" not in panel.legend.text
    )
    panel.forced_box.setChecked(True)
    panel.show_alert(decode(with_unmeasured_epochs(tmp_path, 1)[0]))
    assert "1 forced epoch without a measurement" in panel.controller.legend_lines()


def test_an_empty_plot_says_what_to_do(qtbot):
    """Before any alert the plot was a bare 0-1 grid; now it says "Select an alert",
    without axes, and the message goes when an alert is drawn."""
    from tests.conftest import FINK_ZTF_SINGLE

    panel = LightcurvePanel()
    qtbot.addWidget(panel)
    message = panel.empty_text
    axis = panel.plot.getPlotItem().getAxis("left")
    assert message.toPlainText() == "Select an alert" and message.isVisible()
    assert not axis.isVisible()
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    panel.show_alert(alert)
    assert not message.isVisible() and axis.isVisible()
    panel.show_alert(None)
    assert message.isVisible()


# -- issue 15 §3: legend outside the data, ticks that never repeat, range, hover ------------
def drawn_tick_labels(axis) -> list[str]:
    """The tick labels the axis paints now (pyqtgraph's own draw specs)."""
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def rubin(panel, qtbot):
    alert = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))[1]
    panel.show_alert(alert)
    qtbot.wait(20)  # the layout settles (legend row, axes)
    return alert


def test_legend_is_a_row_outside_the_plot_as_tall_as_its_entries(panel, qtbot):
    panel.resize(1400, 500)
    rubin(panel, qtbot)
    legend, plot = panel.legend, panel.plot
    assert legend.isVisible() and "&nbsp;g (" in legend.text
    legend_rect = QRect(legend.mapTo(panel, QPoint(0, 0)), legend.size())
    plot_rect = QRect(plot.mapTo(panel, QPoint(0, 0)), plot.size())
    assert not legend_rect.intersects(plot_rect)  # never over a point
    needed = legend.label.heightForWidth(legend.width())
    assert abs(legend.height() - needed) <= 2 and legend.label.height() == legend.height()
    one_row = legend.height()

    def apart() -> bool:
        legend_rect = QRect(legend.mapTo(panel, QPoint(0, 0)), legend.size())
        return not legend_rect.intersects(QRect(plot.mapTo(panel, QPoint(0, 0)), plot.size()))

    panel.resize(700, 500)  # narrower: the entries wrap, the row grows, still outside
    qtbot.waitUntil(lambda: legend.height() > one_row and apart())
    assert abs(legend.height() - legend.label.heightForWidth(legend.width())) <= 2
    panel.show_alert(None)  # nothing drawn: no legend row at all
    assert not legend.isVisible()


@pytest.mark.parametrize(
    ("mode", "span"),
    [(0, 0.002), (0, 0.03), (0, 0.4), (0, 30), (1, 0.003), (1, 12), (2, 0.0004), (2, 0.05),
     (2, 0.9), (2, 20), (2, 400)],
)  # fmt: skip
def test_time_axis_tick_labels_never_repeat(panel, qtbot, mode, span):
    alert = rubin(panel, qtbot)
    panel.time_axis.setCurrentIndex(mode)
    box, axis = panel.plot.getViewBox(), panel.axis
    start = alert.mjd - panel.controller.x0 - span / 2
    box.setRange(xRange=(start, start + span), padding=0)
    qtbot.wait(10)
    labels = drawn_tick_labels(axis)
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    if mode == 2:  # calendar dates, in UTC
        assert panel.plot.getPlotItem().getAxis("bottom").labelText == "date (UTC)"
        dates = r"\d{4}(-\d\d){0,2}|\d\d-\d\d \d\d:\d\d|[\d:.]+"  # 2026, 2026-03, 2026-03-14
        assert all(re.fullmatch(dates, t) for t in labels)
    else:  # numbers, read back within half a tick of where they are
        ticks = [v for _, values in axis.tickValues(start, start + span, 800) for v in values]
        assert all(min(abs(float(t) - v) for v in ticks) < span / 20 for t in labels)
    if mode == 0 and span < 0.1:  # what pyqtgraph's own labels said: "61105.1" twice
        values = axis.tickValues(start, start + span, 800)[0][1]
        plain = pg.AxisItem.tickStrings(axis, values, 1, values[1] - values[0])
        assert len(set(plain)) < len(plain)


def test_calendar_dates_take_the_leap_seconds_off_rubin_tai(panel, qtbot):
    """A tick at 00:00:00 UTC is MJD 37 s past midnight in TAI: its label is that date."""
    rubin(panel, qtbot)
    panel.time_axis.setCurrentIndex(2)
    axis = panel.axis
    midnight_tai = 61100 + 37 / 86400
    levels = axis.tickValues(61098.5, 61102.5, 800)
    assert any(abs(v - midnight_tai) < 1e-9 for _, values in levels for v in values)
    assert axis.tickStrings([midnight_tai], 1, 1.0) == [
        Time(61100, format="mjd", scale="utc").strftime("%Y-%m-%d")
    ]


def test_range_fits_detections_until_the_user_asks_for_all(panel, qtbot):
    rubin(panel, qtbot)
    box = panel.plot.getViewBox()
    forced = [key for key in panel.points.series_keys() if key.startswith("forced")]
    y = np.concatenate([panel.points.drawn(key)[1] for key in forced])
    (low, high) = box.viewRange()[1]
    assert ((y < low) | (y > high)).any()  # outliers beyond the range, drawn nonetheless
    assert "beyond the range: see All points" in panel.legend.text
    panel.range_box.setChecked(True)
    qtbot.wait(10)
    (low, high) = box.viewRange()[1]
    assert ((y >= low) & (y <= high)).all()
    assert "beyond the range" not in panel.legend.text


def test_hovering_a_point_tells_value_error_units_inside_the_plot(panel, qtbot):
    alert = rubin(panel, qtbot)
    box, hover = panel.plot.getViewBox(), panel.hover
    x, y = panel.points.drawn(f"detections {alert.band}")
    newest = int(np.argmax(x))  # the alert itself: at the right edge of the plot
    for i in (newest, int(np.argmin(x))):
        point = QPointF(x[i], y[i])
        where = panel.plot.mapFromScene(box.mapViewToScene(point))
        qtbot.wait(30)  # pyqtgraph drops mouse moves closer than 10 ms
        qtbot.mouseMove(panel.plot.viewport(), where)
        mjd = f"MJD {x[i]:.5f} TAI\n"
        qtbot.waitUntil(lambda mjd=mjd: mjd in hover.textItem.toPlainText(), timeout=2000)
        text = hover.textItem.toPlainText()
        assert hover.isVisible() and text.startswith(f"{alert.band} detection\n")
        assert " ± " in text and " nJy\n" in text and text.endswith(" UTC")
        assert box.sceneBoundingRect().contains(hover.sceneBoundingRect())
    qtbot.wait(30)
    qtbot.mouseMove(panel.plot.viewport(), QPoint(2, 2))  # off the points: it goes
    qtbot.waitUntil(lambda: not hover.isVisible(), timeout=2000)


def test_clicking_a_detection_names_its_source_and_only_a_detection(panel, qtbot):
    """A click on a detection's marker emits its id (the window selects that alert);
    a click on an upper limit or on empty plot emits nothing."""
    alert = rubin(panel, qtbot)
    box, viewport = panel.plot.getViewBox(), panel.plot.viewport()
    key = f"detections {alert.band}"
    x, y = panel.points.drawn(key)
    ids = next(s.ids for s in panel.controller.plot.series if s.key == key)
    oldest = int(np.argmin(x))
    where = panel.plot.mapFromScene(box.mapViewToScene(QPointF(x[oldest], y[oldest])))
    with qtbot.waitSignal(panel.point_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=where)
    assert clicked.args == [int(ids[oldest])] and int(ids[oldest]) != alert.alert_id
    others = [k for k in panel.points.series_keys() if not k.startswith(("detections", "ring"))]
    misses = [QPoint(3, 3)]
    if others:
        ox, oy = panel.points.drawn(others[0])
        misses.append(panel.plot.mapFromScene(box.mapViewToScene(QPointF(ox[0], oy[0]))))
    for miss in misses:
        with qtbot.assertNotEmitted(panel.point_clicked, wait=50):
            qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=miss)


def test_points_are_painted_where_they_are_with_their_band_colour(panel, qtbot):
    """The markers are stamped in pixels: each detection clear of other markers has its
    band's colour at its centre, at any zoom; the selected alert's ring is around it."""
    rubin(panel, qtbot)
    box, viewport = panel.plot.getViewBox(), panel.plot.viewport()
    inside = viewport.rect().adjusted(4, 4, -4, -4)
    ring_x, ring_y = panel.points.drawn("ring")
    centre = panel.plot.mapFromScene(box.mapViewToScene(QPointF(ring_x[0], ring_y[0])))
    image = viewport.grab().toImage()
    ratio = image.devicePixelRatio()
    ring = QColor("#ffcc00")
    on_ring = [
        image.pixelColor(int((centre.x() + dx) * ratio), int(centre.y() * ratio))
        for dx in range(-12, 13)
    ]
    assert any(abs(c.red() - ring.red()) + abs(c.green() - ring.green()) < 60 for c in on_ring)
    checked = 0
    for zoom in (1, 0.25):
        box.scaleBy((zoom, zoom))
        qtbot.wait(10)
        image = viewport.grab().toImage()
        ratio = image.devicePixelRatio()
        placed = [
            (key, panel.plot.mapFromScene(box.mapViewToScene(QPointF(px, py))))
            for key in panel.points.series_keys()
            if key != "ring"
            for px, py in zip(*panel.points.drawn(key), strict=True)
        ]
        for key, where in placed:
            crowded = sum((where - other).manhattanLength() < 12 for _, other in placed) > 1
            if not key.startswith("detections") or crowded or not inside.contains(where):
                continue
            pixel = image.pixelColor(int(where.x() * ratio), int(where.y() * ratio))
            colour = QColor(band_colour(key.split()[1]))
            drawn = np.array([pixel.red(), pixel.green(), pixel.blue()])
            assert np.abs(drawn - colour.getRgb()[:3]).max() <= 40, (key, drawn)
            checked += 1
    assert checked >= 5


def test_a_plot_without_a_range_is_fitted_to_its_own_points(panel, qtbot):
    """A plot the controller gives no range (nothing it can fit) is auto-ranged by
    pyqtgraph: the next such plot must be fitted to its points, not left where the
    last one was."""
    box = panel.plot.getViewBox()
    for start in (0.0, 500.0):
        x = np.arange(6.0) + start
        series = Series("forced r", "forced", "r", x, np.full(6, 20.0), "r forced (6)")
        panel.draw(LightcurvePlot(flux=False, y_label="mag", x_label="MJD", series=[series]))
        qtbot.waitUntil(lambda x=x: box.viewRange()[0][0] <= x[0] < x[-1] <= box.viewRange()[0][1])


def test_an_exported_image_scales_the_markers_with_it(panel, qtbot):
    """Export... at three times the width draws the markers three times as large (they
    are stamped in pixels); Export offers image files only (pyqtgraph's CSV export of
    this plot was an empty file)."""
    from pyqtgraph.exporters import ImageExporter, listExporters

    from alertview.gui.app import offer_image_exports_only

    rubin(panel, qtbot)
    offer_image_exports_only()
    assert listExporters() == [ImageExporter]
    ring = np.array([0xFF, 0xCC, 0x00])

    def ring_pixels(width: int) -> int:
        exporter = ImageExporter(panel.plot.getPlotItem())
        exporter.parameters()["width"] = width
        image = exporter.export(toBytes=True).convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
        pixels = rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)
        return int((np.abs(pixels.astype(int) - ring).max(axis=2) < 40).sum())

    width = panel.plot.width()
    small, large = ring_pixels(width), ring_pixels(3 * width)
    assert small > 20 and large > 6 * small  # a ring 3x wider and 3x thicker: ~9x


def test_object_light_curve_legend_range_and_hover_include_dc_magnitudes(qtbot):
    """The Objects tab's pane: DC magnitudes hollow in the legend row, inside the range
    (they are detections, not forced points), and hovering one names it."""
    panel = ObjectLightcurvePanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    qtbot.waitExposed(panel)
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    panel.show_object(merge_lightcurve([alert]))
    qtbot.wait(20)
    assert "\u25cb</span>&nbsp;r DC mag (18)" in panel.legend.text
    x, y = panel.points.drawn("dc r")
    (low, high) = panel.plot.getViewBox().viewRange()[1]
    assert ((y >= low) & (y <= high)).all()
    box = panel.plot.getViewBox()
    where = panel.plot.mapFromScene(box.mapViewToScene(QPointF(x[0], y[0])))
    qtbot.mouseMove(panel.plot.viewport(), where)
    qtbot.waitUntil(lambda: panel.hover.isVisible(), timeout=2000)
    text = panel.hover.textItem.toPlainText()
    assert text.startswith("r apparent (DC) magnitude\n") and " mag (AB)\n" in text
    assert box.sceneBoundingRect().contains(panel.hover.sceneBoundingRect())


# -- zoomed far out: no crash, no warning on each draw, calendar ticks on months and years --
EXTREME_VIEWS = [(-1e6, 3e6), (-3e6, -2e6), (2.5e6, 4e6), (-1e9, 1e9), (30000, 30010),
                 (29500, 31700), (66000, 66010), (124590, 124600)]  # fmt: skip


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("view", EXTREME_VIEWS)
def test_time_axis_labels_any_range_without_error_or_warning(panel, qtbot, mode, view):
    """At (-1e6, 3e6) the calendar axis raised OverflowError on every repaint; a TAI alert
    before 1960 or after ERFA's leap-second table warned on every draw."""
    rubin(panel, qtbot)  # TAI times: leap seconds looked up where ERFA doubts the year
    panel.time_axis.setCurrentIndex(mode)
    axis = panel.axis
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        levels = axis.tickValues(*view, 800)
        labels = [axis.tickStrings(values, 1, spacing) for spacing, values in levels]
        axis.setRange(*view)
        drawn = drawn_tick_labels(axis)
    assert levels and all(len(t) == len(v) for t, (_, v) in zip(labels, levels, strict=True))
    assert len(drawn) >= 2 and len(set(drawn)) == len(drawn), drawn
    calendar = mode == 2 and view[0] >= -21504 and view[1] <= 124593
    dates = [re.fullmatch(r"\d{4}(-\d\d){0,2}|\d\d-\d\d \d\d:\d\d|[\d:.]+", t) for t in drawn]
    numbers = [re.fullmatch(r"-?\d+(\.\d+)?", t) for t in drawn]
    assert all(dates if calendar else numbers), drawn


def test_five_years_of_calendar_dates_tick_on_new_year(panel, qtbot):
    """Over years the ticks read 1941-01-06, 1946-06-29 (steps of 2000 days)."""
    rubin(panel, qtbot)
    panel.time_axis.setCurrentIndex(2)
    box, axis = panel.plot.getViewBox(), panel.axis
    start = 60000.3
    box.setRange(xRange=(start, start + 5 * 365.25), padding=0)
    qtbot.wait(10)
    drawn = drawn_tick_labels(axis)
    assert drawn[:5] == ["2024", "2025", "2026", "2027", "2028"], drawn
    assert len(set(drawn)) == len(drawn)
    for _step, values in axis.tickValues(start, start + 5 * 365.25, 800):
        for tai in values:
            utc = Time(tai, format="mjd", scale="tai").utc
            assert utc.strftime("%d %H:%M:%S") == "01 00:00:00"  # a month's first moment


def test_the_light_curve_is_not_zoomed_out_past_sane_dates(panel, qtbot):
    alert = rubin(panel, qtbot)
    box, axis = panel.plot.getViewBox(), panel.axis
    for mode in (0, 1, 2):
        panel.time_axis.setCurrentIndex(mode)
        x0 = panel.controller.x0
        for _ in range(12):  # a wheel turned far out: 10^12 times the alert's range
            box.scaleBy((10, 1))
        qtbot.wait(10)
        low, high = np.array(box.viewRange()[0]) + x0 + np.array([1e-6, -1e-6])  # (float sums)
        assert -21504 <= low < alert.mjd < high <= 124593  # 1800 to 2200
        box.setRange(xRange=(-1e6 - x0, 3e6 - x0), padding=0)
        low, high = np.array(box.viewRange()[0]) + x0 + np.array([1e-6, -1e-6])
        assert low >= -21504 and high <= 124593
        drawn = drawn_tick_labels(axis)
        assert len(drawn) >= 2 and len(set(drawn)) == len(drawn)
        if mode == 2:
            assert all(re.fullmatch(r"\d{4}", t) for t in drawn), drawn


def faint_rubin(panel, qtbot, flux: bool):
    """The Rubin alert of issue 15 §3: detections near zero flux with ±100 mag errors."""
    alert = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))[2]
    panel.show_alert(alert)
    panel.units.setCurrentIndex(1 if flux else 0)
    qtbot.wait(20)
    return alert


def test_magnitude_range_fits_the_detections_not_their_huge_error_bars(panel, qtbot):
    """Two detections at ~2 nJy have ±70-100 mag errors: the range stayed -60..+130
    mag. It fits the measured magnitudes, their bars up to a cap; the points with
    meaningless magnitudes are still drawn, beyond the range, and counted."""
    panel.resize(600, 700)
    alert = faint_rubin(panel, qtbot, flux=False)
    det = alert.detections
    assert np.nanmax(det.mag_err) > 50  # the packet still has the huge errors
    box = panel.plot.getViewBox()
    low, high = box.viewRange()[1]
    good = np.isfinite(det.mag) & (det.mag_err <= 1)
    assert high - low < 6
    assert low <= det.mag[good].min() and det.mag[good].max() <= high
    drawn = [key for key in panel.points.series_keys() if key.startswith("detections")]
    y = np.concatenate([panel.points.drawn(key)[1] for key in drawn])
    # flux <= 0 has no magnitude: not drawn, said; every positive flux drawn
    assert len(y) == int((det.flux > 0).sum()) and np.isfinite(y).all()
    n_negative = int((det.flux <= 0).sum())
    assert f"{n_negative} detections with flux ≤ 0: see Flux" in panel.legend.text
    beyond = int(((y < low) | (y > high)).sum())
    assert beyond > 0 and f"{beyond} detections beyond the range" in panel.legend.text
    panel.range_box.setChecked(True)  # all points: every value, still not the bars
    qtbot.wait(10)
    low, high = box.viewRange()[1]
    assert low <= y.min() and y.max() <= high and high - low < 15


def test_flux_range_caps_error_bars_at_a_few_robust_spreads(panel, qtbot):
    panel.resize(600, 700)
    alert = faint_rubin(panel, qtbot, flux=True)
    det = alert.detections
    low, high = panel.plot.getViewBox().viewRange()[1]
    flux = det.flux[np.isfinite(det.flux)]
    assert low <= flux.min() and flux.max() <= high
    spread = 1.4826 * np.median(np.abs(flux - np.median(flux)))
    assert high - low < (flux.max() - flux.min()) + 2 * 3 * spread * 1.2


def entry_line_breaks(label, width: int) -> list[str]:
    """The lines ``label``'s rich text is broken into at ``width`` pixels."""
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    doc.setTextWidth(width)
    doc.size()  # lays the text out
    lines = []
    block = doc.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        for n in range(layout.lineCount()):
            line = layout.lineAt(n)
            lines.append(text[line.textStart() : line.textStart() + line.textLength()])
        block = block.next()
    return [line.replace("\u00a0", " ") for line in lines]


def test_legend_wraps_between_entries_never_inside_one(panel, qtbot):
    """ "z forced (36)" was split over two lines: each entry and note stays whole."""
    alert = faint_rubin(panel, qtbot, flux=True)
    assert len(alert.forced.flux)
    entries = panel.controller.legend_lines()
    assert any(e.startswith("z forced (") for e in entries)
    for width in range(330, 900, 9):  # the longest note fits in 330 px
        lines = entry_line_breaks(panel.legend.label, width)
        assert len(lines) > 1 or width > 700
        for entry in entries:
            assert any(entry in line for line in lines), (width, entry, lines)
    panel.resize(600, 700)  # the row itself: as tall as its wrapped lines
    qtbot.wait(10)
    legend = panel.legend
    assert legend.height() == legend.label.heightForWidth(legend.width()) > 20


@pytest.mark.parametrize("mode", ["mjd", "days", "date"])
def test_time_axis_label_fits_the_axis(panel, qtbot, mode):
    """At a 1500x900 window the pane is ~600 px: "days since first detection (MJD
    61034.16130 TAI" ran off its right end (and stayed where a shorter label was)."""
    panel.resize(600, 700)
    faint_rubin(panel, qtbot, flux=True)
    panel.time_axis.setCurrentIndex(TIME_MODES.index(mode))
    qtbot.wait(20)
    axis = panel.axis
    label = axis.label.mapRectToScene(axis.label.boundingRect())
    frame = axis.sceneBoundingRect()
    text = axis.label.toPlainText().strip()
    assert text == panel.controller.plot.x_label
    assert frame.left() <= label.left() and label.right() <= frame.right(), (text, label, frame)
    if mode == "days":
        first = panel.controller.x0
        assert text == f"days since MJD {first:.3f} (TAI)"
        assert f"MJD {first:.5f} TAI" in axis.toolTip()
