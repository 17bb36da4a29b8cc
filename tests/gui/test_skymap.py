"""The Sky tab with real widgets and mouse events: a box or lasso drawn on the map
shows exactly the alerts inside it in the table; clearing shows them all again; the
alert selected in the table is ringed where it lies; a click selects an alert.

The oracle for "inside" is Qt's own ``QPolygonF.containsPoint`` (even-odd), not the
map's numpy test."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPolygonF
from PySide6.QtWidgets import QApplication

from alertview.core import sky
from alertview.core.table.rows import ROW_FIELDS
from tests.conftest import SHARED

FIELD = {name: i for i, name in enumerate(ROW_FIELDS)}


def open_real(window, qtbot) -> None:
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_paths([SHARED])
    assert window.model.total > 10


def add_copies(window, count: int, seed: int = 3) -> None:
    """``count`` more rows: the real stored rows copied, with new ids and positions
    spread over the whole sky (a survey-sized table without decoding 10^5 packets)."""
    rng = np.random.default_rng(seed)
    templates = window.store.rows()
    first = max(t[FIELD["row"]] for t in templates) + 1
    ra = rng.uniform(0, 360, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, count)))
    rows = []
    for n in range(count):
        row = list(templates[n % len(templates)])
        row[FIELD["row"]] = first + n
        row[FIELD["alert_id"]] = 10**15 + n
        row[FIELD["ra"]], row[FIELD["dec"]] = float(ra[n]), float(dec[n])
        rows.append(tuple(row))
    window.model.append_rows(rows)


def show_sky(window, qtbot):
    view = window.skymap
    tabs = window.inspection.tabs
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tabs.indexOf(view)).center())
    assert tabs.currentWidget() is view
    view.catch_up()
    qtbot.waitUntil(lambda: len(view.controller) == window.model.total, timeout=5000)
    qtbot.waitUntil(lambda: view.points.image is not None, timeout=5000)  # drawn, laid out
    qtbot.wait(50)
    return view


def send(widget, kind, pos: QPoint, button, buttons) -> None:
    """One real mouse event to the map's viewport (QTest cannot move with a button held)."""
    local = QPointF(pos)
    event = QMouseEvent(
        kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def drag(view, qtbot, points: list[QPoint]) -> None:
    """Press at the first point, move through the others with the left button, release;
    at a hand's pace (pyqtgraph drops moves closer than 10 ms apart)."""
    viewport = view.plot.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(viewport, QMouseEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        qtbot.wait(15)
        send(viewport, QMouseEvent.Type.MouseMove, point, none, left)
    qtbot.wait(15)
    send(viewport, QMouseEvent.Type.MouseButtonRelease, points[-1], left, none)
    QApplication.processEvents()


def plane(view, point: QPoint) -> tuple[float, float]:
    """Where a viewport pixel is on the map."""
    at = view.box.mapSceneToView(view.plot.mapToScene(point))
    return at.x(), at.y()


def shown_ids(window) -> set[int]:
    model = window.model
    return {model.field(row, "alert_id") for row in range(model.rowCount())}


def ids_inside(window, polygon: QPolygonF) -> set[int]:
    columns = window.model.columns
    x, y = sky.project(columns.numbers["ra"].values, columns.numbers["dec"].values)
    rule = Qt.FillRule.OddEvenFill
    return {
        int(columns.alert_id.values[i])
        for i in range(len(x))
        if polygon.containsPoint(QPointF(x[i], y[i]), rule)
    }


def lasso_points(view) -> list[QPoint]:
    """A star-shaped lasso over the middle of the map, in viewport pixels."""
    rect = view.plot.viewport().rect()
    centre = rect.center()
    across, up = 0.4 * rect.width(), 0.12 * rect.height()
    points = []
    for k in range(40):
        angle = 2 * np.pi * k / 40
        reach = 1.0 if k % 2 else 0.55
        x = centre.x() + across * reach * np.cos(angle)
        points.append(QPoint(int(x), int(centre.y() + up * reach * np.sin(angle))))
    return points


def test_a_lasso_selects_exactly_the_alerts_inside_it_and_clear_restores(window, qtbot):
    open_real(window, qtbot)
    add_copies(window, 100_000)
    view = show_sky(window, qtbot)
    view.set_tool("lasso")
    points = lasso_points(view)
    polygon = QPolygonF([QPointF(*plane(view, p)) for p in points])
    before = view.box.viewRange()
    drag(view, qtbot, points)
    qtbot.wait(50)
    assert view.box.viewRange() == before  # the map stays put as it says what it chose
    expected = ids_inside(window, polygon)
    assert 1000 < len(expected) < window.model.total // 2
    assert shown_ids(window) == expected
    assert window.model.rowCount() == len(expected)
    assert f"{len(expected):,} alerts selected on the sky" in view.count.text()
    # said in the status bar too, whatever tab is in front; a click there clears it
    window.inspection.tabs.setCurrentIndex(0)
    assert view.status_button.isVisible()
    assert view.status_button.text() == f"sky selection: {len(expected):,} alerts ✕"
    qtbot.mouseClick(view.status_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == window.model.total
    assert not view.status_button.isVisible()
    # and the Clear button on the map does the same
    show_sky(window, qtbot)
    view.set_tool("box")
    drag(view, qtbot, points[:3])
    assert 0 < window.model.rowCount() < window.model.total
    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == window.model.total
    assert not view.clear_button.isEnabled()


def test_a_box_intersects_with_the_filter_and_takes_new_alerts_inside_it(window, qtbot):
    open_real(window, qtbot)
    add_copies(window, 20_000)
    view = show_sky(window, qtbot)
    window.filter_edit.setText('band == "g"')
    window.apply_filter()
    view.set_tool("box")
    rect = view.plot.viewport().rect()
    corner, other = rect.center() + QPoint(-150, -60), rect.center() + QPoint(120, 80)
    (x0, y0), (x1, y1) = plane(view, corner), plane(view, other)
    drag(view, qtbot, [corner, corner + QPoint(40, 30), other])
    box = QPolygonF([QPointF(x0, y0), QPointF(x1, y0), QPointF(x1, y1), QPointF(x0, y1)])
    inside = ids_inside(window, box)
    g = _ids_of_band(window, "g")
    assert shown_ids(window) == inside & g
    assert inside - g  # the filter did hide some of the box's alerts
    before = set(inside)
    add_copies(window, 5000, seed=11)  # a live stream's next rows
    view.catch_up()
    assert shown_ids(window) == ids_inside(window, box) & _ids_of_band(window, "g")
    assert ids_inside(window, box) - before  # new alerts landed inside and are shown


def _ids_of_band(window, band: str) -> set[int]:
    columns = window.model.columns
    text = columns.texts["band"]
    codes = text.codes.values
    return {
        int(i)
        for i, c in zip(columns.alert_id.values, codes, strict=True)
        if text.values[c] == band
    }


def test_the_selected_alert_is_ringed_and_a_click_selects_one(window, qtbot):
    open_real(window, qtbot)
    window.select_row(5)  # selected while the map is hidden: ringed once it is shown
    view = show_sky(window, qtbot)
    columns = window.model.columns
    ra, dec = columns.numbers["ra"].values, columns.numbers["dec"].values
    hidden = window.model.position(5)
    x, y = sky.project(ra[[hidden]], dec[[hidden]])
    marked_x, marked_y = view.marker.getData()
    assert marked_x[0] == pytest.approx(x[0]) and marked_y[0] == pytest.approx(y[0])
    window.select_row(3)
    position = window.model.position(3)
    x, y = sky.project(ra[[position]], dec[[position]])
    marked_x, marked_y = view.marker.getData()
    assert marked_x[0] == pytest.approx(x[0]) and marked_y[0] == pytest.approx(y[0])
    # a click on another alert's point selects it in the table (the marker follows)
    other = window.model.position(7)
    ox, oy = sky.project(
        columns.numbers["ra"].values[[other]], columns.numbers["dec"].values[[other]]
    )
    view.box.setRange(
        xRange=(ox[0] - 0.01, ox[0] + 0.01), yRange=(oy[0] - 0.01, oy[0] + 0.01), padding=0
    )
    QApplication.processEvents()
    pixel = view.plot.mapFromScene(view.box.mapViewToScene(QPointF(ox[0], oy[0])))
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
    assert window.model.field(window.table.currentIndex().row(), "alert_id") == int(
        columns.alert_id.values[other]
    )
    marked_x, _ = view.marker.getData()
    assert marked_x[0] == pytest.approx(ox[0])
    # hovering names it
    qtbot.wait(20)  # pyqtgraph takes moves 10 ms apart at most
    # (the alert's summary above the tabs may have grown: the point is found again)
    pixel = view.plot.mapFromScene(view.box.mapViewToScene(QPointF(ox[0], oy[0])))
    no = Qt.MouseButton.NoButton
    send(view.plot.viewport(), QMouseEvent.Type.MouseMove, pixel + QPoint(1, 0), no, no)
    qtbot.waitUntil(lambda: "RA" in view.hover.text(), timeout=2000)
    assert f"RA {columns.numbers['ra'].values[other]:.4f}" in view.hover.text()


def test_the_map_is_drawn_with_points_lines_and_a_legend(window, qtbot):
    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    qtbot.waitUntil(lambda: view.points.image is not None, timeout=5000)
    view.draw()
    assert int((view.points.image[..., 3] > 0).sum()) > 0
    assert "ztf" in view.legend.text() and "galactic plane" in view.legend.text()
    view.colour.setCurrentText("mag")
    view.draw()
    assert "mag:" in view.legend.text()
    x, _ = view.lines["galactic"].getData()
    assert np.isnan(x).any()  # split where it wraps


def test_a_sorted_table_keeps_its_order_and_new_rows_inside_take_their_places(window, qtbot):
    open_real(window, qtbot)
    add_copies(window, 3000)
    model = window.model
    model.sort([c.field for c in model_columns(model)].index("mag"), Qt.SortOrder.DescendingOrder)
    columns = model.columns
    left_half = np.flatnonzero(columns.numbers["ra"].values < 180)  # RA 0-180: left half
    model.set_sky_subset(left_half)
    assert sorted(model.shown_positions().tolist()) == left_half.tolist()
    before = len(columns)
    add_copies(window, 2000, seed=5)  # a batch: hidden until the map says they are inside
    assert model.rowCount() == len(left_half)
    new = before + np.flatnonzero(columns.numbers["ra"].values[before:] < 180)
    model.extend_sky_subset(new)
    shown = model.shown_positions()
    assert sorted(shown.tolist()) == sorted([*left_half.tolist(), *new.tolist()])
    mag = columns.numbers["mag"].values
    key = np.where(np.isnan(mag[shown]), -np.inf, mag[shown])
    assert (key[:-1] >= key[1:]).all()  # still by magnitude, brightest last
    model.set_sky_subset(None)
    assert model.rowCount() == len(columns)


def model_columns(model):
    return [model.column(n) for n in range(model.columnCount())]


def test_the_hover_line_forgets_an_alert_once_the_pointer_leaves_it(window, qtbot):
    """The alert's name stayed under the map after the pointer moved on to empty sky."""
    from alertview.gui.skymap import HOVER_HINT, REACH_PX

    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    columns = window.model.columns
    x, y = sky.project(columns.numbers["ra"].values, columns.numbers["dec"].values)
    target = window.model.position(5)
    view.box.setRange(
        xRange=(x[target] - 0.01, x[target] + 0.01),
        yRange=(y[target] - 0.01, y[target] + 0.01),
        padding=0,
    )
    QApplication.processEvents()
    viewport, no = view.plot.viewport(), Qt.MouseButton.NoButton

    def pixel_of(px: float, py: float) -> QPoint:
        return view.plot.mapFromScene(view.box.mapViewToScene(QPointF(px, py)))

    def move(pixel: QPoint) -> None:
        qtbot.wait(20)  # pyqtgraph drops moves closer than 10 ms apart
        send(viewport, QMouseEvent.Type.MouseMove, pixel, no, no)

    on_point = pixel_of(x[target], y[target])
    # empty sky: the pixel farthest from every point among a few candidates, beyond reach
    candidates = [on_point + QPoint(dx, dy) for dx in (-60, 0, 60) for dy in (-60, 60)]
    pixels = [pixel_of(px, py) for px, py in zip(x, y, strict=True) if np.isfinite(px)]

    def clearance(p: QPoint) -> float:
        return min(np.hypot(p.x() - q.x(), p.y() - q.y()) for q in pixels)

    empty = max(candidates, key=clearance)
    assert clearance(empty) > 3 * REACH_PX and view.rect().contains(empty)
    for _ in range(2):  # on the alert, off it, on it again
        move(on_point)
        qtbot.waitUntil(lambda: "RA" in view.hover.text(), timeout=2000)
        assert f"RA {columns.numbers['ra'].values[target]:.4f}" in view.hover.text()
        move(empty)
        qtbot.waitUntil(lambda: view.hover.text() == HOVER_HINT, timeout=2000)
    qtbot.wait(20)
    qtbot.mouseMove(viewport, on_point)  # through the window: Qt knows the pointer is in
    qtbot.waitUntil(lambda: "RA" in view.hover.text(), timeout=2000)
    qtbot.mouseMove(view.count)  # off the map, onto the line below it
    qtbot.waitUntil(lambda: view.hover.text() == HOVER_HINT, timeout=2000)


def test_counts_under_the_map_say_one_alert_and_thousands_with_commas(window, qtbot):
    """A box around one alert said "1 alerts selected on the sky"."""
    from alertview.controllers.skymap import Region

    open_real(window, qtbot)
    add_copies(window, 2000)
    view = show_sky(window, qtbot)
    total = window.model.total
    assert total > 2000 and view.count.text() == f"{total:,} alerts on the sky"
    x, y = view.controller.x, view.controller.y
    # an alert with no other within 0.01 of it (copies of one object share a place)
    near = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) < 0.01
    alone = int(np.flatnonzero(near.sum(axis=1) == 1)[0])
    box = Region("box", (x[alone] - 0.005, x[alone] + 0.005), (y[alone] - 0.005, y[alone] + 0.005))
    view.select_region(box)
    assert window.model.rowCount() == 1
    assert view.count.text().startswith("1 alert selected on the sky;")
    assert view.status_button.text() == "sky selection: 1 alert ✕"
    view.clear_selection()
    assert view.count.text() == f"{total:,} alerts on the sky"


def test_the_match_count_says_what_the_table_shows_with_a_sky_selection(window, qtbot):
    """Issue 15 §1: '3 of 57 match' stayed while the table showed 3 of the box's 18,
    and after the box was cleared, 7 of 57."""
    from alertview.controllers.skymap import Region

    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    view.select_region(Region("box", (0.0, 3.0), (-1.5, 1.5)))  # the map's left half
    in_sky = view.controller.selected_count
    assert 0 < in_sky < window.model.total
    window.filter_edit.setText('survey == "lsst"')
    window.apply_filter()
    shown = window.model.rowCount()
    assert window.match_label.text() == f"{shown} of {in_sky} in the sky selection match"
    view.status_button.click()  # cleared from the status bar
    everywhere = window.model.rowCount()
    assert everywhere >= shown
    assert window.match_label.text() == f"{everywhere} of {window.model.total} match"


def outline(view) -> int:
    """How many points the region's outline on the map has (0: none drawn)."""
    xs, _ = view.box.path.getData()
    return 0 if xs is None else len(xs)


def slow_tiny_drag(view, qtbot, at: QPoint) -> None:
    """A press held still past pyqtgraph's 0.5 s (a move then is a drag, however
    small), a move of 3 pixels, a release."""
    viewport = view.plot.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(viewport, QMouseEvent.Type.MouseButtonPress, at, left, left)
    qtbot.wait(600)
    for step in (QPoint(2, 1), QPoint(3, 2)):
        send(viewport, QMouseEvent.Type.MouseMove, at + step, none, left)
        qtbot.wait(15)
    send(viewport, QMouseEvent.Type.MouseButtonRelease, at + QPoint(3, 2), left, none)
    QApplication.processEvents()


def test_a_tiny_drag_is_a_click_and_the_region_stays_outlined_until_cleared(window, qtbot):
    """Issue 15 §1: a box drawn by a tremor on a click emptied the table with no word
    why, and the box's outline vanished on release."""
    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    view.set_tool("box")
    centre = view.plot.viewport().rect().center()
    plot_height = view.plot.height()
    slow_tiny_drag(view, qtbot, centre)
    assert view.controller.selected is None  # a click: no sky selection
    assert window.model.rowCount() == window.model.total
    assert not outline(view)
    corner, other = centre + QPoint(-200, -80), centre + QPoint(150, 90)
    drag(view, qtbot, [corner, corner + QPoint(40, 30), other])
    assert view.controller.selected is not None
    xs, ys = view.box.path.getData()
    assert len(xs) == 5  # the box, still drawn after release
    (x0, y0), (x1, y1) = plane(view, corner), plane(view, other)
    assert min(xs) == pytest.approx(min(x0, x1)) and max(ys) == pytest.approx(max(y0, y1))
    qtbot.wait(50)
    assert view.plot.height() == plot_height  # the longer count did not shrink the map
    view.set_tool("lasso")  # a tiny lasso on a selection keeps the selection's outline
    slow_tiny_drag(view, qtbot, centre)
    assert outline(view) == 5
    view.clear_selection()
    assert not outline(view)


def test_a_box_holding_no_alert_says_so(window, qtbot):
    from alertview.controllers.skymap import Region

    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    view.select_region(Region("box", (10.0, 11.0), (10.0, 11.0)))  # off the sky
    assert window.model.rowCount() == 0
    assert "No alerts inside the box — Clear sky selection" in view.count.text()
    assert "no alerts inside the box" in view.status_button.text()


def test_no_auto_range_button_and_ring_and_lines_unlike_any_point(window, qtbot):
    """The stray "A" button sat on the map; the ring was the r band's red and the
    ecliptic the i band's orange."""
    from alertview.gui import skymap

    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    for plot in (view.plot, window.inspection.lightcurve.plot):
        item = plot.getPlotItem()
        assert item.buttonsHidden and not item.autoBtn.isVisible()
    points = {tuple(int(v) for v in c[:3]) for c in sky.PALETTE}
    points |= {c[:3] for c in sky.BAND_COLOURS.values()}
    drawn = {
        "ring": view.marker.opts["pen"].color().getRgb()[:3],
        "galactic": view.lines["galactic"].opts["pen"].color().getRgb()[:3],
        "ecliptic": view.lines["ecliptic"].opts["pen"].color().getRgb()[:3],
        "region": view.box.path.opts["pen"].color().getRgb()[:3],
    }
    for name, rgb in drawn.items():
        nearest = min(sum(abs(a - b) for a, b in zip(rgb, c, strict=True)) for c in points)
        assert nearest > 60, name
    assert skymap.RING_SHADOW.color().getRgb()[:3] == (0, 0, 0)


def test_the_map_is_as_tall_as_the_sky_and_the_labels_sit_under_it(window, qtbot):
    """A tall pane: the map is no taller than half its width (the sky is 2:1), the
    legend and counts follow right under it, and the spare height is below them (it
    was a black band above and below the sky, with the labels far from it)."""
    window.resize(1500, 1200)
    open_real(window, qtbot)
    view = show_sky(window, qtbot)
    plot, legend = view.plot.geometry(), view.legend.geometry()
    assert view.height() > plot.width()  # a pane taller than the map can use
    assert plot.height() <= round(plot.width() / 2)
    assert plot.height() >= round(plot.width() / 2) - 2  # the map still takes the width
    assert 0 <= legend.top() - plot.bottom() <= 12
    assert view.hover.geometry().bottom() < view.height() - 100  # the spare height below
