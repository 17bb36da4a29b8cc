"""The marks drawn on one cutout view: open ticks around the source, the N/E compass,
the scale bar and the display limits (``core.stamp_overlay`` says where).

Lines are drawn twice, a dark halo under a light stroke, and texts sit on a dark
translucent box (``boxed_text``): readable on a bright galaxy and on an empty sky,
in the light and the dark theme. The items are made once per view; showing another
alert moves them and changes texts and paths only where they differ.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont

from alertview.controllers.cutouts import Stamp
from alertview.core.stamp_overlay import Overlay, Point
from alertview.gui.boxed_text import BoxedText

TICK_COLOUR = "#00e5ff"
MARK_COLOUR = "#ffffff"
HALO_COLOUR = (0, 0, 0, 200)
TEXT_FILL = (0, 0, 0, 150)
NO_WCS = "no WCS"  # where the compass would be: why there is none


def _pair(box: pg.ViewBox, colour: str, width: float) -> tuple[pg.PlotCurveItem, ...]:
    """A halo and a stroke drawing the same segments (pairs of points)."""
    items = (
        pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(HALO_COLOUR, width=width + 2.0)),
        pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(colour, width=width)),
    )
    for z, item in enumerate(items):
        item.setZValue(10 + z)
        box.addItem(item, ignoreBounds=True)
    return items


def _text(box: pg.ViewBox, anchor: tuple[float, float]) -> BoxedText:
    font = QFont()
    font.setPointSizeF(7.5)
    item = BoxedText(MARK_COLOUR, TEXT_FILL, anchor, font)
    item.setZValue(20)
    item.setVisible(False)  # until it has a text (an empty one still draws its box)
    box.addItem(item, ignoreBounds=True)
    return item


class StampMarks:
    """Ticks, compass, scale bar and limits text of one view box."""

    def __init__(self, box: pg.ViewBox) -> None:
        self.ticks = _pair(box, TICK_COLOUR, 1.5)
        self.compass = _pair(box, MARK_COLOUR, 1.5)
        self.bar = _pair(box, MARK_COLOUR, 2.0)
        self.north = _text(box, (0.5, 1.0))
        self.east = _text(box, (1.0, 0.5))
        self.bar_label = _text(box, (0.0, 0.0))  # under the bar (it is at the top)
        self.limits = _text(box, (1.0, 1.0))  # bottom right
        self._overlay: Overlay | None = None
        self._texts: dict[int, str] = {}
        self._paths: dict[int, tuple[Point, ...]] = {}
        self._places: dict[int, Point] = {}

    def show(self, stamp: Stamp) -> None:
        """The marks of ``stamp`` (none for a blank)."""
        overlay = stamp.overlay if stamp.image is not None else None
        self._set_text(self.limits, stamp.limits_text if overlay else "")
        if overlay is not None:
            self.limits.setPos(*overlay.corner)
        if overlay == self._overlay:
            return  # the same stamp geometry as the last alert's (most of a survey's)
        self._overlay = overlay
        if overlay is None:
            for items in (self.ticks, self.compass, self.bar):
                self._draw(items, (), (0.0, 0.0))
            for text in (self.north, self.east, self.bar_label):
                self._set_text(text, "")
            return
        self._draw(self.ticks, overlay.ticks, (0.0, 0.0))
        compass = overlay.compass
        if compass is None:
            self._draw(self.compass, (), (0.0, 0.0))
            self._set_text(self.north, NO_WCS)
            self.north.setAnchor((1.0, 0.0))  # top right, where the compass would be
            self.north.setPos(overlay.corner[0], -overlay.corner[1])
            self._set_text(self.east, "")
        else:
            ox, oy = compass.origin
            arms = ((0.0, 0.0), (compass.north[0] - ox, compass.north[1] - oy))
            arms += ((0.0, 0.0), (compass.east[0] - ox, compass.east[1] - oy))
            self._draw(self.compass, arms, compass.origin)
            self._set_text(self.north, "N")
            self.north.setAnchor((0.5, 1.0))
            self.north.setPos(*compass.north)
            self._set_text(self.east, "E")
            self.east.setPos(*compass.east)
        bar = overlay.scale_bar
        if bar is None:
            self._draw(self.bar, (), (0.0, 0.0))
        else:
            self._draw(self.bar, ((0.0, 0.0), (bar.end[0] - bar.start[0], 0.0)), bar.start)
        self._set_text(self.bar_label, "" if bar is None else bar.label)
        if bar is not None:
            self.bar_label.setPos(bar.start[0], bar.start[1] - 0.5)

    def _draw(
        self, items: tuple[pg.PlotCurveItem, ...], points: tuple[Point, ...], at: Point
    ) -> None:
        """Segments ``points`` (relative to ``at``): their path is rebuilt only when the
        shape changed, else the items only move."""
        points = tuple((round(x, 6), round(y, 6)) for x, y in points)  # (subtractions' noise)
        if self._paths.get(id(items)) != points:
            self._paths[id(items)] = points
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            for item in items:
                if points:
                    item.setData(xs, ys)
                else:
                    item.clear()
        if self._places.get(id(items)) != at:  # each move tells the view box
            self._places[id(items)] = at
            for item in items:
                item.setPos(*at)

    def _set_text(self, item: BoxedText, text: str) -> None:
        if self._texts.get(id(item)) != text:
            self._texts[id(item)] = text
            item.setText(text)
            item.setVisible(bool(text))
