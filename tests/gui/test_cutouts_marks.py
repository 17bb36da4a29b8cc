"""The marks on the cutout panel, drawn by real widgets from real packets: ticks clear of
the source, a compass that agrees with astropy's WCS (Rubin's stamps are rotated), a
scale bar as long as the WCS says, small stamps as large as big ones, the limits
written, and a ZTF negative difference said."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.wcs.utils import proj_plane_pixel_scales
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor

from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import read_alerts
from alertview.core.stamp_limits import LIMITS
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, FINK_ZTF_SINGLE, SHARED

NAMES = ("science", "template", "difference")


def alerts(path):
    return list(read_alerts([path], SchemaCache()))


@pytest.fixture
def panel(qtbot):
    from alertview.gui.cutouts import CutoutPanel

    widget = CutoutPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def show(panel, alert):
    cutouts = decode_cutouts(alert)
    panel.show_cutouts(cutouts)
    return cutouts


def curve_points(item) -> np.ndarray:
    """The item's points in the view's coordinates (its data is relative to its place)."""
    x, y = item.getData()
    return np.column_stack([x, y]) + np.array([item.pos().x(), item.pos().y()])


def to_pixel(panel, name, point) -> tuple[float, float]:
    """A point of the view (screen, North up) in the stamp's pixel coordinates."""
    inverse, ok = panel.images[name].transform().inverted()
    assert ok
    mapped = inverse.map(QPointF(*point))
    return mapped.x(), mapped.y()


def sky(cutout, pixel) -> tuple[float, float]:
    # pyqtgraph's pixel (i, j) spans [i, i + 1); the WCS puts pixel centres on integers
    ra, dec = cutout.wcs.pixel_to_world_values(pixel[0] - 0.5, pixel[1] - 0.5)
    return float(ra), float(dec)


@pytest.mark.parametrize("path", [FINK_ZTF_SINGLE, FINK_LSST_TRANSFER])
def test_ticks_leave_the_centre_pixel_clear(panel, path):
    cutouts = show(panel, alerts(path)[0])
    for name in NAMES:
        rows, cols = cutouts[name].data.shape
        centre = np.array([cols / 2, rows / 2])
        for item in panel.marks[name].ticks:
            points = curve_points(item)
            assert len(points) == 8  # four ticks
            # every tick lies outside the centre pixel, in the stamp's own pixels too
            pixels = np.array([to_pixel(panel, name, p) for p in points]) - centre
            assert np.hypot(*pixels.T).min() > 1.5
            assert np.abs(pixels).max(axis=1).min() > 1.0


def test_compass_points_north_and_east_by_the_wcs_of_rotated_rubin_stamps(panel):
    checked = 0
    for alert in alerts(FINK_LSST_TRANSFER):
        cutouts = show(panel, alert)
        for name in NAMES:
            cutout = cutouts[name]
            assert abs(cutout.north_angle) > 5  # the stamp is turned on the sky
            origin, north, _, east = curve_points(panel.marks[name].compass[1])
            ra0, dec0 = sky(cutout, to_pixel(panel, name, origin))
            ra_n, dec_n = sky(cutout, to_pixel(panel, name, north))
            ra_e, dec_e = sky(cutout, to_pixel(panel, name, east))
            cos = math.cos(math.radians(dec0))
            # North: Dec grows, RA stays (within 1 degree of position angle)
            assert dec_n > dec0
            assert abs((ra_n - ra0) * cos) < math.tan(math.radians(1)) * (dec_n - dec0)
            # East: RA grows, Dec stays
            assert (ra_e - ra0) * cos > 0
            assert abs(dec_e - dec0) < math.tan(math.radians(1)) * (ra_e - ra0) * cos
            assert panel.marks[name].north.toPlainText() == "N"
            assert panel.marks[name].east.toPlainText() == "E"
            checked += 1
    assert checked == 3 * 7


def test_ztf_stamps_have_no_wcs_so_no_compass_but_say_so(panel):
    show(panel, alerts(FINK_ZTF_SINGLE)[0])
    marks = panel.marks["science"]
    assert marks.compass[1].getData()[0] is None or len(marks.compass[1].getData()[0]) == 0
    assert marks.north.toPlainText() == "no WCS" and marks.north.isVisible()
    assert not marks.east.isVisible()


def test_scale_bar_is_as_long_as_the_wcs_pixel_scale_says(panel):
    cutouts = show(panel, alerts(FINK_LSST_TRANSFER)[0])
    for name in NAMES:
        start, end = curve_points(panel.marks[name].bar[1])
        label = panel.marks[name].bar_label.toPlainText()
        arcsec = float(label.rstrip("″"))
        scale = float(np.mean(proj_plane_pixel_scales(cutouts[name].wcs))) * 3600
        assert 0.15 < scale < 0.25  # Rubin's 0.2″ pixels
        length = np.hypot(*(to_pixel(panel, name, end) - np.array(to_pixel(panel, name, start))))
        assert length == pytest.approx(arcsec / scale, rel=1e-3)
        assert end[1] == start[1]  # level on screen


def test_ztf_scale_bar_uses_the_nominal_pixel_scale(panel):
    show(panel, alerts(FINK_ZTF_SINGLE)[0])
    start, end = curve_points(panel.marks["science"].bar[1])
    assert panel.marks["science"].bar_label.toPlainText() == "20″"
    assert end[0] - start[0] == pytest.approx(20 / 1.01)


def filled(panel, name) -> float:
    """Height of the drawn stamp as a share of its view's height."""
    return (
        panel.images[name].sceneBoundingRect().height()
        / panel.boxes[name].sceneBoundingRect().height()
    )


def test_a_30_pixel_stamp_fills_its_view_like_a_63_pixel_one(panel, qtbot):
    show(panel, alerts(FINK_ZTF_SINGLE)[0])
    qtbot.wait(10)
    ztf = filled(panel, "science")
    show(panel, alerts(FINK_LSST_TRANSFER)[0])
    qtbot.wait(10)
    rubin = filled(panel, "science")
    assert ztf > 0.9
    assert rubin == pytest.approx(ztf, rel=0.03)


def test_limits_are_written_in_the_corner(panel):
    cutouts = show(panel, alerts(FINK_ZTF_SINGLE)[0])
    for name in NAMES:
        text = panel.marks[name].limits
        lo, hi = LIMITS.limits(cutouts[name], "zscale", symmetric=name == "difference")
        assert text.isVisible()
        assert text.toPlainText() == f"zscale {lo:.4g} … {hi:.4g} DN"
    panel.set_display(limits="minmax")
    assert panel.marks["science"].limits.toPlainText().startswith("minmax ")


def test_negative_ztf_difference_is_said_beside_it(panel):
    ztf = alerts(FINK_ZTF_MULTI)
    negative = next(a for a in ztf if a.is_positive is False)
    positive = next(a for a in ztf if a.is_positive is True)
    show(panel, negative)
    # short in the title (three columns share the width), the why in its tooltip
    assert panel.labels["difference"].text.endswith("(negative)")
    assert "isdiffpos = f" in panel.labels["difference"].toolTip()
    assert "negative" not in panel.labels["science"].text
    show(panel, positive)
    assert "negative" not in panel.labels["difference"].text
    assert panel.labels["difference"].toolTip() == ""
    assert panel.labels["difference"].text.startswith("Difference 63")


def test_a_blank_stamp_has_no_marks(panel):
    alert = alerts(FINK_ZTF_SINGLE)[0]
    cutouts = decode_cutouts(alert)
    del cutouts["template"]
    panel.show_cutouts(cutouts)
    marks = panel.marks["template"]
    assert not marks.limits.isVisible() and not marks.bar_label.isVisible()
    assert marks.ticks[1].getData()[0] is None or len(marks.ticks[1].getData()[0]) == 0
    assert panel.marks["science"].limits.isVisible()


ZTF_BLANKS = SHARED / "ztf" / "472263571115090000.avro"  # ZTF18aaxjlwy: masked pixels


def test_blank_pixels_show_the_checks_not_a_data_colour(panel, qtbot):
    from alertview.gui.cutouts import BLANK_CHECKS

    cutouts = show(panel, alerts(ZTF_BLANKS)[0])
    qtbot.wait(10)
    blank = np.all([np.isnan(cutouts[n].data) for n in NAMES], axis=0)
    rows, cols = np.nonzero(blank[35:50, 4:12])
    row, col = rows[0] + 35, cols[0] + 4  # clear of the ticks and the scale bar
    grabbed = panel.view.grab().toImage()
    checks = [np.array(QColor(c).getRgb()[:3]) for c in BLANK_CHECKS]
    for name in NAMES:
        scene = panel.images[name].mapToScene(QPointF(col + 0.5, row + 0.5))
        at = panel.view.mapFromScene(scene)
        drawn = np.array(grabbed.pixelColor(at).getRgb()[:3])
        # before: 0 of the colour map (the difference's dark blue, the science's black)
        assert min(np.abs(drawn - c).max() for c in checks) <= 3, (name, drawn)
    # the next alert's stamps have no blank pixel: no checks drawn under them
    whole = show(panel, alerts(FINK_ZTF_SINGLE)[0])
    assert not any(np.isnan(whole[n].data).any() for n in NAMES)
    assert not any(panel.blanks[n].isVisible() for n in NAMES)
    show(panel, alerts(ZTF_BLANKS)[0])  # and back: the checks again
    assert all(panel.blanks[n].isVisible() for n in NAMES)


def mark_items(marks):
    """The marks' items on show (curves with points, texts with a text)."""
    items = [marks.north, marks.east, marks.bar_label, marks.limits]
    items = [i for i in items if i.isVisible()]
    for pair in (marks.ticks, marks.compass, marks.bar):
        x, _ = pair[0].getData()
        if x is not None and len(x):
            items.extend(pair)
    return items


def check_layout(panel):
    widths = [panel.boxes[n].sceneBoundingRect().width() for n in NAMES]
    assert max(widths) - min(widths) <= 1, widths
    shown = QRectF(panel.view.mapToScene(panel.view.viewport().rect()).boundingRect())
    for name in NAMES:
        box = panel.boxes[name].sceneBoundingRect()
        assert shown.adjusted(-1, -1, 1, 1).contains(box), (name, box, shown)  # not clipped
        marks = panel.marks[name]
        for item in mark_items(marks):
            rect = item.sceneBoundingRect()
            assert box.adjusted(-1, -1, 1, 1).contains(rect), (name, item, rect, box)
        limits = marks.limits.sceneBoundingRect()
        assert marks.limits.isVisible()
        # apart from the compass (Rubin's "N" sat on them) and every other mark
        for item in mark_items(marks):
            if item is not marks.limits:
                assert not limits.intersects(item.sceneBoundingRect()), (name, item)


@pytest.mark.parametrize("width", [600, 1500, 1920])
def test_three_equal_columns_with_their_marks_inside(panel, qtbot, width):
    panel.resize(width, 420)
    negative = alerts(FINK_ZTF_MULTI)[6]
    assert negative.object_id == "ZTF18aaacpxm" and negative.is_positive is False
    for alert in (negative, alerts(FINK_LSST_TRANSFER)[2]):
        show(panel, alert)
        qtbot.wait(20)
        check_layout(panel)


def test_display_choices_are_radio_groups(panel):
    menu = panel.display_menu()
    try:
        for sub in (a.menu() for a in menu.actions()):
            actions = sub.actions()
            group = actions[0].actionGroup()
            assert group is not None and group.isExclusive()
            assert all(a.actionGroup() is group for a in actions)
            assert sum(a.isChecked() for a in actions) == 1
        stretch = next(a.menu() for a in menu.actions() if a.text() == "Stretch")
        linear = next(a for a in stretch.actions() if a.text() == "linear")
        linear.trigger()
        assert panel.controller.stretch == "linear"
        assert [a.text() for a in stretch.actions() if a.isChecked()] == ["linear"]
    finally:
        menu.deleteLater()
