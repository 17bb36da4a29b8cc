"""The sky map's view box: a left-drag draws a box or a lasso, or pans.

Kept apart from ``skymap`` (the tab): this is the one place that turns
pyqtgraph's drag and click events into regions and points on the map.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from alertview.controllers.skymap import Region

#: The region's outline: white on a dark shadow, no band's or survey's colour.
_REGION_PEN = pg.mkPen((255, 255, 255), width=1.5, style=Qt.PenStyle.DashLine)
_REGION_SHADOW = pg.mkPen((0, 0, 0), width=4)
#: A drag spanning fewer screen pixels than this is a click: a hand's tremor on a click
#: drew a box holding no alert, and the table went empty with no word why.
MIN_DRAG_PX = 5


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
        self._shown: Region | None = None  # the region outlined
        self.path = pg.PlotCurveItem(pen=_REGION_PEN, shadowPen=_REGION_SHADOW)
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
            self.path.setData([], [])  # the map draws the region chosen (``show_region``)
            if self._span_px() < MIN_DRAG_PX:
                self._points = []
                self.show_region(self._shown)  # the selection's region stays in sight
                at = self.mapSceneToView(ev.buttonDownScenePos())
                self.clicked.emit(at.x(), at.y())
                return
            if self.tool == "box":
                region = Region("box", tuple(xs[[0, 2]]), tuple(ys[[0, 2]]))
            else:
                region = Region("lasso", tuple(xs[:-1]), tuple(ys[:-1]))
            self._points = []
            self.region_drawn.emit(region)

    def _span_px(self) -> float:
        """The largest extent of the points drawn so far, in screen pixels."""
        scene = [self.mapViewToScene(p) for p in self._points]
        xs, ys = [p.x() for p in scene], [p.y() for p in scene]
        return max(max(xs) - min(xs), max(ys) - min(ys))

    def show_region(self, region: Region | None) -> None:
        """Outline the region of the sky selection (None: no outline)."""
        self._shown = region
        if region is None:
            self.path.setData([], [])
            return
        xs, ys = np.asarray(region.x, dtype=float), np.asarray(region.y, dtype=float)
        if region.kind == "box":
            xs, ys = xs[[0, 1, 1, 0, 0]], ys[[0, 0, 1, 1, 0]]
        else:
            xs, ys = np.append(xs, xs[:1]), np.append(ys, ys[:1])
        self.path.setData(xs, ys)

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
