"""What the sky map shows: projected positions, colours, the sky selection, the mark.

``gui/skymap.py`` holds the widgets and asks this controller; nothing here
touches Qt, so the tests drive it with real columns and no event loop. Rows
are projected once, as they arrive (``update``); a region drawn on the map
(box or lasso) selects the alerts inside it, and keeps selecting the alerts
of a live stream that land in it afterwards.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from alertview.core import sky
from alertview.core.table.columns import NUMBER_FIELDS, AlertColumns

log = logging.getLogger(__name__)

#: Colour modes besides a numeric column's name.
CATEGORIES = ("survey", "band")
AGE = "age"
#: Numeric columns worth colouring by (positions and offsets are not).
COLOUR_COLUMNS = ("mag", "mag_err", "snr", "quality", "mjd", "n_detections", "flux")
#: An integer column with at most this many distinct values is coloured as categories.
MAX_INTEGER_CLASSES = 12
#: Pixels per point side by how many points there are: (at most, size).
POINT_SIZES = ((2_000, 6), (20_000, 4), (100_000, 3), (300_000, 2))
#: The reference lines: muted teal and grey, no band's or survey's colour (the ecliptic
#: was the i band's orange).
LINE_COLOURS = {"galactic": (70, 165, 165), "ecliptic": (185, 185, 185)}
#: The colour of alerts outside the sky selection: grey, faint.
DIM = np.array([[150, 150, 150, 90]], dtype=np.uint8)


@dataclass(frozen=True)
class Region:
    """A region drawn on the map, in plane coordinates: a box (two corners) or a lasso."""

    kind: Literal["box", "lasso"]
    x: tuple[float, ...]
    y: tuple[float, ...]

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.kind == "box":
            return sky.inside_box(x, y, (self.x[0], self.y[0]), (self.x[1], self.y[1]))
        return sky.inside_polygon(x, y, np.asarray(self.x), np.asarray(self.y))


@dataclass(frozen=True)
class Colouring:
    """Per-point colour classes into ``colours``; ``legend`` names the classes shown
    (categories), or ``scale`` gives a numeric colour bar's (label, low, high)."""

    classes: np.ndarray
    colours: np.ndarray
    legend: tuple[tuple[str, tuple[int, int, int]], ...] = ()
    scale: tuple[str, float, float] | None = None


class SkyMapController:
    """The sky map's state over the alert table's columns (positions = column positions)."""

    def __init__(self, projection: sky.Projection = "hammer") -> None:
        self.projection: sky.Projection = projection
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._size = 0
        self.mode = "survey"
        self.region: Region | None = None
        #: Which positions the sky selection holds (None: no sky selection).
        self.selected: np.ndarray | None = None
        #: The position of the alert marked (the one selected in the table), or None.
        self.marked: int | None = None
        #: Bumped when the selection or the projection changes (a drawn image is stale).
        self._generation = 0
        #: The last image: (what it shows, points drawn, RGBA image, its colouring).
        self._drawn: tuple[tuple, int, np.ndarray, Colouring] | None = None
        self._newest: float | None = None  # the newest MJD, for colours by age

    # -- positions -----------------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        return self._x[: self._size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self._size]

    def __len__(self) -> int:
        return self._size

    def update(self, columns: AlertColumns) -> np.ndarray:
        """Project the rows that arrived since the last call; returns the positions of
        those inside the region drawn (they join the sky selection)."""
        start, stop = self._size, len(columns)
        if stop <= start:
            return np.empty(0, dtype=np.int64)
        ra = columns.numbers["ra"].values[start:stop]
        dec = columns.numbers["dec"].values[start:stop]
        x, y = sky.project(ra, dec, self.projection)
        if stop > len(self._x):
            capacity = max(stop, 2 * len(self._x), 1024)
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[start:stop], self._y[start:stop] = x, y
        self._size = stop
        if self.region is None or self.selected is None:
            return np.empty(0, dtype=np.int64)
        inside = start + np.flatnonzero(self.region.contains(x, y))
        grown = np.zeros(stop, dtype=bool)
        grown[: len(self.selected)] = self.selected
        grown[inside] = True
        self.selected = grown  # the image drawn stays good: new points are drawn onto it
        return inside

    def set_projection(self, projection: sky.Projection, columns: AlertColumns) -> None:
        """Draw in another projection: every row projected again; the region drawn in
        the old one no longer means the same sky, so it is forgotten (the selection
        it made stays)."""
        if projection not in sky.PROJECTIONS:
            raise ValueError(f"unknown projection {projection!r}")
        self.projection = projection
        self._size = 0
        self.region = None
        self.update(columns)

    # -- the sky selection ---------------------------------------------------------------
    def select(self, region: Region) -> np.ndarray:
        """The alerts inside ``region`` become the sky selection; returns their positions."""
        self.region = region
        self.selected = region.contains(self.x, self.y)
        self._generation += 1
        return np.flatnonzero(self.selected)

    def clear_selection(self) -> None:
        self.region = None
        self.selected = None
        self._generation += 1

    @property
    def selected_count(self) -> int:
        return 0 if self.selected is None else int(self.selected.sum())

    # -- colours -------------------------------------------------------------------------
    def colour_modes(self, columns: AlertColumns) -> list[str]:
        """What the map can be coloured by: survey, band, age, then numeric columns."""
        numbers = [c for c in COLOUR_COLUMNS if c == "quality" or c in NUMBER_FIELDS]
        extras = [n for n in columns.extra_names() if n not in columns.extras.texts]
        return [*CATEGORIES, AGE, *numbers, *extras]

    def colouring(
        self, columns: AlertColumns, start: int = 0, scale: tuple[float, float] | None = None
    ) -> Colouring:
        """The colour class of each projected point from ``start`` on, for ``mode``; a
        numeric scale spans ``scale`` if given, else the values' 1st-99th percentile."""
        size = self._size
        if self.mode in CATEGORIES:
            text = columns.texts[self.mode]
            classes = text.codes.values[start:size]
            colours = sky.category_colours(text.values)
            shown = text.codes.values[:size]
            counts = np.bincount(shown, minlength=len(text.values))
            legend = tuple(
                (str(value) if value is not None else "no value", _rgb(colours[code]))
                for code, value in enumerate(text.values)
                if counts[code]
            )
            return Colouring(classes, colours, legend=legend)
        values, label = self._numbers(columns, size)
        missing = (("no value", sky.NO_VALUE[:3]),) if np.isnan(values).any() else ()
        integers = _integers(values) if self.mode != AGE else None
        if integers is not None and len(integers) <= MAX_INTEGER_CLASSES:
            return _integer_classes(values, integers, start, missing)
        if scale is not None:
            low, high = scale
        else:
            low, high = sky.value_range(values)
            low = 0.0 if self.mode == AGE else low
            if integers is not None:  # an integer column's bar ends on integers
                low, high = float(np.floor(low)), float(np.ceil(high))
        classes = sky.ramp_classes(values[start:], low, high)
        colours = sky.ramp_colours(reverse=self.mode == AGE)  # the newest the brightest
        return Colouring(classes, colours, legend=missing, scale=(label, low, high))

    def _numbers(self, columns: AlertColumns, size: int) -> tuple[np.ndarray, str]:
        if self.mode == AGE:
            mjd = columns.numbers["mjd"].values[:size]
            if self._newest is None:
                finite = mjd[np.isfinite(mjd)]
                self._newest = float(finite.max()) if len(finite) else 0.0
            return self._newest - mjd, "days before the newest alert"
        if self.mode == "quality":
            return columns.quality()[:size], "quality"
        if self.mode in columns.numbers:
            return columns.numbers[self.mode].values[:size], self.mode
        if self.mode in columns.extras:
            key = columns.extras.sort_key(self.mode)[:size].astype(np.float64)
            key[np.isinf(key)] = np.nan
            return key, self.mode
        log.debug("colour mode %s unknown: by survey", self.mode)
        self.mode = "survey"
        return np.full(size, np.nan), ""

    def image(
        self,
        columns: AlertColumns,
        rect: tuple[float, float, float, float],
        shape: tuple[int, int],
        whole: bool = True,
    ) -> tuple[np.ndarray, Colouring]:
        """The points as an RGBA image of ``rect`` at ``shape`` pixels: coloured by the
        mode, and with a sky selection, the others faint grey beneath them.

        Unless ``whole``, the image last made is reused when it shows the same view in
        the same colours and selection: only the points added since are drawn on it
        (a live stream's batch costs its own size, not the session's). A numeric
        scale then keeps its range until the next whole drawing.
        """
        size = point_size(self._size)
        key = (rect, shape, self.mode, self._generation, size, self.projection)
        drawn = self._drawn
        if whole or drawn is None or drawn[0] != key:
            self._newest = None
            start, into, scale = 0, None, None
        else:
            start, into = drawn[1], drawn[2]
            scale = None if drawn[3].scale is None else drawn[3].scale[1:]
        colouring = self.colouring(columns, start, scale)
        x, y = self.x[start:], self.y[start:]
        classes, colours = colouring.classes, colouring.colours
        # alerts without a value are drawn beneath those with one (grey squares hid the
        # few classified alerts)
        grey = (colours == sky.NO_VALUE).all(axis=1)
        under = grey[classes] if grey.any() else None
        if self.selected is not None:
            chosen = np.zeros(self._size - start, dtype=bool)
            inside = self.selected[start : self._size]
            chosen[: len(inside)] = inside
            colours = np.vstack([colours, DIM])
            classes = np.where(chosen, classes, len(colours) - 1)
            under = ~chosen if under is None else under | ~chosen
        image = sky.rasterise(x, y, colours, classes, rect, shape, size, under, into)
        self._drawn = (key, self._size, image, colouring)
        return image, colouring

    # -- one alert -----------------------------------------------------------------------
    def point_at(self, at: tuple[float, float], radius: tuple[float, float]) -> int | None:
        """The position of the alert drawn nearest ``at`` within ``radius``, or None."""
        return sky.nearest(self.x, self.y, at, radius)

    def mark(self, position: int | None) -> tuple[float, float] | None:
        """Mark the alert at ``position`` (None: none); returns where it is drawn."""
        self.marked = position
        if position is None or position >= self._size:
            return None
        x, y = float(self._x[position]), float(self._y[position])
        return None if np.isnan(x) or np.isnan(y) else (x, y)


def hover_text(columns: AlertColumns, position: int) -> str:
    """What the map says of the alert under the pointer, e.g.
    ``ZTF21abcdefg  RA 123.4567 Dec +12.3456  r 18.2``."""
    name = columns.value(position, "object_id") or f"alert {columns.value(position, 'alert_id')}"
    ra, dec = columns.value(position, "ra"), columns.value(position, "dec")
    where = "RA - Dec -" if ra is None or dec is None else f"RA {ra:.4f} Dec {dec:+.4f}"
    band, mag = columns.value(position, "band") or "-", columns.value(position, "mag")
    return f"{name}  {where}  {band} {'-' if mag is None else f'{mag:.1f}'}"


def legend_html(colouring: Colouring) -> str:
    """The legend under the map: the classes' colours or the scale's, then the lines'."""
    named = " &nbsp; ".join(
        f'<span style="color:{_hex(rgb)}">●</span> {html.escape(name)}'
        for name, rgb in colouring.legend
    )
    text = named
    if colouring.scale is not None:
        label, low, high = colouring.scale
        stops = "".join(
            f'<span style="color:{_hex(c)}">■</span>'
            for c in colouring.colours[: sky.RAMP_STEPS : 8]
        )
        text = f"{html.escape(label)}: {low:.4g} {stops} {high:.4g} &nbsp; {named}"
    lines = (
        f'<b style="color:{_hex(LINE_COLOURS["galactic"])}">- -</b> galactic plane &nbsp; '
        f'<b style="color:{_hex(LINE_COLOURS["ecliptic"])}">-·-</b> ecliptic'
        " &nbsp; RA grows to the left, 0h at the centre"
    )
    return f"{text}<br><small>{lines}</small>"


def _hex(rgb: tuple[int, ...] | np.ndarray) -> str:
    return f"#{int(rgb[0]):02x}{int(rgb[1]):02x}{int(rgb[2]):02x}"


def point_size(count: int) -> int:
    """Pixels per point side: bigger when few, so a sparse map stays readable."""
    for most, size in POINT_SIZES:
        if count <= most:
            return size
    return 1


def _integers(values: np.ndarray) -> np.ndarray | None:
    """The distinct values, ascending, if every finite value is an integer (a class
    column, a count); else None."""
    finite = values[np.isfinite(values)]
    if not len(finite) or not np.array_equal(finite, np.round(finite)):
        return None
    return np.unique(finite)


def _integer_classes(
    values: np.ndarray, integers: np.ndarray, start: int, missing: tuple
) -> Colouring:
    """An integer column with few values coloured as categories (-1, 0, 1, ... 20 are
    classes, not points on a continuous bar), a missing value grey."""
    colours = sky.category_colours([str(int(v)) for v in integers])
    colours = np.vstack([colours[: len(integers)], sky.NO_VALUE]).astype(np.uint8)
    part = values[start:]
    classes = np.searchsorted(integers, part).astype(np.int32)
    classes[~np.isfinite(part)] = len(integers)
    counts = np.bincount(np.searchsorted(integers, values[np.isfinite(values)]))
    legend = tuple((f"{int(v)}", _rgb(colours[n])) for n, v in enumerate(integers) if counts[n])
    return Colouring(classes, colours, legend=legend + missing)


def _rgb(colour: np.ndarray) -> tuple[int, int, int]:
    return int(colour[0]), int(colour[1]), int(colour[2])
