"""The all-sky map's geometry: projections, reference lines, lasso tests, rasters.

Equatorial coordinates in degrees go to Hammer-Aitoff or Mollweide plane
coordinates the way an astronomer reads a sky map: looking out at the sky,
so RA increases to the LEFT (East left), RA 0h at the centre and 12h at both
edges (healpy's ``mollview`` default), North up. Everything here is vectorised
numpy over whole columns (a million alerts project in ~50 ms); no Qt, so the
controller and the tests use it without widgets.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

import numpy as np

log = logging.getLogger(__name__)

Projection = Literal["hammer", "mollweide"]
PROJECTIONS: tuple[Projection, ...] = ("hammer", "mollweide")
#: The RA at the centre of the map (degrees).
CENTRE_RA = 0.0
SQRT2 = np.sqrt(2.0)
#: Half-width and half-height of both projections' ellipse (unit sphere).
HALF_WIDTH, HALF_HEIGHT = 2 * SQRT2, SQRT2
Line = tuple[np.ndarray, np.ndarray]
_GAP = np.array([np.nan])  # between pieces of a polyline


def project(
    ra: np.ndarray, dec: np.ndarray, projection: Projection = "hammer", centre: float = CENTRE_RA
) -> tuple[np.ndarray, np.ndarray]:
    """Plane coordinates (x, y) of RA/Dec in degrees; NaN in, NaN out.

    x lies in [-2√2, 2√2] and y in [-√2, √2]. x is the projection's x negated, so that
    drawn with x growing to the right, RA grows to the left, as on the sky: RA a little
    past ``centre`` is left of the centre, RA ``centre`` ± 180 on the edges.
    """
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    lon = np.radians((ra - centre + 180.0) % 360.0 - 180.0)  # -π..π about the centre
    lat = np.radians(np.clip(dec, -90.0, 90.0))
    if projection == "hammer":
        cos_lat = np.cos(lat)
        scale = SQRT2 / np.sqrt(1.0 + cos_lat * np.cos(lon / 2))
        x = 2.0 * cos_lat * np.sin(lon / 2) * scale
        y = np.sin(lat) * scale
    elif projection == "mollweide":
        theta = _mollweide_theta(lat)
        x = 2.0 * SQRT2 / np.pi * lon * np.cos(theta)
        y = SQRT2 * np.sin(theta)
    else:
        raise ValueError(f"unknown projection {projection!r}: use one of {PROJECTIONS}")
    return -x, y


def _mollweide_theta(lat: np.ndarray) -> np.ndarray:
    """Mollweide's auxiliary angle: 2θ + sin 2θ = π sin φ, by Newton steps on the
    points not yet converged (most take 3-4; the poles' neighbours more)."""
    target = np.pi * np.sin(lat)
    theta = lat.copy()
    active = np.flatnonzero(np.isfinite(lat) & (np.abs(lat) < np.pi / 2 - 1e-9))
    for _ in range(30):
        if not len(active):
            break
        two = 2 * theta[active]
        slope = np.maximum(2 + 2 * np.cos(two), 1e-15)  # ~0 only beside a pole
        step = (two + np.sin(two) - target[active]) / slope
        theta[active] = np.clip(theta[active] - step, -np.pi / 2, np.pi / 2)
        active = active[np.abs(step) > 1e-13]
    return np.where(np.abs(lat) >= np.pi / 2 - 1e-9, np.sign(lat) * np.pi / 2, theta)


def split_at_wrap(x: np.ndarray, y: np.ndarray, ra: np.ndarray, centre: float = CENTRE_RA) -> Line:
    """A projected polyline with NaN where it crosses the map's edge (RA ``centre`` +
    180), so that it is drawn as pieces instead of a stroke across the map."""
    lon = (np.asarray(ra, dtype=np.float64) - centre + 180.0) % 360.0 - 180.0
    gaps = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    return np.insert(x, gaps, np.nan), np.insert(y, gaps, np.nan)


def outline(projection: Projection = "hammer", points: int = 361) -> Line:
    """The map's boundary, a closed curve (RA 180° ± ε at every Dec)."""
    dec = np.linspace(-90.0, 90.0, points)
    edge = CENTRE_RA + 180.0 - 1e-9
    x1, y1 = project(np.full(points, edge), dec, projection)
    x2, y2 = project(np.full(points, edge + 2e-9), dec[::-1], projection)
    return np.concatenate([x1, x2, x1[:1]]), np.concatenate([y1, y2, y1[:1]])


def graticule(projection: Projection = "hammer", step: float = 30.0) -> Line:
    """Meridians every ``step`` degrees of RA and parallels every ``step`` of Dec, as one
    NaN-separated polyline."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    dec = np.linspace(-90.0, 90.0, 181)
    for ra in np.arange(CENTRE_RA - 180.0 + step, CENTRE_RA + 180.0, step):
        x, y = project(np.full_like(dec, ra), dec, projection)
        xs += [x, _GAP]
        ys += [y, _GAP]
    ra_line = np.linspace(CENTRE_RA - 180.0 + 1e-9, CENTRE_RA + 180.0 - 1e-9, 361)
    for parallel in np.arange(-90.0 + step, 90.0, step):
        x, y = project(ra_line, np.full_like(ra_line, parallel), projection)
        xs += [x, _GAP]
        ys += [y, _GAP]
    return np.concatenate(xs), np.concatenate(ys)


@lru_cache(maxsize=2)
def _great_circles() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """RA/Dec of the galactic plane and the ecliptic, from astropy once (its import and
    frame transforms take ~0.4 s: done when the map is first drawn, then cached)."""
    import astropy.units as u
    from astropy.coordinates import BarycentricMeanEcliptic, SkyCoord

    lon = np.linspace(0.0, 360.0, 721)
    plane = SkyCoord(l=lon * u.deg, b=np.zeros_like(lon) * u.deg, frame="galactic").icrs
    ecliptic = SkyCoord(
        lon=lon * u.deg, lat=np.zeros_like(lon) * u.deg, frame=BarycentricMeanEcliptic()
    ).icrs
    return {
        "galactic": (plane.ra.deg, plane.dec.deg),
        "ecliptic": (ecliptic.ra.deg, ecliptic.dec.deg),
    }


def reference_line(name: Literal["galactic", "ecliptic"], projection: Projection) -> Line:
    """The galactic plane or the ecliptic projected, split where it wraps."""
    ra, dec = _great_circles()[name]
    x, y = project(ra, dec, projection)
    return split_at_wrap(x, y, ra)


def inside_polygon(
    x: np.ndarray, y: np.ndarray, polygon_x: np.ndarray, polygon_y: np.ndarray
) -> np.ndarray:
    """Which points (x, y) lie inside the polygon (closed implicitly): even-odd rule.

    Vectorised crossing test: the points in the polygon's bounding box are sorted by
    y once; then each edge visits only the points in its own band of y (a slice of
    that order), so a lasso of hundreds of vertices over 10^6 points costs about two
    passes over the points in its box instead of one per edge. A point exactly on
    an edge may fall either side; NaN points are outside.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    px = np.asarray(polygon_x, dtype=np.float64)
    py = np.asarray(polygon_y, dtype=np.float64)
    inside = np.zeros(len(x), dtype=bool)
    if len(px) < 3 or not len(x):
        return inside
    box = (x >= px.min()) & (x <= px.max()) & (y >= py.min()) & (y <= py.max())
    candidates = np.flatnonzero(box)
    if not len(candidates):
        return inside
    order = candidates[np.argsort(y[candidates])]
    sorted_x, sorted_y = x[order], y[order]
    crossed = np.zeros(len(order), dtype=bool)
    x1, y1 = px, py
    x2, y2 = np.roll(px, -1), np.roll(py, -1)
    low, high = np.minimum(y1, y2), np.maximum(y1, y2)
    starts = np.searchsorted(sorted_y, low, side="left")
    stops = np.searchsorted(sorted_y, high, side="left")
    for edge in np.flatnonzero(stops > starts):
        band = slice(starts[edge], stops[edge])
        ys = sorted_y[band]
        slope = (x2[edge] - x1[edge]) / (y2[edge] - y1[edge])
        crossing = x1[edge] + (ys - y1[edge]) * slope
        crossed[band] ^= sorted_x[band] < crossing
    inside[order[crossed]] = True
    return inside


def inside_box(x: np.ndarray, y: np.ndarray, corner: tuple, other: tuple) -> np.ndarray:
    """Which points lie in the rectangle between two corners (edges included)."""
    left, right = sorted((corner[0], other[0]))
    bottom, top = sorted((corner[1], other[1]))
    return (x >= left) & (x <= right) & (y >= bottom) & (y <= top)


def rasterise(
    x: np.ndarray,
    y: np.ndarray,
    colours: np.ndarray,
    classes: np.ndarray,
    rect: tuple[float, float, float, float],
    shape: tuple[int, int],
    size: int = 1,
    under: np.ndarray | None = None,
    into: np.ndarray | None = None,
) -> np.ndarray:
    """An RGBA image (rows from the bottom, ``shape`` = (height, width)) of the points
    in ``rect`` = (left, bottom, width, height), each a ``size``-pixel square in colour
    ``colours[classes[i]]`` (classes < 0 not drawn). Later points are drawn over
    earlier ones; the points ``under`` marks are drawn beneath all others (and, drawn
    ``into`` an image already made, only on its empty pixels). numpy only: a million
    points take tens of milliseconds, where a million scatter symbols take seconds to
    paint."""
    height, width = shape
    if into is None:
        image = np.zeros((max(height, 0), max(width, 0)), dtype=np.uint32)  # RGBA packed
    else:
        image = into.view(np.uint32)[..., 0]
    left, bottom, rect_width, rect_height = rect
    if not len(x) or rect_width <= 0 or rect_height <= 0 or width <= 0 or height <= 0:
        return image.view(np.uint8).reshape((*image.shape, 4))
    with np.errstate(invalid="ignore"):
        column = (x - left) * (width / rect_width)
        row = (y - bottom) * (height / rect_height)
        shown = (classes >= 0) & (column >= 0) & (column < width) & (row >= 0) & (row < height)
    index = np.flatnonzero(shown)
    pixel_column = column[index].astype(np.intp)
    pixel_row = row[index].astype(np.intp)
    packed = np.ascontiguousarray(colours, dtype=np.uint8).view(np.uint32).ravel()
    colour = packed[classes[index]]
    flat = image.reshape(-1)
    layers = [np.ones(len(index), dtype=bool)]
    if under is not None:
        low = under[index]
        layers = [low, ~low]
    for number, layer in enumerate(layers):
        keep_drawn = into is not None and under is not None and number == 0
        _stamp(flat, pixel_row[layer], pixel_column[layer], colour[layer], shape, size, keep_drawn)
    return image.view(np.uint8).reshape((*image.shape, 4))


def _stamp(
    flat: np.ndarray,
    row: np.ndarray,
    column: np.ndarray,
    colour: np.ndarray,
    shape: tuple[int, int],
    size: int,
    keep_drawn: bool,
) -> None:
    """Squares of ``size`` pixels into the packed image ``flat`` (only on its empty
    pixels if ``keep_drawn``)."""
    height, width = shape
    half = (size - 1) // 2
    offsets = np.arange(-half, size - half)
    # point by point, all of a point's pixels together: where squares overlap, the later
    # point's wins (offset by offset, the last offset would, whichever point it was)
    rows = np.clip(row[:, None, None] + offsets[None, :, None], 0, height - 1)
    columns = np.clip(column[:, None, None] + offsets[None, None, :], 0, width - 1)
    at = (rows * width + columns).reshape(-1)
    colours = np.repeat(colour, size * size)
    if keep_drawn:
        empty = flat[at] == 0
        flat[at[empty]] = colours[empty]
    else:
        flat[at] = colours


def nearest(
    x: np.ndarray, y: np.ndarray, at: tuple[float, float], radius: tuple[float, float]
) -> int | None:
    """The index of the point nearest ``at`` within ``radius`` (x, y half-sizes, in
    plane units, as many pixels would be), or None."""
    dx = np.abs(x - at[0])
    dy = np.abs(y - at[1])
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero((dx <= radius[0]) & (dy <= radius[1]))
    if not len(near):
        return None
    distance = (dx[near] / radius[0]) ** 2 + (dy[near] / radius[1]) ** 2
    return int(near[np.argmin(distance)])


#: Colours of categories (surveys, bands, small integer values) in order met: RGBA,
#: distinguishable in both themes. No grey, white, teal or black: the reference lines,
#: the selection ring and "no value" are drawn in those.
PALETTE = np.array(
    [
        (31, 119, 180, 255), (255, 127, 14, 255), (44, 160, 44, 255), (214, 39, 40, 255),
        (148, 103, 189, 255), (140, 86, 75, 255), (227, 119, 194, 255), (188, 189, 34, 255),
        (255, 230, 90, 255), (80, 110, 255, 255), (160, 255, 120, 255), (255, 150, 150, 255),
    ],
    dtype=np.uint8,
)  # fmt: skip
#: Bands in their conventional colours (blue to red), others from the palette.
BAND_COLOURS = {
    "u": (120, 60, 200, 255), "g": (40, 160, 60, 255), "r": (220, 40, 40, 255),
    "i": (230, 140, 20, 255), "z": (120, 70, 40, 255), "y": (90, 90, 90, 255),
}  # fmt: skip
#: Surveys keep their colour from session to session (in order met, lsst and ztf
#: swapped colours); others take the palette's next ones.
SURVEY_COLOURS = {"ztf": tuple(PALETTE[0]), "lsst": tuple(PALETTE[1])}
#: Alerts without a value (a category None, a number NaN): grey, named "no value".
NO_VALUE = (120, 120, 120, 255)  # darker than the lines, beneath the valued points
#: Steps of the numeric colour scale (viridis-like, dark to bright).
RAMP = np.array(
    [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float
)
#: Classes of the numeric scale; NaN values get class ``RAMP_STEPS`` (grey).
RAMP_STEPS = 64


def category_colours(values: list[str | None]) -> np.ndarray:
    """One RGBA colour per category: bands and known surveys in their own colours
    whatever order they came in, None grey, others from the palette's unused colours."""
    fixed = {**BAND_COLOURS, **SURVEY_COLOURS}
    # the known surveys' colours are never another's, present or not: a colour given
    # stays when a known survey's first alert arrives
    free = [c for c in PALETTE if tuple(c) not in SURVEY_COLOURS.values()]
    out = np.empty((max(len(values), 1), 4), dtype=np.uint8)
    other = 0
    for number, value in enumerate(values):
        if value is None:
            out[number] = NO_VALUE
        elif value in fixed:
            out[number] = fixed[value]
        else:
            out[number] = free[other % len(free)]
            other += 1
    return out


def ramp_colours(reverse: bool = False) -> np.ndarray:
    """``RAMP_STEPS`` colours along the scale (``reverse``: bright to dark, so that
    the low end, e.g. the newest alerts by age, stands out on a dark map), then grey
    for a missing value."""
    where = np.linspace(0, len(RAMP) - 1, RAMP_STEPS)
    low = np.floor(where).astype(int)
    high = np.minimum(low + 1, len(RAMP) - 1)
    fraction = (where - low)[:, None]
    rgb = RAMP[low] * (1 - fraction) + RAMP[high] * fraction
    if reverse:
        rgb = rgb[::-1]
    colours = np.concatenate([rgb, np.full((RAMP_STEPS, 1), 255.0)], axis=1)
    return np.vstack([colours, NO_VALUE]).astype(np.uint8)


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The colour bar's range: the 1st to 99th percentile of the finite values."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    low, high = np.percentile(finite, [1, 99])
    return (float(low), float(high)) if high > low else (float(low), float(low) + 1.0)


def ramp_classes(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Each value's step on the scale between ``low`` and ``high`` (clipped); NaN ->
    ``RAMP_STEPS``."""
    with np.errstate(invalid="ignore"):
        scaled = (np.asarray(values, dtype=np.float64) - low) / (high - low) * (RAMP_STEPS - 1)
        classes = np.clip(np.round(scaled), 0, RAMP_STEPS - 1)
    return np.where(np.isfinite(scaled), classes, RAMP_STEPS).astype(np.int32)
