"""Every series of a light curve as one graphics item: markers stamped from pixmaps
drawn once per style, error bars as lines, both placed in pixels from the painter's
transform; the item itself says which point is under the pointer.

pyqtgraph's ScatterPlotItem and ErrorBarItem, one of each per series, rebuilt spot
records, styles and bounds in Python at every alert, and each paint asked them again:
about a third of drawing a newly selected alert."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPixmap

#: Pixels beyond a marker's half-width that still count as pointing at it.
HIT_SLACK = 1.0
#: Device coordinates are clipped to this: Qt misdraws (or crashes) far beyond.
FAR = 2.0**24


@dataclass(frozen=True)
class Marker:
    """How one series' points look: a pyqtgraph symbol name, its size in pixels, its
    outline and fill (None: hollow), and the colour of its error bars (None: none)."""

    symbol: str
    size: float
    outline: str
    outline_width: float = 1.0
    fill: str | None = None
    bars: str | None = None


@dataclass(frozen=True)
class PointSeries:
    """One series to draw: positions, error half-heights (bars), ids (clicks)."""

    key: str
    x: np.ndarray
    y: np.ndarray
    marker: Marker
    error: np.ndarray | None = None
    ids: np.ndarray | None = None
    hoverable: bool = True


@dataclass(frozen=True)
class Hit:
    """The point under the pointer."""

    key: str
    x: float
    y: float
    source_id: int | None  # its id, when it has one (a detection)


class PointsItem(pg.GraphicsObject):
    """The light curve's points and bars in one item (every bar under every marker,
    markers in the order given); ``hovered`` and ``clicked`` name the pointed point."""

    #: The hovered point, or None when the pointer left every point.
    hovered = Signal(object)  # Hit | None
    #: The id of a clicked point that has one (ZTF candid, Rubin diaSourceId).
    clicked = Signal(object)  # object: 64-bit ids overflow a C++ int

    def __init__(self) -> None:
        super().__init__()
        self._series: list[PointSeries] = []
        #: left, top, right, bottom of the points and bars in data coordinates (None: none)
        self._extent: tuple[float, float, float, float] | None = None
        self._bounds: QRectF | None = None  # with the markers' half-widths (pixels) added
        self._pixmaps: dict[tuple[Marker, float], QPixmap] = {}
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self._lines = PrimitiveArray(QLineF, 4)
        self._hovered: Hit | None = None

    # -- data ------------------------------------------------------------------------------
    def set_series(self, series: list[PointSeries]) -> None:
        """Draw ``series`` instead of what was drawn (non-finite points are left out)."""
        kept = []
        for one in series:
            good = np.isfinite(one.x) & np.isfinite(one.y)
            if not good.all():
                one = replace(
                    one, x=one.x[good], y=one.y[good],
                    error=None if one.error is None else one.error[good],
                    ids=None if one.ids is None else one.ids[good],
                )  # fmt: skip
            if len(one.x):
                kept.append(one)
        self.prepareGeometryChange()
        self._series = kept
        self._extent = _extent(kept)
        self._bounds = None
        self.update()
        self.informViewBoundsChanged()  # an auto-ranging view refits to the new points

    def series_keys(self) -> list[str]:
        """The keys of the series drawn."""
        return [s.key for s in self._series]

    def drawn(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The x and y drawn for series ``key`` (empty when it is not drawn)."""
        for one in self._series:
            if one.key == key:
                return one.x, one.y
        return np.zeros(0), np.zeros(0)

    # -- what pyqtgraph's view box asks --------------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if self._extent is None:
            return None, None
        left, top, right, bottom = self._extent
        return (left, right) if ax == 0 else (top, bottom)

    def pixelPadding(self) -> float:
        return max((s.marker.size / 2 + s.marker.outline_width for s in self._series), default=0)

    def viewTransformChanged(self) -> None:
        """The markers' half-widths in data units changed with the view."""
        self.prepareGeometryChange()
        self._bounds = None
        super().viewTransformChanged()

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            if self._extent is None:
                self._bounds = QRectF()
                return QRectF()
            left, top, right, bottom = self._extent
            rect = QRectF(QPointF(left, top), QPointF(right, bottom))
            pad = self.pixelPadding()
            if pad > 0:
                px, py = self.pixelVectors()
                dx = pad * (0 if px is None else px.length())
                dy = pad * (0 if py is None else py.length())
                rect.adjust(-dx, -dy, dx, dy)
            self._bounds = rect
        return QRectF(self._bounds)

    # -- drawing -----------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self._series:
            return
        transform = painter.transform()
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        scale = 1.0  # an image exported larger than the screen: markers and bars too
        if self._exportOpts is not False:
            scale = float(self._exportOpts.get("resolutionScale", 1.0))
        painter.resetTransform()  # pixels from here: markers keep their size at any zoom
        placed = [(one, *_to_device(transform, one.x, one.y, clip=False)) for one in self._series]
        for one, x, y in placed:  # every bar first: no bar crosses a marker
            if one.marker.bars and one.error is not None:
                self._draw_bars(painter, one, x, y, transform.m22(), scale)
        for one, x, y in placed:
            marker = one.marker
            if scale != 1.0:
                marker = replace(marker, size=marker.size * scale,
                                 outline_width=marker.outline_width * scale)  # fmt: skip
            self._draw_markers(painter, marker, np.clip(x, -FAR, FAR), np.clip(y, -FAR, FAR),
                               ratio)  # fmt: skip

    def _draw_bars(self, painter: QPainter, one: PointSeries, x, y, m22: float, scale: float):
        shown = np.isfinite(one.error) & (one.error > 0)  # as the bounds count them
        if not shown.any():
            return
        half = np.abs(one.error[shown] * m22)
        self._lines.resize(int(shown.sum()))
        lines = self._lines.ndarray()
        lines[:, 0] = lines[:, 2] = np.clip(x[shown], -FAR, FAR)
        lines[:, 1] = np.clip(y[shown] - half, -FAR, FAR)  # the ends, then clipped
        lines[:, 3] = np.clip(y[shown] + half, -FAR, FAR)
        pen = pg.mkPen(one.marker.bars)
        pen.setWidthF(pen.widthF() * scale)
        painter.setPen(pen)
        painter.drawLines(*self._lines.drawargs())

    def _draw_markers(self, painter: QPainter, marker: Marker, x, y, ratio: float) -> None:
        pixmap = self._pixmap(marker, ratio)
        self._fragments.resize(len(x))
        fragments = self._fragments.ndarray()
        fragments[:, 0] = x
        fragments[:, 1] = y
        fragments[:, 2:6] = (0, 0, pixmap.width(), pixmap.height())  # the source rect
        fragments[:, 6:10] = (1 / ratio, 1 / ratio, 0.0, 1.0)  # scale x, y, rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), pixmap)

    def _pixmap(self, marker: Marker, ratio: float) -> QPixmap:
        """The marker drawn once at this pixel ratio, as pyqtgraph's scatter draws it."""
        key = (marker, ratio)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pen = pg.mkPen(marker.outline, width=marker.outline_width)
            brush = pg.mkBrush(marker.fill) if marker.fill else pg.mkBrush(None)
            image = renderSymbol(marker.symbol, marker.size, pen, brush, dpr=ratio)
            pixmap = self._pixmaps[key] = QPixmap.fromImage(image)
        return pixmap

    # -- pointing --------------------------------------------------------------------------------
    def point_at(self, pos: QPointF) -> Hit | None:
        """The point whose marker is under ``pos`` (item coordinates): the nearest, the
        one drawn on top among equals; None over no marker."""
        transform = self.deviceTransform_()
        if transform is None:
            return None
        where = transform.map(pos)
        best: tuple[float, PointSeries, int] | None = None
        for one in reversed(self._series):  # on top first
            if not one.hoverable:
                continue
            x, y = _to_device(transform, one.x, one.y)
            distance = np.maximum(np.abs(x - where.x()), np.abs(y - where.y()))
            index = len(distance) - 1 - int(np.argmin(distance[::-1]))  # the later on top
            reach = one.marker.size / 2 + HIT_SLACK
            if distance[index] <= reach and (best is None or distance[index] < best[0]):
                best = (float(distance[index]), one, index)
        if best is None:
            return None
        _, one, index = best
        source_id = None if one.ids is None else int(one.ids[index])
        return Hit(one.key, float(one.x[index]), float(one.y[index]), source_id)

    def hoverEvent(self, event) -> None:
        hit = None if event.isExit() else self.point_at(event.pos())
        if hit != self._hovered or hit is not None:
            self._hovered = hit
            self.hovered.emit(hit)

    def mouseClickEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        hit = self.point_at(event.pos())
        if hit is not None and hit.source_id is not None and hit.source_id >= 0:
            event.accept()
            self.clicked.emit(hit.source_id)


def _to_device(
    transform, x: np.ndarray, y: np.ndarray, clip: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Data to device pixels (the view box neither rotates nor shears), clipped to
    what Qt draws unless ``clip`` is False."""
    device_x = transform.m11() * x + transform.m21() * y + transform.dx()
    device_y = transform.m12() * x + transform.m22() * y + transform.dy()
    if not clip:
        return device_x, device_y
    return np.clip(device_x, -FAR, FAR), np.clip(device_y, -FAR, FAR)


def _extent(series: list[PointSeries]) -> tuple[float, float, float, float] | None:
    """Left, top, right, bottom of the points and their bars' ends (None: nothing)."""
    if not series:
        return None
    x = np.concatenate([s.x for s in series])
    low = np.concatenate([s.y - _half(s) for s in series])
    high = np.concatenate([s.y + _half(s) for s in series])
    return float(x.min()), float(low.min()), float(x.max()), float(high.max())


def _half(series: PointSeries) -> np.ndarray | float:
    if series.marker.bars and series.error is not None:
        error = series.error
        return np.where(np.isfinite(error) & (error > 0), error, 0.0)  # the bars drawn
    return 0.0
