"""Rubin (LSST) packets, schema v3 to v11, native or Fink-enriched -> Alert.

Rubin measures difference fluxes in nJy (often negative) and times as MJD in
TAI at the exposure midpoint. Field names changed across schema versions
(``midPointTai`` -> ``midpointMjdTai``, ``filterName`` -> ``band``,
``psFlux`` -> ``psfFlux``, ``decl`` -> ``dec``); every spelling is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from alertview.core.alert import Alert, Origin, Photometry, flux_to_mag
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import DecodedRecord
from alertview.core.avro.projection import SurveyFields
from alertview.core.surveys.common import first_present, packet_fields
from alertview.core.surveys.minor_planets import sso_object_id

_VERSION = re.compile(r"v(\d+)_(\d+)")
#: Rubin's non-detection limits (v3-v7) give the noise; the limit is 5 sigma.
LIMIT_SIGMA = 5.0

TIME = ("midpointMjdTai", "midPointTai")
BAND = ("band", "filterName")
FLUX = ("psfFlux", "psFlux")
FLUX_ERR = ("psfFluxErr", "psFluxErr")
DEC = ("dec", "decl")

#: What ``to_alert`` reads of Rubin's source records, every spelling of v3-v11.
SOURCE_FIELDS = frozenset(
    {
        "diaSourceId",
        "diaForcedSourceId",
        "diaObjectId",
        "ssObjectId",
        "ra",
        "reliability",
        "snr",
        "diaNoise",
    }
).union(TIME, BAND, FLUX, FLUX_ERR, DEC)
#: The table reads ``diaSource``; a light curve, the history records too (a Rubin
#: packet's ~1,000 of up to ~100 fields decode in half the time with only these).
#: ``tests/core/test_survey_fields.py`` checks these against the mapping.
FIELDS = SurveyFields(
    "lsst",
    records=("diaSource", "diaObject"),
    identity=frozenset({"ra"}),
    table=SOURCE_FIELDS,
    light_curve=dict.fromkeys(
        (
            "diaSource",
            "diaForcedSource",
            "diaNondetectionLimit",
            # Fink (Spark) names nested records after their fields
            "prvDiaSources",
            "prvDiaForcedSources",
        ),
        SOURCE_FIELDS,
    ),
)


def is_lsst(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("diaSource"), dict)


def schema_label(decoded: DecodedRecord) -> str:
    version = decoded.schema.lsst_version
    if version is None:  # Fink re-packs Rubin alerts and names the version in a field
        match = _VERSION.search(str(decoded.record.get("lsst_schema_version") or ""))
        version = (int(match[1]), int(match[2])) if match else None
    return f"lsst {version[0]}.{version[1]}" if version else "lsst"


def survey_name(decoded: DecodedRecord) -> str:
    """ELAsTiCC simulated Rubin alerts in Rubin's own format keep their own name."""
    return "elasticc" if decoded.schema.name.lower().startswith("elasticc") else "lsst"


def to_alert(decoded: DecodedRecord, origin: Origin) -> Alert:
    record = decoded.record
    source = record["diaSource"]
    alert_id = first_present(source, "diaSourceId") or first_present(
        record, "diaSourceId", "alertId"
    )
    flux = first_present(source, *FLUX)
    flux_err = first_present(source, *FLUX_ERR)
    mag, mag_err = flux_to_mag(flux, flux_err)
    previous = list(record.get("prvDiaSources") or [])
    history_skipped = decoded.detail is Detail.TABLE
    detections = Photometry.empty() if history_skipped else _sources([*previous, source])
    # table fields only: every prvDiaSource is a detection, counted from the array header
    n_previous = decoded.history_length if history_skipped else len(previous)
    return Alert(
        survey=survey_name(decoded),
        schema_label=schema_label(decoded),
        alert_id=int(alert_id),
        object_id=_object_id(record, source),
        ra=float(source["ra"]),
        dec=float(first_present(source, *DEC)),
        mjd=float(first_present(source, *TIME)),
        time_scale="tai",
        band=first_present(source, *BAND),
        mag=mag,
        mag_err=mag_err,
        flux=flux,
        flux_err=flux_err,
        flux_unit="nJy",
        is_positive=None if flux is None else flux > 0,
        quality={"reliability": source.get("reliability"), "snr": source.get("snr")},
        detections=detections,
        n_history_detections=n_previous,
        upper_limits=_limits(record.get("prvDiaNondetectionLimits") or []),
        forced=_sources(record.get("prvDiaForcedSources") or [], id_field="diaForcedSourceId"),
        publisher=record.get("publisher"),
        **packet_fields(decoded, origin),
    )


def _object_id(record: Mapping[str, Any], source: Mapping[str, Any]) -> str | None:
    """diaObjectId as text; for a source on a known solar-system object (no
    diaObjectId: null or 0) its designation ("2004 JQ12"); else None."""
    object_id = source.get("diaObjectId")
    if not object_id:
        object_id = (record.get("diaObject") or {}).get("diaObjectId")
    if object_id:
        return str(object_id)
    ss_object_id = source.get("ssObjectId")
    return sso_object_id(int(ss_object_id)) if ss_object_id else None


def _spelling(points: list[Mapping[str, Any]], names: tuple[str, ...]) -> str:
    """Which of a field's spellings this schema version uses (all points share it)."""
    first = points[0]
    return next((n for n in names if n in first), names[0])


def _sources(points: list[Mapping[str, Any]], id_field: str = "diaSourceId") -> Photometry:
    if not points:
        return Photometry.empty()
    time, band, flux, error = (_spelling(points, names) for names in (TIME, BAND, FLUX, FLUX_ERR))
    points = sorted(points, key=lambda p: p[time])
    fluxes = [p.get(flux) for p in points]
    errors = [p.get(error) for p in points]
    mags = [flux_to_mag(f, e) for f, e in zip(fluxes, errors, strict=True)]
    return Photometry.from_columns(
        mjd=[p[time] for p in points],
        band=[p.get(band) or "?" for p in points],
        mag=[m for m, _ in mags],
        mag_err=[e for _, e in mags],
        flux=fluxes,
        flux_err=errors,
        source_id=[p.get(id_field) for p in points],
    )


def _limits(points: list[Mapping[str, Any]]) -> Photometry:
    points = sorted(points, key=lambda p: first_present(p, *TIME))
    limit_flux = [LIMIT_SIGMA * p["diaNoise"] for p in points]
    return Photometry.from_columns(
        mjd=[first_present(p, *TIME) for p in points],
        band=[first_present(p, *BAND) or "?" for p in points],
        mag=[flux_to_mag(f, None)[0] for f in limit_flux],
        mag_err=[None] * len(points),
        flux=limit_flux,
        flux_err=[None] * len(points),
        source_id=[None] * len(points),
    )
