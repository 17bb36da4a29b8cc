"""Which light-curve series to draw, with what axes, range, legend and notes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from alertview.controllers.lightcurve_text import point_text
from alertview.controllers.time_ticks import (
    DATE_MJD_RANGE,
    TIME_MODES,
    first_detection_label,
    first_detection_tip,
)
from alertview.controllers.views import LightcurveView
from alertview.core.alert import Alert, Photometry
from alertview.core.wording import counted

#: Bands in wavelength order; others follow alphabetically.
BAND_ORDER = "ugrizy"
#: Series kinds that do not set the range while it fits the detections: forced
#: photometry far off the light curve (a bad subtraction, a neighbour) would squash it.
UNFITTED_KINDS = ("forced",)
#: Magnitude errors above this (S/N below ~1) make the magnitude meaningless: such
#: points are drawn but do not set the range fitted to the detections.
MAG_FIT_ERROR = 1.0
#: How much of a magnitude error bar the range makes room for.
MAG_BAR_CAP = 0.5
#: How much of a flux error bar the range makes room for, in robust spreads of the
#: fitted fluxes (1.4826 times their median absolute deviation).
FLUX_BAR_SPREADS = 3.0
#: Series kind -> the words for the points beyond the fitted range.
BEYOND_WORDS = {"detections": "detection", "upper limits": "upper limit", "forced": "forced point"}


@dataclass(frozen=True)
class Series:
    """One band of one kind of point, ready to draw."""

    key: str  # "detections g", "upper limits r", "forced i": the plot item's name
    kind: str  # "detections", "upper limits" or "forced"
    band: str
    x: np.ndarray
    y: np.ndarray
    legend: str  # the legend line, e.g. "g (12)"
    error: np.ndarray | None = None  # half-heights (0 unknown); bars drawn for detections
    ids: np.ndarray | None = None  # detections: source ids, for clicking

    @property
    def count(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class LightcurvePlot:
    """Everything the panel draws for one alert and one set of choices."""

    flux: bool
    y_label: str = ""
    x_label: str = ""
    x_tip: str = ""  # the x axis' tooltip: what day 0 is on the days axis
    series: list[Series] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # legend lines without a marker
    ring: tuple[float, float] | None = None  # the selected alert's own point
    #: Said in the middle of an empty plot (nothing chosen), instead of a bare 0-1 grid.
    empty: str = ""
    #: How the x axis reads ("mjd", "days", "date") and the times' scale ("utc", "tai").
    time_mode: str = "mjd"
    time_scale: str = "utc"
    #: The axes' ranges (None: fit everything drawn).
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    #: How far the x axis may be panned or zoomed out: 1800 to 2200 (beyond, dates
    #: overflow and no light curve has points).
    x_limits: tuple[float, float] | None = None


def bands(points: Photometry) -> list[str]:
    present = set(points.band.tolist())
    return [b for b in BAND_ORDER if b in present] + sorted(present - set(BAND_ORDER))


class LightcurveController:
    """Magnitude or flux against MJD, days since the first detection or dates; forced
    points optional; the range fitted to the detections unless the user asks for all.

    The view reports the user's choices (``set_flux``, ``set_time_mode``,
    ``set_forced``, ``set_fit_all``); each redraws. ``counts`` and ``legend_lines`` say
    what is drawn, ``tip`` what hovering a point says.
    """

    #: What the plot says while nothing is shown.
    empty_text = "Select an alert"

    def __init__(self, view: LightcurveView) -> None:
        self.view = view
        self.alert: Alert | None = None
        self.flux = False
        self.time_mode = "mjd"
        self.forced = True
        self.fit_all = False
        self.user_chose_units = False
        self.x0 = 0.0
        self.plot = LightcurvePlot(flux=False)

    def show_alert(self, alert: Alert | None) -> None:
        self.alert = alert
        if alert is not None and not self.user_chose_units:
            # Rubin difference fluxes are often negative: flux is the honest default there
            self.flux = alert.survey == "lsst"
            self.view.set_units(self.flux)
        self.redraw()

    def set_flux(self, flux: bool, by_user: bool = False) -> None:
        self.user_chose_units |= by_user
        if flux != self.flux:
            self.flux = flux
            self.redraw()

    def set_time_mode(self, mode: str) -> None:
        """ "mjd", "days" (since the first detection) or "date" (UTC calendar)."""
        if mode not in TIME_MODES:
            raise ValueError(f"time axis {mode!r} is not one of {', '.join(TIME_MODES)}")
        self.time_mode = mode
        self.redraw()

    def set_forced(self, forced: bool) -> None:
        self.forced = forced
        self.redraw()

    def set_fit_all(self, fit_all: bool) -> None:
        """Fit the range to every point drawn (True) or to the detections (False)."""
        self.fit_all = fit_all
        self.redraw()

    # -- what is drawn --------------------------------------------------------------------
    @property
    def counts(self) -> dict[str, int]:
        """Series key -> number of points drawn."""
        return {s.key: s.count for s in self.plot.series}

    def legend_lines(self) -> list[str]:
        """The legend as plain text lines (what a user reads there)."""
        return [s.legend for s in self.plot.series] + self.plot.notes

    def redraw(self) -> None:
        self.plot = self._fit(self._plan())
        self.view.draw(self.plot)

    def _plan(self) -> LightcurvePlot:
        alert, flux = self.alert, self.flux
        if alert is None:
            return LightcurvePlot(flux=flux, empty=self.empty_text)
        unit = alert.flux_unit or "nJy"
        scale = alert.time_scale.lower()
        self.x0 = first_detection(alert) if self.time_mode == "days" else 0.0
        x_label = {
            "mjd": f"MJD ({scale.upper()})",
            "days": first_detection_label(self.x0, scale),
            "date": "date (UTC)",
        }[self.time_mode]
        plot = LightcurvePlot(
            flux=flux,
            y_label=f"flux [{unit}]" if flux else "magnitude (AB)",
            x_label=x_label,
            x_tip=first_detection_tip(self.x0, scale) if self.time_mode == "days" else "",
            ring=self._ring(alert, flux),
            time_mode=self.time_mode,
            time_scale=scale,
            x_limits=(DATE_MJD_RANGE[0] - self.x0, DATE_MJD_RANGE[1] - self.x0),
        )
        plot.series.extend(self._detections(alert.detections, flux))
        if not flux:
            plot.notes.extend(self._unplotted(alert))
            plot.series.extend(self._markers(alert.upper_limits, alert.upper_limits.mag,
                                             None, "upper limits", "limit"))  # fmt: skip
        if self.forced:
            y, err = _values(alert.forced, flux)
            plot.series.extend(self._markers(alert.forced, y, err, "forced", "forced"))
            n = alert.n_forced_unmeasured
            if n:  # sent without a flux (ZTF's -99999): drawn in no view, so said
                plot.notes.append(f"{counted(n, 'forced epoch')} without a measurement")
        return plot

    def _fit(self, plot: LightcurvePlot) -> LightcurvePlot:
        """The ranges: every point (``fit_all``), or the detections, limits and the ring
        with a margin, the points beyond them drawn but cut off, and counted. Values set
        the range, error bars only up to a cap: a magnitude from a flux near zero has
        an error of ±100 mag, which squashed the light curve to a line."""
        if plot.empty:
            return plot
        every = self.fit_all
        fitted = [s for s in plot.series if every or s.kind not in UNFITTED_KINDS]
        x = [s.x for s in plot.series]
        y = [_fitted_values(fitted, plot.flux, every)]
        if plot.ring is not None:
            x.append(np.array([plot.ring[0]]))
            y.append(np.array([plot.ring[1]]))
        x_range = _span(np.concatenate(x) if x else np.zeros(0), 0.03, 0.5)
        margin = 0.08 if plot.flux else 0.05
        y_range = _span(np.concatenate(y), margin, 0.5 if not plot.flux else 0)
        if x_range is None or y_range is None:
            return plot  # nothing to fit: pyqtgraph fits what there is
        notes = plot.notes
        if not every:
            notes = [*notes, *_beyond(plot.series, y_range)]
        return replace(plot, x_range=x_range, y_range=y_range, notes=notes)

    def _detections(self, points: Photometry, flux: bool) -> list[Series]:
        found = []
        for band in bands(points):
            chosen = points.band == band
            y, err = _values(points, flux)
            x, y, err = points.mjd[chosen] - self.x0, y[chosen], err[chosen]
            good = np.isfinite(x) & np.isfinite(y)
            if not good.any():
                continue
            error = np.where(np.isfinite(err[good]), err[good], 0.0)
            found.append(Series(
                f"detections {band}", "detections", band, x[good], y[good],
                f"{band} ({good.sum()})", error, points.source_id[chosen][good],
            ))  # fmt: skip
        return found

    def _markers(
        self, points: Photometry, y_all: np.ndarray, err_all: np.ndarray | None, kind: str,
        label: str,
    ) -> list[Series]:  # fmt: skip
        """One series per band without error bars (limits, forced points)."""
        found = []
        for band in bands(points):
            chosen = (points.band == band) & np.isfinite(y_all)
            if chosen.any():
                error = None
                if err_all is not None:
                    error = np.where(np.isfinite(err_all[chosen]), err_all[chosen], 0.0)
                found.append(Series(
                    f"{kind} {band}", kind, band, points.mjd[chosen] - self.x0,
                    y_all[chosen], f"{band} {label} ({chosen.sum()})", error,
                ))  # fmt: skip
        return found

    def _unplotted(self, alert: Alert) -> list[str]:
        """A difference flux at or below zero has no magnitude: say how many points only
        the flux view shows, rather than leaving them silently out."""
        series = [("detections", alert.detections)]
        if self.forced:
            series.append(("forced points", alert.forced))
        notes = []
        for name, points in series:
            missing = int((np.isfinite(points.flux) & ~np.isfinite(points.mag)).sum())
            if missing:
                notes.append(f"{missing} {name} with flux ≤ 0: see Flux")
        return notes

    def _ring(self, alert: Alert, flux: bool) -> tuple[float, float] | None:
        y = alert.flux if flux else alert.mag
        if y is None or not np.isfinite(y):
            return None
        return alert.mjd - self.x0, y

    def tip(self, key: str, x: float, y: float) -> str:
        """Hover text of the point of series ``key`` at (``x``, ``y``): band, kind,
        value ± error with its unit, MJD with its time scale and the UTC date."""
        alert = self.alert
        series = next((s for s in self.plot.series if s.key == key), None)
        if alert is None or series is None or not series.count:
            return ""
        i = int(np.argmin(np.abs(series.x - x) + np.abs(series.y - y)))
        error = float(series.error[i]) if series.error is not None else None
        return point_text(
            series.band, series.kind, float(series.y[i]), error,
            None if not self.plot.flux else (alert.flux_unit or "nJy"),
            float(series.x[i]) + self.x0, alert.time_scale,
            self.x0 if self.time_mode == "days" else None,
        )  # fmt: skip


def first_detection(alert: Alert) -> float:
    """MJD of the object's first detection in the alert (its own if none before)."""
    mjd = alert.detections.mjd
    mjd = mjd[np.isfinite(mjd)]
    return float(min(mjd.min(), alert.mjd)) if len(mjd) else float(alert.mjd)


def _span(values: np.ndarray, margin: float, least: float) -> tuple[float, float] | None:
    """(low, high) of the finite ``values`` widened by ``margin`` of their span on each
    side; a single value gets ``least`` each side (or 10 % of itself, or 1)."""
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * margin
    if pad <= 0:
        pad = least or max(abs(low) * 0.1, 1.0)
    return low - pad, high + pad


def _fitted_values(series: list[Series], flux: bool, every: bool) -> np.ndarray:
    """The y values the range fits: the points' values and their error bars up to a cap
    (``MAG_BAR_CAP``, or ``FLUX_BAR_SPREADS`` robust spreads of the values). Unless
    ``every``, magnitudes with errors above ``MAG_FIT_ERROR`` are left out."""
    if not series:
        return np.zeros(0)
    values = np.concatenate([s.y for s in series])
    if flux:
        spread = _robust_spread(values)
        cap = FLUX_BAR_SPREADS * spread if spread > 0 else np.inf
    else:
        cap = MAG_BAR_CAP
    fitted = []
    for s in series:
        if s.error is None:
            fitted.append(s.y)
            continue
        y, error = s.y, s.error
        if not flux and not every:
            kept = error <= MAG_FIT_ERROR
            y, error = y[kept], error[kept]
        bar = np.minimum(error, cap)
        fitted.extend([y, y - bar, y + bar])
    return np.concatenate(fitted)


def _robust_spread(values: np.ndarray) -> float:
    """The values' standard deviation estimated from their median absolute deviation,
    which a few wild points do not move."""
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def _beyond(series: list[Series], y_range: tuple[float, float]) -> list[str]:
    """Notes counting the points of each kind drawn beyond ``y_range``."""
    low, high = y_range
    counts: dict[str, int] = {}
    for s in series:
        n = int(((s.y < low) | (s.y > high)).sum())
        if n:
            counts[s.kind] = counts.get(s.kind, 0) + n
    return [
        f"{counted(n, BEYOND_WORDS.get(kind, kind))} beyond the range: see All points"
        for kind, n in counts.items()
    ]


def _values(points: Photometry, flux: bool) -> tuple[np.ndarray, np.ndarray]:
    return (points.flux, points.flux_err) if flux else (points.mag, points.mag_err)
