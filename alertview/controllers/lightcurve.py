"""Which light-curve series to draw, with what axes, legend and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alertview.controllers.views import LightcurveView
from alertview.core.alert import Alert, Photometry

#: Bands in wavelength order; others follow alphabetically.
BAND_ORDER = "ugrizy"


@dataclass(frozen=True)
class Series:
    """One band of one kind of point, ready to draw."""

    key: str  # "detections g", "upper limits r", "forced i": the plot item's name
    kind: str  # "detections", "upper limits" or "forced"
    band: str
    x: np.ndarray
    y: np.ndarray
    legend: str  # the legend line, e.g. "g (12)"
    error: np.ndarray | None = None  # detections: error bar half-heights (0 unknown)
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
    series: list[Series] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # legend lines without a marker
    ring: tuple[float, float] | None = None  # the selected alert's own point
    #: Said in the middle of an empty plot (nothing chosen), instead of a bare 0-1 grid.
    empty: str = ""


def bands(points: Photometry) -> list[str]:
    present = set(points.band.tolist())
    return [b for b in BAND_ORDER if b in present] + sorted(present - set(BAND_ORDER))


class LightcurveController:
    """Magnitude or flux against MJD or days before the alert; forced points optional.

    The view reports the user's choices (``set_flux``, ``set_relative_time``,
    ``set_forced``); each redraws. ``counts`` and ``legend_lines`` say what is drawn.
    """

    #: What the plot says while nothing is shown.
    empty_text = "Select an alert"

    def __init__(self, view: LightcurveView) -> None:
        self.view = view
        self.alert: Alert | None = None
        self.flux = False
        self.relative_time = False
        self.forced = True
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

    def set_relative_time(self, relative: bool) -> None:
        self.relative_time = relative
        self.redraw()

    def set_forced(self, forced: bool) -> None:
        self.forced = forced
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
        self.plot = self._plan()
        self.view.draw(self.plot)

    def _plan(self) -> LightcurvePlot:
        alert, flux = self.alert, self.flux
        if alert is None:
            return LightcurvePlot(flux=flux, empty=self.empty_text)
        unit = alert.flux_unit or "nJy"
        self.x0 = alert.mjd if self.relative_time else 0.0
        scale = alert.time_scale.upper()
        plot = LightcurvePlot(
            flux=flux,
            y_label=f"flux [{unit}]" if flux else "magnitude (AB)",
            x_label="days relative to this alert" if self.relative_time else f"MJD ({scale})",
            ring=self._ring(alert, flux),
        )
        plot.series.extend(self._detections(alert.detections, flux))
        if not flux:
            plot.notes.extend(self._unplotted(alert))
            plot.series.extend(self._markers(alert.upper_limits, alert.upper_limits.mag,
                                             "upper limits", "limit"))  # fmt: skip
        if self.forced:
            y, _ = _values(alert.forced, flux)
            plot.series.extend(self._markers(alert.forced, y, "forced", "forced"))
            n = alert.n_forced_unmeasured
            if n:  # sent without a flux (ZTF's -99999): drawn in no view, so said
                plot.notes.append(f"{n} forced epoch{'s' if n != 1 else ''} without a measurement")
        return plot

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

    def _markers(self, points: Photometry, y_all: np.ndarray, kind: str, label: str) -> list:
        """One series per band without error bars (limits, forced points)."""
        found = []
        for band in bands(points):
            chosen = (points.band == band) & np.isfinite(y_all)
            if chosen.any():
                found.append(Series(
                    f"{kind} {band}", kind, band, points.mjd[chosen] - self.x0,
                    y_all[chosen], f"{band} {label} ({chosen.sum()})",
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

    def tip(self, band: str, kind: str, x: float, y: float) -> str:
        """Hover text of a point; reads the alert shown at hover time."""
        from astropy.time import Time

        alert = self.alert
        scale = alert.time_scale if alert and alert.time_scale in ("utc", "tai") else "utc"
        mjd = x + self.x0
        iso = Time(mjd, format="mjd", scale=scale).utc.iso[:19]
        return f"{band} {kind}\nMJD {mjd:.5f} {scale.upper()} ({iso} UTC)\n{y:.3f}"


def _values(points: Photometry, flux: bool) -> tuple[np.ndarray, np.ndarray]:
    return (points.flux, points.flux_err) if flux else (points.mag, points.mag_err)
