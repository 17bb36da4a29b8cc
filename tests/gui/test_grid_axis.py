"""The light curve's grid, drawn as opaque fills: the picture pyqtgraph's translucent
grid lines make, under the data instead of over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage, QPainter, QPicture

from alertview.gui.grid_axis import GridAxis, over


def plot(qtbot, axes: dict | None) -> pg.PlotWidget:
    widget = pg.PlotWidget(axisItems=axes)
    widget.showGrid(x=True, y=True, alpha=0.2)
    for side in ("left", "bottom"):
        widget.getAxis(side).setStyle(maxTickLevel=1)  # two levels: two greys
        if axes:
            widget.getAxis(side).under_the_data()
    widget.setRange(xRange=(58790, 58815), yRange=(17, 20), padding=0)
    qtbot.addWidget(widget)
    widget.resize(640, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixels(widget: pg.PlotWidget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return data[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def test_the_grid_looks_as_pyqtgraphs(qtbot):
    ours = pixels(plot(qtbot, {"left": GridAxis("left"), "bottom": GridAxis("bottom")}))
    theirs = pixels(plot(qtbot, None))
    greys = {tuple(int(v) for v in p) for p in theirs.reshape(-1, 3)}
    assert (30, 30, 30) in greys and (15, 15, 15) in greys  # major and minor lines drawn
    # the same pixels, but where two lines cross: two translucent lines blend twice there
    differ = np.any(ours != theirs, axis=2)
    assert differ.sum() < 0.005 * differ.size
    crossings = {tuple(int(v) for v in p) for p in ours[differ]}
    assert crossings <= {(30, 30, 30), (15, 15, 15)}, crossings
    assert np.all(theirs[differ] > ours[differ])


def test_the_grid_is_under_the_points(qtbot):
    widget = plot(qtbot, {"left": GridAxis("left"), "bottom": GridAxis("bottom")})
    # a big square point on a major grid crossing (x 58800, y 18)
    point = pg.ScatterPlotItem(
        x=[58800.0], y=[18.0], symbol="s", size=20, pen=None, brush="#d62728", pxMode=True
    )
    widget.addItem(point)
    qtbot.wait(20)
    drawn = pixels(widget)
    scene = widget.getViewBox().mapViewToScene(pg.Point(58800.0, 18.0))
    at = widget.mapFromScene(scene)
    centre = drawn[at.y() - 3 : at.y() + 4, at.x() - 3 : at.x() + 4].reshape(-1, 3)
    red = QColor("#d62728").getRgb()[:3]
    assert {tuple(int(v) for v in p) for p in centre} == {red}  # no grid line across it


@pytest.mark.parametrize(("alpha", "expected"), [(51, (30, 30, 30)), (255, (150, 150, 150))])
def test_over_blends_as_the_raster_engine(alpha, expected):
    colour = over(QColor(150, 150, 150, alpha), QColor("black"))
    assert colour.alpha() == 255
    assert colour.getRgb()[:3] == expected


def specs_of(axis, generate) -> tuple:
    """An axis' draw specs as plain values (pens by colour), drawn on a QPicture as
    pyqtgraph's paint does."""
    picture = QPicture()
    painter = QPainter(picture)
    try:
        found = generate(axis, painter)
    finally:
        painter.end()
    if found is None:
        return None
    (pen, start, end), ticks, texts = found
    point = lambda p: (p.x(), p.y())  # noqa: E731
    return (
        (pen.color().rgba(), point(start), point(end)),
        [(pen.color().rgba(), point(a), point(b)) for pen, a, b in ticks],
        [(rect.getRect(), int(flags.value), text) for rect, flags, text in texts],
    )


@pytest.mark.parametrize("mode", ["mjd", "days", "date"])
def test_the_axes_specs_are_pyqtgraphs(qtbot, mode):
    """``GridAxis.generateDrawSpecs`` measures each label once instead of at every range:
    the same ticks, grid lines and labels as pyqtgraph's own, over wide and narrow
    ranges, both axes, every time mode, with and without the grid, in a small plot
    (where finer labels are left out for room), three tick levels, a tick font."""
    from PySide6.QtGui import QFont

    from alertview.gui.time_axis import TimeAxis

    bottom, left = TimeAxis(), GridAxis("left")
    widget = plot(qtbot, {"left": left, "bottom": bottom})
    bottom.set_mode(mode, "tai")
    box = widget.getViewBox()
    spans = np.random.default_rng(3).uniform(-3, 3.5, size=40)
    compared = 0
    for n, span in enumerate(spans):
        if n == 20:  # a small plot, every tick level, a small tick font
            widget.resize(160, 110)
            for axis in (bottom, left):
                axis.setStyle(maxTickLevel=2, tickFont=QFont("DejaVu Sans", 6))
        centre = 58000 + 3000 * (n / len(spans))
        box.setRange(xRange=(centre, centre + 10**span), yRange=(17 - span, 20 + n), padding=0)
        widget.showGrid(x=n % 3 != 0, y=n % 3 != 0, alpha=0.2)
        qtbot.wait(1)
        for axis in (bottom, left):
            ours = specs_of(axis, GridAxis.generateDrawSpecs)
            theirs = specs_of(axis, pg.AxisItem.generateDrawSpecs)
            assert ours == theirs, (mode, axis.orientation, box.viewRange())
            compared += len(theirs[2])
    assert compared > 250  # labels compared, not empty specs
