"""ZTF packets (schema 0.x prototype to 4.x, and Fink's re-sent ZTF) -> Alert.

ZTF times are JD in UTC at the start of the exposure; magnitudes are PSF
magnitudes of the difference image, with ``isdiffpos`` saying whether the
difference is positive. Fluxes are derived in nJy so ZTF and Rubin share one
flux axis; forced photometry comes in DN and is scaled with ``magzpsci``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from alertview.core.alert import (
    MAG_ERR_FACTOR,
    NJY_ZERO_POINT,
    Alert,
    Origin,
    Photometry,
    flux_to_mag,
    mag_to_flux,
)
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import DecodedRecord
from alertview.core.avro.projection import SurveyFields
from alertview.core.surveys.common import packet_fields

BANDS: dict[object, str] = {1: "g", 2: "r", 3: "i"}
JD_TO_MJD = 2400000.5
#: ZTF's "no value" for forced-photometry fluxes.
FORCED_NULL = -99999.0


#: What ``to_alert`` reads of ``candidate`` for the table, and the fields without
#: which a schema's ``candidate`` is not ZTF's; the history needs no projection: a
#: whole ZTF packet decodes in ~0.15 ms.
#: ``tests/core/test_survey_fields.py`` checks these against the mapping.
FIELDS = SurveyFields(
    "ztf",
    records=("candidate",),
    identity=frozenset({"jd", "fid", "ra", "dec"}),
    table=frozenset(
        {"candid", "isdiffpos", "magpsf", "sigmapsf", "ra", "dec", "jd", "fid", "rb", "drb"}
    ),
)


def is_ztf(record: Mapping[str, Any]) -> bool:
    candidate = record.get("candidate")
    return isinstance(candidate, dict) and "jd" in candidate and "fid" in candidate


def is_positive(isdiffpos: Any) -> bool | None:
    """ZTF writes 't'/'f' (and '1'/'0' in the 2017 prototype)."""
    if isdiffpos in ("t", "1", 1, True):
        return True
    if isdiffpos in ("f", "0", 0, False):
        return False
    return None


def signed_flux(
    mag: float | None, err: float | None, positive: bool | None
) -> tuple[float | None, float | None]:
    """Difference flux in nJy from magpsf, negative when the difference is."""
    flux = mag_to_flux(mag)
    if flux is None:
        return None, None
    flux_err = None if err is None else flux * err / MAG_ERR_FACTOR
    return (-flux if positive is False else flux), flux_err


def schema_label(decoded: DecodedRecord) -> str:
    """The table's schema label: the record's ``schemavsn``, else the writer schema's
    ``version`` (1.x has no schemavsn), whatever shape that schema has."""
    record = decoded.record
    alert_schema = _alert_schema(decoded.schema.raw)
    version = record.get("schemavsn") or (alert_schema or {}).get("version")
    if version:
        return f"ztf {version}"
    return "ztf prototype" if "alertId" in record else "ztf"


def _alert_schema(raw: Any) -> Mapping[str, Any] | None:
    """The alert record of a writer schema.

    ZTF 1.x simulated packets were written with a JSON list of named types
    (candidate, cutout, ..., alert last) instead of one record; the alert record
    is then the one named ``alert``, else the last record of the list.
    """
    if isinstance(raw, Mapping):
        return raw
    if not isinstance(raw, list):
        return None
    records = [s for s in raw if isinstance(s, Mapping) and s.get("type") == "record"]
    named = [s for s in records if str(s.get("name", "")).rpartition(".")[2] == "alert"]
    chosen = named or records
    return chosen[-1] if chosen else None


def to_alert(decoded: DecodedRecord, origin: Origin) -> Alert:
    record = decoded.record
    cand = record["candidate"]
    # The 2017 prototype's candid is negative; its alertId is the packet's id.
    alert_id = record.get("alertId")
    if alert_id is None:
        alert_id = record.get("candid", cand.get("candid"))
    positive = is_positive(cand.get("isdiffpos"))
    flux, flux_err = signed_flux(cand.get("magpsf"), cand.get("sigmapsf"), positive)
    if decoded.detail is Detail.TABLE:  # which history entries are detections is unknown
        history = _History(Photometry.empty(), None, Photometry.empty(), Photometry.empty(), 0)
    else:
        history = _history(record, cand)
    return Alert(
        survey="ztf",
        schema_label=schema_label(decoded),
        alert_id=int(alert_id),
        object_id=record.get("objectId"),
        ra=float(cand["ra"]),
        dec=float(cand["dec"]),
        mjd=float(cand["jd"]) - JD_TO_MJD,
        time_scale="utc",
        band=BANDS.get(cand.get("fid")),
        mag=cand.get("magpsf"),
        mag_err=cand.get("sigmapsf"),
        flux=flux,
        flux_err=flux_err,
        flux_unit="nJy",
        is_positive=positive,
        quality={"rb": cand.get("rb"), "drb": cand.get("drb")},
        detections=history.detections,
        n_history_detections=history.n_previous,
        upper_limits=history.limits,
        forced=history.forced,
        n_forced_unmeasured=history.n_forced_unmeasured,
        publisher=record.get("publisher"),
        **packet_fields(decoded, origin),
    )


class _History(NamedTuple):
    detections: Photometry
    n_previous: int | None
    limits: Photometry
    forced: Photometry
    n_forced_unmeasured: int


def _history(record: Mapping[str, Any], cand: Mapping[str, Any]) -> _History:
    """Split prv_candidates into detections, upper limits and forced points.

    An entry with a candid is a detection; one whose candid is null (or absent)
    is a non-detection, and its ``diffmaglim`` an upper limit. The 3.5
    forced-photometry test packets put forced-photometry records in
    prv_candidates (``forcediffimflux`` and ``diffmaglim``, no candid): each is
    then both a forced point and an upper limit. 4.x sends forced photometry in
    ``fp_hists``, whose epochs repeat prv_candidates' non-detections: those
    are forced points only, so no epoch's limit is counted twice.
    """
    detected, limits, forced = [], [], list(record.get("fp_hists") or [])
    for prv in record.get("prv_candidates") or []:
        if prv.get("candid") is not None:
            detected.append(prv)
            continue
        if "forcediffimflux" in prv:
            forced.append(prv)
        if prv.get("diffmaglim") not in (None, FORCED_NULL):
            limits.append(prv)
    n_previous = len(detected)
    detected.append(cand)
    detected.sort(key=lambda p: p["jd"])
    forced_points, unmeasured = _forced(forced)
    return _History(_detections(detected), n_previous, _limits(limits), forced_points, unmeasured)


def _detections(points: list[Mapping[str, Any]]) -> Photometry:
    fluxes = [
        signed_flux(p.get("magpsf"), p.get("sigmapsf"), is_positive(p.get("isdiffpos")))
        for p in points
    ]
    return Photometry.from_columns(
        mjd=[p["jd"] - JD_TO_MJD for p in points],
        band=[BANDS.get(p.get("fid"), "?") for p in points],
        mag=[p.get("magpsf") for p in points],
        mag_err=[p.get("sigmapsf") for p in points],
        flux=[f for f, _ in fluxes],
        flux_err=[e for _, e in fluxes],
        source_id=[p.get("candid") for p in points],
    )


def _limits(points: list[Mapping[str, Any]]) -> Photometry:
    points = sorted(points, key=lambda p: p["jd"])
    return Photometry.from_columns(
        mjd=[p["jd"] - JD_TO_MJD for p in points],
        band=[BANDS.get(p.get("fid"), "?") for p in points],
        mag=[p["diffmaglim"] for p in points],
        mag_err=[None] * len(points),
        flux=[mag_to_flux(p["diffmaglim"]) for p in points],
        flux_err=[None] * len(points),
        source_id=[None] * len(points),
    )


def _forced(points: list[Mapping[str, Any]]) -> tuple[Photometry, int]:
    """Forced points in nJy, and how many epochs had no flux (or no zero point) to scale."""
    rows = []
    for p in points:
        flux, err, zp = p.get("forcediffimflux"), p.get("forcediffimfluxunc"), p.get("magzpsci")
        if flux in (None, FORCED_NULL) or zp in (None, FORCED_NULL):
            continue
        scale = 10.0 ** (-0.4 * (zp - NJY_ZERO_POINT))  # DN -> nJy
        flux_njy = flux * scale
        err_njy = None if err is None or err == FORCED_NULL else err * scale
        rows.append((p["jd"] - JD_TO_MJD, BANDS.get(p.get("fid"), "?"), flux_njy, err_njy))
    rows.sort()
    mags = [flux_to_mag(f, e) for _, _, f, e in rows]
    photometry = Photometry.from_columns(
        mjd=[r[0] for r in rows],
        band=[r[1] for r in rows],
        mag=[m for m, _ in mags],
        mag_err=[e for _, e in mags],
        flux=[r[2] for r in rows],
        flux_err=[r[3] for r in rows],
        source_id=[None] * len(rows),
    )
    return photometry, len(points) - len(rows)
