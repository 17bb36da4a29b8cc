"""PointsItem on its own: what it keeps of odd series, its bounds, which point a
pointer is on."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF

from alertview.gui.points_item import Marker, PointSeries, PointsItem

DOT = Marker("o", 8, "k", 0.5, "#d62728", bars="#d62728")


@pytest.fixture
def shown(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    item = PointsItem()
    widget.addItem(item)
    return widget, item


def test_odd_series_are_kept_as_drawable(shown, qtbot):
    widget, item = shown
    nan, inf = np.nan, np.inf
    item.set_series([
        PointSeries("empty", np.zeros(0), np.zeros(0), DOT),
        PointSeries("gaps", np.array([1.0, nan, 3.0, 4.0]), np.array([1.0, 2.0, inf, 4.0]), DOT,
                    np.array([0.5, 0.1, 0.1, inf]), np.array([11, 12, 13, 14])),
        PointSeries("one", np.array([2.0]), np.array([5.0]), DOT, np.array([-1.0])),
    ])  # fmt: skip
    assert item.series_keys() == ["gaps", "one"]  # an empty series is not drawn
    x, y = item.drawn("gaps")
    assert x.tolist() == [1.0, 4.0] and y.tolist() == [1.0, 4.0]
    # bounds: the points and the finite, positive bars (+-0.5 around y=1), nothing else
    assert item.dataBounds(0) == (1.0, 4.0) and item.dataBounds(1) == (0.5, 5.0)
    widget.setRange(xRange=(0, 5), yRange=(0, 6), padding=0)
    qtbot.wait(20)
    widget.viewport().grab()  # paints without error
    rect = item.boundingRect()
    assert rect.contains(QPointF(2.0, 5.0)) and rect.contains(QPointF(1.0, 0.5))
    # a pointer on the single point finds it; its id is None (it has none)
    hit = item.point_at(QPointF(2.0, 5.0))
    assert hit is not None and (hit.key, hit.x, hit.y, hit.source_id) == ("one", 2.0, 5.0, None)
    hit = item.point_at(QPointF(4.0, 4.0))
    assert hit is not None and hit.source_id == 14  # its id kept with it past the gaps
    assert item.point_at(QPointF(3.0, 3.0)) is None  # between points: none


def test_the_bounds_follow_the_view_when_zoomed_out(shown, qtbot):
    """The markers' half-widths are pixels: zoomed out, they are more data units, and
    the bounds grow with them (a stale rect left pieces of markers unpainted)."""
    widget, item = shown
    item.set_series([PointSeries("one", np.array([2.0]), np.array([5.0]), DOT)])
    widget.setRange(xRange=(0, 5), yRange=(0, 6), padding=0)
    qtbot.wait(20)
    near = item.boundingRect().width()
    widget.setRange(xRange=(-500, 500), yRange=(-600, 600), padding=0)
    qtbot.wait(20)
    far = item.boundingRect().width()
    assert far > 100 * near > 0
