"""The one Alert model every survey is mapped to.

Units are fixed here so nothing downstream has to guess: positions in
degrees, times as MJD in the survey's own scale (``time_scale``), fluxes in
nJy, magnitudes AB. Ids are Python ints (64-bit survey ids must never pass
through float64).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import Packet

#: Offset between a Rubin/AB flux in nJy and its magnitude: m = -2.5 log10(f) + 31.4.
NJY_ZERO_POINT = 31.4
#: 2.5 / ln(10): converts a relative flux error into a magnitude error.
MAG_ERR_FACTOR = 2.5 / math.log(10.0)
CUTOUT_NAMES = ("science", "template", "difference")


@dataclass(frozen=True, slots=True)
class Photometry:
    """A set of light-curve points as parallel arrays (one row per point).

    ``mag`` is the AB magnitude or, for upper limits, the limiting magnitude;
    NaN where it does not exist (e.g. a negative difference flux).
    """

    mjd: np.ndarray
    band: np.ndarray
    mag: np.ndarray
    mag_err: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    #: Id of the source of each point (ZTF candid, Rubin diaSourceId); -1 if none.
    source_id: np.ndarray

    def __len__(self) -> int:
        return len(self.mjd)

    @classmethod
    def empty(cls) -> Photometry:
        """No points (one shared instance: its arrays are never written to)."""
        global _EMPTY
        if _EMPTY is None:
            _EMPTY = cls.from_columns([], [], [], [], [], [], [])
        return _EMPTY

    @classmethod
    def from_columns(
        cls,
        mjd: Iterable[float],
        band: Iterable[str],
        mag: Iterable[float | None],
        mag_err: Iterable[float | None],
        flux: Iterable[float | None],
        flux_err: Iterable[float | None],
        source_id: Iterable[int | None],
    ) -> Photometry:
        return cls(
            mjd=_floats(mjd),
            band=np.asarray(list(band), dtype="<U8"),
            mag=_floats(mag),
            mag_err=_floats(mag_err),
            flux=_floats(flux),
            flux_err=_floats(flux_err),
            source_id=np.asarray([-1 if s is None else s for s in source_id], dtype=np.int64),
        )


_EMPTY: Photometry | None = None


def _floats(values: Iterable[float | None]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


def flux_to_mag(flux: float | None, flux_err: float | None) -> tuple[float | None, float | None]:
    """AB magnitude and error of a flux in nJy; only where the flux is positive."""
    if flux is None or not flux > 0 or flux == math.inf:  # also rejects NaN
        return None, None
    mag = -2.5 * math.log10(flux) + NJY_ZERO_POINT
    err = None if flux_err is None else MAG_ERR_FACTOR * flux_err / flux
    return mag, err


def mag_to_flux(mag: float | None) -> float | None:
    """Flux in nJy of an AB magnitude."""
    if mag is None or not math.isfinite(mag):
        return None
    return float(10.0 ** (-0.4 * (mag - NJY_ZERO_POINT)))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an alert came from: a file record or a Kafka message."""

    source: str
    index: int = 0
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        if self.topic is not None:
            return f"{self.topic}[{self.partition}]@{self.offset}"
        return f"{self.source}#{self.index}"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert packet, whatever the survey."""

    survey: str
    schema_label: str
    alert_id: int
    object_id: str | None
    ra: float
    dec: float
    mjd: float
    time_scale: str
    band: str | None
    mag: float | None
    mag_err: float | None
    flux: float | None
    flux_err: float | None
    flux_unit: str | None
    #: The difference is positive (source brighter than the template); None if unknown.
    is_positive: bool | None = None
    #: Quality scores: ZTF ``rb``/``drb``; Rubin ``reliability``/``snr``.
    quality: Mapping[str, float | None] = field(default_factory=dict)
    #: All detections, previous ones and this one, in time order.
    detections: Photometry = field(default_factory=Photometry.empty)
    #: Previous detections only (not this one); None while the history is not decoded.
    n_history_detections: int | None = 0
    upper_limits: Photometry = field(default_factory=Photometry.empty)
    forced: Photometry = field(default_factory=Photometry.empty)
    #: Forced-photometry epochs sent without a usable flux (ZTF's -99999 or null): not in
    #: ``forced``, counted so the viewer can say they exist.
    n_forced_unmeasured: int = 0
    #: Raw stamp bytes by name (science, template, difference), decoded on demand.
    cutouts: Mapping[str, bytes] = field(default_factory=dict)
    #: Who sent it (ZTF, Fink, ...), from the packet where it says.
    publisher: str | None = None
    #: The fields decoded from ``packet`` (as many as ``detail`` says).
    record: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: The alert's bytes as sent, their framing and writer schema.
    packet: Packet = field(kw_only=True, repr=False)
    origin: Origin = field(default_factory=lambda: Origin(""))
    #: How much of the packet was decoded. TABLE (a live stream's first pass): the
    #: photometry is empty and ``decode.HistoryCompletion`` counts it later. LIGHT_CURVE:
    #: the history records hold only the fields the viewer shows (``whole_record``
    #: decodes the rest). FULL: every field.
    detail: Detail = Detail.FULL

    @property
    def n_upper_limits(self) -> int:
        return len(self.upper_limits)

    @property
    def n_forced(self) -> int:
        return len(self.forced)

    @property
    def key(self) -> tuple[str, int]:
        """Identity used to recognise duplicates across re-deliveries."""
        return (self.survey, self.alert_id)
