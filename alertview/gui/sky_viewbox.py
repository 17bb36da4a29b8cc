"""The sky map's view box: a left-drag draws a box or a lasso, or pans.

Kept apart from ``skymap`` (the tab): this is the one place that turns
pyqtgraph's drag and click events into regions and points on the map.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from alertview.controllers.skymap import Region

_REGION_PEN = pg.mkPen((255, 80, 0), width=2)


class SkyViewBox(pg.ViewBox):
    """A view box whose left-drag draws a box or lasso (``tool``), or pans ("pan")."""

    #: A region drawn: a ``Region`` in plane coordinates.
    region_drawn = Signal(object)
    #: A left click at (x, y) plane coordinates.
    clicked = Signal(float, float)

    def __init__(self) -> None:
        super().__init__(lockAspect=True, enableMenu=False)
        self.tool = "pan"
        self._points: list[QPointF] = []
        self.path = pg.PlotCurveItem(pen=_REGION_PEN)
        self.path.setZValue(20)
        self.addItem(self.path, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.tool == "pan" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            self._points = [self.mapSceneToView(ev.buttonDownScenePos())]
        self._points.append(self.mapSceneToView(ev.scenePos()))
        xs, ys = self._outline()
        self.path.setData(xs, ys)
        if ev.isFinish():
            self.path.setData([], [])
            if self.tool == "box":
                region = Region("box", tuple(xs[[0, 2]]), tuple(ys[[0, 2]]))
            else:
                region = Region("lasso", tuple(xs[:-1]), tuple(ys[:-1]))
            self._points = []
            self.region_drawn.emit(region)

    def _outline(self) -> tuple[np.ndarray, np.ndarray]:
        """The region drawn so far, closed: the box's corners or the lasso's points."""
        if self.tool == "box":
            (x0, y0), (x1, y1) = self._points[0].toTuple(), self._points[-1].toTuple()
            return np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0])
        points = np.array([p.toTuple() for p in [*self._points, self._points[0]]])
        return points[:, 0], points[:, 1]

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            at = self.mapSceneToView(ev.scenePos())
            self.clicked.emit(at.x(), at.y())
        else:
            super().mouseClickEvent(ev)
