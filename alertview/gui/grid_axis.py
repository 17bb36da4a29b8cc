"""A pyqtgraph axis whose grid is drawn as opaque one-pixel fills under the data.

pyqtgraph draws each grid line as a translucent cosmetic line over the plot. Qt's
raster engine blends such a line span by span, a span per pixel row of a vertical
line: the light curve's ~30 grid lines took 2-3 ms of each ~10 ms repaint, and a
selected alert redraws them (its range is new). An opaque fill of the same colour,
blended over the plot's background once here, is a single span per row at memory
speed and looks the same; drawn under the data, it no longer crosses the points.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter

#: Below the view box (z -100 in pyqtgraph) and what it holds: the grid under the data.
UNDER_THE_DATA = -101.0


def over(colour: QColor, background: QColor) -> QColor:
    """``colour`` as it looks blended over an opaque ``background``: an opaque colour."""
    alpha = colour.alphaF()
    return QColor.fromRgbF(
        colour.redF() * alpha + background.redF() * (1 - alpha),
        colour.greenF() * alpha + background.greenF() * (1 - alpha),
        colour.blueF() * alpha + background.blueF() * (1 - alpha),
    )


class GridAxis(pg.AxisItem):
    """An axis that draws its ticks and grid lines as opaque fills (see the module)."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self._opaque: dict[int, QColor] = {}  # a tick pen's colour (rgba) -> its fill

    def under_the_data(self) -> None:
        """Draw below the view box (call once the axis is in its plot: pyqtgraph sets
        its z when it adds it)."""
        self.setZValue(UNDER_THE_DATA)

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:  # pyqtgraph's name
        if self.grid is False:
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, start, end in tickSpecs:
            p.fillRect(pixel_line(start.x(), start.y(), end.x(), end.y()), self._fill(pen))
        super().drawPicture(p, axisSpec, [], textSpecs)

    def _fill(self, pen) -> QColor:
        rgba = pen.color().rgba()
        fill = self._opaque.get(rgba)
        if fill is None:
            background = pg.mkColor(pg.getConfigOption("background"))
            fill = self._opaque[rgba] = over(pen.color(), background)
        return fill


def pixel_line(x1: float, y1: float, x2: float, y2: float) -> QRectF:
    """The one-pixel-wide rectangle a horizontal or vertical line covers (the pixels a
    cosmetic line without antialiasing would colour)."""
    if abs(x1 - x2) < abs(y1 - y2):  # vertical
        return QRectF(math.floor(x1), min(y1, y2), 1.0, abs(y2 - y1))
    return QRectF(min(x1, x2), math.floor(y1), abs(x2 - x1), 1.0)
