"""Where the marks go on a stamp: open ticks around the source (never over it), a
North/East compass (top right), a scale bar in arcseconds (top left), the corner for
the display limits (bottom right, a row of their own: on a narrow pane they take most
of the stamp's width).

In the cutout view's coordinates: pixels, the stamp's centre at (0, 0), y up, with
``Cutout.sky_transform`` applied. That transform takes the header's CD matrix to
North up and East left (``core.cutouts._orientation``), so on an oriented stamp the
compass points up and left whatever the stamp's rotation on the sky (Rubin's turn
with each visit); the tests check it against astropy's WCS. A stamp without a WCS
(ZTF's) gets no compass: its orientation is not in the packet. Qt-free: the cutout
panel draws what this computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from alertview.core.cutouts import Cutout

#: Scale bar lengths offered (arcsec): the longest that fits the stamp is drawn.
BAR_ARCSEC = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
#: Most of a stamp's width the scale bar may take.
BAR_SHARE = 0.35
#: Empty radius around the centre (a share of the stamp's smaller side; at least
#: 1.5 pixels) and the ticks' length: the source stays in sight.
TICK_GAP = 0.1
TICK_LENGTH = 0.12

Point = tuple[float, float]


@dataclass(frozen=True)
class Compass:
    """Arms from ``origin`` to the North and East tips (screen coordinates)."""

    origin: Point
    north: Point
    east: Point


@dataclass(frozen=True)
class ScaleBar:
    start: Point
    end: Point
    label: str


@dataclass(frozen=True)
class Overlay:
    """The marks of one stamp; ``ticks`` holds segment end points in pairs."""

    ticks: tuple[Point, ...]
    compass: Compass | None
    scale_bar: ScaleBar | None
    #: Bottom-right corner of the stamp's extent, where the limits are written: the
    #: compass (or its "no WCS") takes the top right, the scale bar the top left (the
    #: limits at the top left ran into a narrow stamp's "N", beside the bar into it).
    corner: Point


def tick_segments(rows: int, cols: int) -> tuple[Point, ...]:
    """Four open ticks pointing at the centre from outside ``TICK_GAP`` of the stamp."""
    side = min(rows, cols)
    gap = max(1.5, TICK_GAP * side)
    end = gap + TICK_LENGTH * side
    return (
        (gap, 0.0), (end, 0.0), (-gap, 0.0), (-end, 0.0),
        (0.0, gap), (0.0, end), (0.0, -gap), (0.0, -end),
    )  # fmt: skip


def bar_arcsec(width_arcsec: float) -> float | None:
    """The longest offered bar within ``BAR_SHARE`` of a stamp this wide, or None."""
    fitting = [b for b in BAR_ARCSEC if b <= BAR_SHARE * width_arcsec]
    return fitting[-1] if fitting else None


def arcsec_text(arcsec: float) -> str:
    """A bar's label: 0.5″, 2″, 15″, then arcminutes."""
    if arcsec >= 60:
        return f"{arcsec / 60:g}\N{PRIME}"
    return f"{arcsec:g}\N{DOUBLE PRIME}"


def stamp_overlay(cutout: Cutout, extent: tuple[float, float]) -> Overlay:
    """The marks of ``cutout`` shown within ``extent`` (half-width, half-height on screen)."""
    rows, cols = cutout.data.shape
    hx, hy = extent
    size = min(hx, hy)
    margin = 0.07 * size
    # lengths from the stamp's own size, places from its extent on screen: a rotated
    # stamp's marks only move (the panel then moves its items instead of redrawing them)
    arm = 0.15 * min(rows, cols)
    origin = (hx - margin - 0.8 * arm, hy - margin - 1.6 * arm)
    compass = None
    if cutout.oriented:
        north, east = (0.0, 1.0), (-1.0, 0.0)  # what sky_transform made of the CD matrix
        compass = Compass(
            origin,
            (origin[0] + arm * north[0], origin[1] + arm * north[1]),
            (origin[0] + arm * east[0], origin[1] + arm * east[1]),
        )
    bar = None
    scale = cutout.arcsec_per_pixel
    if scale:
        length = bar_arcsec(min(rows, cols) * scale)
        if length is not None:
            start = (-hx + margin, hy - margin)
            bar = ScaleBar(start, (start[0] + length / scale, start[1]), arcsec_text(length))
    return Overlay(tick_segments(rows, cols), compass, bar, (hx, -hy))
