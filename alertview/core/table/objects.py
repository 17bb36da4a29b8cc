"""One row per object across the session's alerts, computed on whole columns.

A night holds 10^5-10^6 alerts of ~10^5 objects. Grouping them row by row in
Python takes seconds; here the alerts are grouped by their object id's text
code (one ``np.lexsort`` by object then time) and every aggregate is a
``reduceat`` or ``bincount`` over the sorted columns, so a million alerts group
in well under a second (``benchmarks/objects_view.py``).

The latest magnitude of a band is the newest alert's with a magnitude and a time,
as the Alerts table's Mag shows it (a negative difference's too). What counts as
a measurement of the object's brightness, for its peak and its rates: an alert
with a magnitude and a difference flux that is not negative (a ZTF ``isdiffpos``
'f' alert's ``magpsf`` measures a fading of the template, not the source), and a
time (an alert without an MJD cannot be placed on the light curve: one such alert
would turn its band's rate into NaN). Untimed alerts still count as alerts of
their object; its first/last seen and latest alert come from the timed ones.

A rate is the weighted least-squares slope (weights 1/mag_err²) of a band's
measurements over at least ``MIN_BASELINE_DAYS`` between the first and the last:
two points of one night 25.0 ± 0.6 and 26.7 ± 2.1 apart by 1.5 h gave 27 mag/day,
which is noise, not a fading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alertview.core.table.columns import AlertColumns, TextColumn

#: Bands in wavelength order; others follow alphabetically.
BAND_ORDER = "ugrizy"
#: A band's rate needs this many days between its first and its last measurement.
MIN_BASELINE_DAYS = 0.5


@dataclass(frozen=True)
class ObjectTable:
    """Per-object aggregates as parallel arrays (one entry per object).

    ``latest`` is the column position (in the ``AlertColumns`` it was built
    from) of the object's newest alert; ``positions(i)`` lists all of object
    ``i``'s positions in time order. Rates are weighted least-squares slopes of
    magnitude against MJD over at least ``MIN_BASELINE_DAYS``, in mag/day:
    positive means fading. The peak is the brightest positive-difference alert's.
    """

    object_id: np.ndarray  # object dtype: str
    survey: np.ndarray  # object dtype: str or None
    n_alerts: np.ndarray  # int64
    first_mjd: np.ndarray
    last_mjd: np.ndarray
    ra: np.ndarray  # of the newest alert (a mean would break at RA 0/360)
    dec: np.ndarray
    latest: np.ndarray  # int64 column positions
    peak_mag: np.ndarray  # brightest magnitude, NaN when no alert measured one
    peak_band: np.ndarray  # object dtype: the band of the brightest alert, or None
    bands: tuple[str, ...] = ()
    latest_mag: dict[str, np.ndarray] = field(default_factory=dict)
    rate: dict[str, np.ndarray] = field(default_factory=dict)
    #: Column positions grouped by object (group i starts at ``_starts[i]`` and ends
    #: where group i + 1 starts), and their times.
    _positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64), repr=False)
    _times: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def __len__(self) -> int:
        return len(self.object_id)

    def positions(self, index: int) -> np.ndarray:
        """Column positions of object ``index``'s alerts, oldest first (equal times in
        arrival order)."""
        chosen = slice(self._starts[index], self._starts[index + 1])
        positions = self._positions[chosen]
        return positions[np.lexsort((positions, self._times[chosen]))]

    def index_of(self, object_id: str, survey: str | None = None) -> int | None:
        """The entry of ``object_id`` (of ``survey`` when given), None if absent."""
        found = self.object_id == object_id
        if survey is not None:
            found &= self.survey == survey
        hits = np.flatnonzero(found)
        return int(hits[0]) if len(hits) else None

    def column(self, name: str) -> np.ndarray:
        """An aggregate by name: a field, ``latest <band>`` or ``rate <band>``."""
        kind, _, band = name.partition(" ")
        if kind == "latest" and band:
            return self.latest_mag[band]
        if kind == "rate" and band:
            return self.rate[band]
        value = getattr(self, name)
        assert isinstance(value, np.ndarray)
        return value

    def grouped(self) -> tuple[np.ndarray, np.ndarray]:
        """The column positions grouped by object (in no order within a group), and where
        each group starts (one more entry: the end)."""
        return self._positions, self._starts

    def order(self, name: str, descending: bool = False) -> np.ndarray:
        """Entries sorted by an aggregate; NaN and None always last."""
        return order_of(self.column(name), descending)


def order_of(values: np.ndarray, descending: bool = False) -> np.ndarray:
    """Indexes of ``values`` sorted (stable); NaN and None always last."""
    if values.dtype == object:
        missing = np.array([v is None for v in values], dtype=bool)
        text = np.where(missing, "", values).astype(str)
        order = np.argsort(text, kind="stable")
        if descending:
            order = order[::-1]
        return np.concatenate([order[~missing[order]], order[missing[order]]])
    missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    key = np.where(missing, 0, values)
    order = np.argsort(-key if descending else key, kind="stable")
    return np.concatenate([order[~missing[order]], order[missing[order]]])


def object_table(columns: AlertColumns, mask: np.ndarray | None = None) -> ObjectTable:
    """Group the alerts of ``columns`` by object (and survey).

    ``mask`` (one bool per column position; shorter means the rest fail)
    keeps only the alerts the table's filter passes. Alerts without an object
    id are left out. The grouping sort is not stable (4x faster): every
    aggregate below is a reduction that does not depend on the order within
    a group, with ties broken by column position (the later arrival).
    """
    objects, surveys = columns.texts["object_id"], columns.texts["survey"]
    keep = _has_text(objects)[objects.codes.values]
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)[: len(keep)]
        keep[len(mask) :] = False
        keep[: len(mask)] &= mask
    positions = np.flatnonzero(keep)
    if not len(positions):
        return _empty()
    n_surveys = max(len(surveys.values), 1)
    key = objects.codes.values[positions].astype(np.int64) * n_surveys
    key += surveys.codes.values[positions]
    order = np.argsort(key)
    positions, key = positions[order], key[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    bounds = np.append(starts, len(positions))
    counts = np.diff(bounds)
    group = np.repeat(np.arange(len(starts)), counts)
    numbers = columns.numbers
    mjd = numbers["mjd"].values[positions]
    latest, last_mjd = _newest(mjd, positions, starts, group)
    first_mjd = np.fmin.reduceat(mjd, starts)
    mag = numbers["mag"].values[positions]
    shown = np.isfinite(mag) & np.isfinite(mjd)  # no time: no place on the light curve
    measured = shown & ~(numbers["flux"].values[positions] < 0)  # NaN flux: no flux
    err = numbers["mag_err"].values[positions]
    band_codes = columns.texts["band"].codes.values[positions]
    band_names = _as_objects(columns.texts["band"].values)
    peak_mag, peak_band = _peak(mag, measured, positions, starts, group, band_codes, band_names)
    bands, latest_mag, rate = _per_band(
        _Points(mjd, mag, err, positions, group, band_codes),
        shown,
        measured,
        first_mjd,
        band_names,
    )
    group_keys = key[starts]
    return ObjectTable(
        object_id=_as_objects(objects.values)[group_keys // n_surveys],
        survey=_as_objects(surveys.values)[group_keys % n_surveys],
        n_alerts=counts.astype(np.int64),
        first_mjd=first_mjd,
        last_mjd=last_mjd,
        ra=numbers["ra"].values[latest],
        dec=numbers["dec"].values[latest],
        latest=latest.astype(np.int64),
        peak_mag=peak_mag,
        peak_band=peak_band,
        bands=bands,
        latest_mag=latest_mag,
        rate=rate,
        _positions=positions.astype(np.int64),
        _starts=bounds.astype(np.int64),
        _times=mjd,
    )


def _newest(
    mjd: np.ndarray, positions: np.ndarray, starts: np.ndarray, run: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per run of elements (``run``: each element's run): the position of the newest
    element (the later arrival of equal times) and its time."""
    last = np.fmax.reduceat(mjd, starts)
    at_last = mjd == last[run]  # (NaN never is: a run without times falls back below)
    newest = np.maximum.reduceat(np.where(at_last, positions, -1), starts)
    return np.where(newest >= 0, newest, np.maximum.reduceat(positions, starts)), last


def _peak(
    mag: np.ndarray,
    measured: np.ndarray,
    positions: np.ndarray,
    starts: np.ndarray,
    group: np.ndarray,
    band_codes: np.ndarray,
    band_names: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The brightest measured magnitude of each group and the band it was seen in
    (of the first alert that saw it)."""
    shown = np.where(measured, mag, np.inf)
    peak = np.minimum.reduceat(shown, starts)
    at_peak = measured & (shown == peak[group])
    far = np.iinfo(np.int64).max
    first = np.minimum.reduceat(np.where(at_peak, positions, far), starts)
    found = first < far
    peak_band = np.full(len(starts), None, dtype=object)
    if len(band_names):
        # the element of each group at its first peak position
        element = np.flatnonzero(at_peak & (positions == first[group]))
        peak_band[group[element]] = band_names[band_codes[element]]
    peak[~found] = np.nan
    return peak, peak_band


@dataclass(frozen=True)
class _Points:
    """The grouped alerts' columns (one entry per alert, grouped by object)."""

    mjd: np.ndarray
    mag: np.ndarray
    err: np.ndarray
    positions: np.ndarray
    group: np.ndarray
    band_codes: np.ndarray


def _per_band(
    points: _Points,
    shown: np.ndarray,
    measured: np.ndarray,
    first_mjd: np.ndarray,
    band_names: np.ndarray,
) -> tuple[tuple[str, ...], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per band: the newest magnitude of the alerts ``shown`` (with a magnitude and a
    time) and the rate (mag/day) of those ``measured``."""
    n_groups = len(first_mjd)
    present = set(np.unique(points.band_codes[shown]).tolist())
    named = {band_names[c]: c for c in present if band_names[c]}
    bands = tuple([b for b in BAND_ORDER if b in named] + sorted(set(named) - set(BAND_ORDER)))
    latest_mag, rate = {}, {}
    for band in bands:
        in_band = points.band_codes == named[band]
        latest_mag[band] = _latest(points, np.flatnonzero(shown & in_band), n_groups)
        rate[band] = _rate(points, np.flatnonzero(measured & in_band), first_mjd)
    return bands, latest_mag, rate


def _runs(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal (non-decreasing) group numbers starts, and each
    element's run."""
    new_run = np.concatenate([[True], g[1:] != g[:-1]])
    return np.flatnonzero(new_run), np.cumsum(new_run) - 1


def _latest(points: _Points, chosen: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group: the magnitude of its newest element among ``chosen``."""
    latest = np.full(n_groups, np.nan)
    if not len(chosen):
        return latest
    g = points.group[chosen]  # non-decreasing: the elements are grouped
    run_starts, run = _runs(g)
    at = points.positions[chosen]
    newest, _ = _newest(points.mjd[chosen], at, run_starts, run)
    element = np.flatnonzero(at == newest[run])  # one per run (positions are unique)
    latest[g[run_starts]] = points.mag[chosen[element]]
    return latest


#: The smallest magnitude error a rate's weight believes (mag).
MIN_MAG_ERR = 1e-3


def _rate(points: _Points, chosen: np.ndarray, first_mjd: np.ndarray) -> np.ndarray:
    """Per group: the weighted least-squares slope of magnitude against time of its
    ``chosen`` elements (NaN: fewer than two, or less than ``MIN_BASELINE_DAYS``).

    Weights are 1/mag_err²; a missing error takes the band's median error (all
    missing: every point weighs the same). Five ``bincount`` sums; times are taken
    from each object's first alert so their squares keep their precision.
    """
    n_groups = len(first_mjd)
    slope = np.full(n_groups, np.nan)
    if not len(chosen):
        return slope
    g = points.group[chosen]
    x = points.mjd[chosen] - first_mjd[g]
    y = points.mag[chosen]
    err = points.err[chosen]
    known = np.isfinite(err) & (err > 0)
    if known.any():
        err = np.where(known, err, np.median(err[known]))
        # no error is better than a millimag: a smaller one (a catalogue's 1e-170) would
        # weigh without bound and turn the sums to inf
        w = 1.0 / np.square(np.maximum(err, MIN_MAG_ERR))
    else:
        w = np.ones(len(chosen))
    run_starts, _ = _runs(g)
    baseline = np.zeros(n_groups)
    baseline[g[run_starts]] = np.maximum.reduceat(x, run_starts) - np.minimum.reduceat(
        x, run_starts
    )
    s = np.bincount(g, w, n_groups)
    sx, sy = np.bincount(g, w * x, n_groups), np.bincount(g, w * y, n_groups)
    sxx, sxy = np.bincount(g, w * x * x, n_groups), np.bincount(g, w * x * y, n_groups)
    spread = s * sxx - sx * sx
    usable = (baseline >= MIN_BASELINE_DAYS) & (spread > 0)
    slope[usable] = (s * sxy - sx * sy)[usable] / spread[usable]
    return slope


def _has_text(column: TextColumn) -> np.ndarray:
    """Per code: whether the value is an id (not None, not empty)."""
    return np.fromiter((bool(v) for v in column.values), bool, len(column.values))


def _as_objects(values: list[str | None]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _empty() -> ObjectTable:
    nothing = np.zeros(0)
    return ObjectTable(
        object_id=np.zeros(0, object),
        survey=np.zeros(0, object),
        n_alerts=np.zeros(0, np.int64),
        first_mjd=nothing,
        last_mjd=nothing,
        ra=nothing,
        dec=nothing,
        latest=np.zeros(0, np.int64),
        peak_mag=nothing,
        peak_band=np.zeros(0, object),
    )
