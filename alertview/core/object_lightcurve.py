"""One object's light curve merged from all of its alerts.

Each alert carries its own 30-day (ZTF) or 12-month (Rubin) history, so the
alerts of one object repeat most of their points. Merged, detections are
counted once by their source id (ZTF ``candid``, Rubin ``diaSourceId``),
limits and forced points once per epoch and band; where two alerts disagree
on a point the newer alert's value is kept (the survey's latest processing).

For ZTF the apparent ("DC") magnitude of the source itself is added where the
packet allows it: ZTF's ``magpsf`` measures the difference from the reference
image, so the source's total flux is the reference source's (``magnr``) plus
or minus the difference's (``isdiffpos``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alertview.core.alert import NJY_ZERO_POINT, Alert, Photometry
from alertview.core.surveys.ztf import BANDS, JD_TO_MJD, is_positive

log = logging.getLogger(__name__)

#: A reference-image source farther than this (arcsec) from the alert is another
#: source: its ``magnr`` says nothing about this one (ALeRCE's criterion).
MAX_DISTNR = 1.4
#: Epochs closer than this (seconds) are one epoch when points carry no source id.
EPOCH_SECONDS = 1.0


@dataclass(frozen=True)
class ObjectLightcurve:
    """An object's merged light curve.

    ``alert`` is its newest alert with the merged photometry in place of its
    own, so the light-curve panel draws it as it draws any alert (the newest
    point ringed); ``dc`` holds ZTF's apparent magnitudes (empty elsewhere).
    """

    alert: Alert
    dc: Photometry
    n_alerts: int

    @property
    def object_id(self) -> str | None:
        return self.alert.object_id


def merge_lightcurve(alerts: Sequence[Alert]) -> ObjectLightcurve | None:
    """The merged light curve of ``alerts`` (one object's, any order); None if empty.

    The alerts must be decoded with their history (``Detail.LIGHT_CURVE`` or
    ``FULL``).
    """
    if not alerts:
        return None
    newest_first = sorted(alerts, key=lambda a: a.mjd, reverse=True)
    newest = newest_first[0]
    detections = _unique(_concat([a.detections for a in newest_first]))
    merged = dataclasses.replace(
        newest,
        detections=detections,
        n_history_detections=max(len(detections) - 1, 0),
        upper_limits=_unique(_concat([a.upper_limits for a in newest_first])),
        forced=_unique(_concat([a.forced for a in newest_first])),
        n_forced_unmeasured=max(a.n_forced_unmeasured for a in alerts),
    )
    dc = Photometry.empty()
    if newest.survey == "ztf":
        dc = dc_photometry(_ztf_detections(newest_first))
    return ObjectLightcurve(merged, dc, len(alerts))


def dc_magnitude(
    magpsf: np.ndarray,
    sigmapsf: np.ndarray,
    magnr: np.ndarray,
    sigmagnr: np.ndarray,
    positive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ZTF apparent magnitude and its error, and the flux and its error (in units of
    magnitude zero): f = 10^(-0.4 magnr) ± 10^(-0.4 magpsf), + where the difference is
    positive. NaN where that flux is not positive or an input is missing."""
    reference = 10.0 ** (-0.4 * np.asarray(magnr, dtype=np.float64))
    difference = 10.0 ** (-0.4 * np.asarray(magpsf, dtype=np.float64))
    flux = reference + np.where(positive, 1.0, -1.0) * difference
    # d(10^(-0.4 m)) = 0.4 ln10 10^(-0.4 m) dm, in quadrature
    flux_err = (0.4 * np.log(10.0)) * np.hypot(reference * sigmagnr, difference * sigmapsf)
    good = flux > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = np.where(good, -2.5 * np.log10(np.where(good, flux, 1.0)), np.nan)
        mag_err = np.where(good, 2.5 / np.log(10.0) * flux_err / np.where(good, flux, 1.0), np.nan)
    return mag, mag_err, np.where(good, flux, np.nan), np.where(good, flux_err, np.nan)


def dc_photometry(points: Sequence[Mapping[str, Any]]) -> Photometry:
    """Apparent magnitudes of ZTF detections (``candidate``-like records), time order.

    A detection has one where its reference source is measured (``magnr``) and
    near enough to be the same source (``distnr`` within ``MAX_DISTNR``).
    """
    points = sorted(points, key=lambda p: p["jd"])

    def column(name: str) -> np.ndarray:
        return np.array([_number(p.get(name)) for p in points], dtype=np.float64)

    magnr, distnr = column("magnr"), column("distnr")
    usable = (magnr > 0) & ~(distnr > MAX_DISTNR) & ~(distnr < 0)  # NaN distnr: not sent
    magnr = np.where(usable, magnr, np.nan)
    positive = np.array([is_positive(p.get("isdiffpos")) is True for p in points], dtype=bool)
    mag, mag_err, flux, flux_err = dc_magnitude(
        column("magpsf"), column("sigmapsf"), magnr, column("sigmagnr"), positive
    )
    to_njy = 10.0 ** (0.4 * NJY_ZERO_POINT)
    return Photometry(
        mjd=column("jd") - JD_TO_MJD,
        band=np.asarray([BANDS.get(p.get("fid"), "?") for p in points], dtype="<U8"),
        mag=mag,
        mag_err=mag_err,
        flux=flux * to_njy,
        flux_err=flux_err * to_njy,
        source_id=np.asarray([p.get("candid") or -1 for p in points], dtype=np.int64),
    )


def _ztf_detections(newest_first: Sequence[Alert]) -> list[Mapping[str, Any]]:
    """Every detection record of the alerts, once per candid (the newest alert's copy)."""
    seen: dict[int, Mapping[str, Any]] = {}
    for alert in newest_first:
        record = alert.record
        candidate = record.get("candidate")
        entries = [candidate] if isinstance(candidate, Mapping) else []
        entries += [p for p in record.get("prv_candidates") or [] if isinstance(p, Mapping)]
        for entry in entries:
            candid = entry.get("candid")
            if candid is not None and entry.get("jd") is not None:
                seen.setdefault(int(candid), entry)
    return list(seen.values())


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)


def _concat(parts: Sequence[Photometry]) -> Photometry:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Photometry.empty()
    if len(parts) == 1:
        return parts[0]
    names = [f.name for f in dataclasses.fields(Photometry)]
    return Photometry(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


def _unique(points: Photometry) -> Photometry:
    """Each point once (the first given: the newest alert's), in time order.

    A point with a source id is known by it; one without, by its epoch and band.
    """
    if not len(points):
        return points
    has_id = points.source_id >= 0
    epoch = np.where(has_id, 0, np.round(np.nan_to_num(points.mjd) * 86400.0 / EPOCH_SECONDS))
    _, band = np.unique(points.band, return_inverse=True)
    keys = (has_id, np.where(has_id, points.source_id, 0), epoch, band)
    order = np.lexsort((np.arange(len(points)), *reversed(keys)))  # ties: first given
    same = np.ones(len(order) - 1, dtype=bool)
    for key in keys:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    first = order[np.concatenate([[True], ~same])]
    chosen = first[np.argsort(points.mjd[first], kind="stable")]
    if len(chosen) == len(points) and (chosen == np.arange(len(points))).all():
        return points
    names = [f.name for f in dataclasses.fields(Photometry)]
    return Photometry(**{n: getattr(points, n)[chosen] for n in names})
