"""Any other Avro alert (ATLAS, DECam, broker outputs, ...) -> Alert, best effort.

All fields are kept in ``Alert.record``; id, position and time are looked
for under their common names at the top level and one record deep. Nothing
here may raise on an unfamiliar packet.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from alertview.core.alert import Alert, Origin
from alertview.core.avro.packets import DecodedRecord
from alertview.core.avro.projection import SurveyFields
from alertview.core.surveys.common import packet_fields

ID_NAMES = ("alertId", "alert_id", "candid", "diaSourceId", "sourceId", "id")
OBJECT_NAMES = ("objectId", "object_id", "diaObjectId", "name")
RA_NAMES = ("ra", "RA", "raj2000", "ra_deg")
DEC_NAMES = ("dec", "decl", "Dec", "DEC", "dej2000", "dec_deg")
MJD_NAMES = ("mjd", "midpointMjdTai", "midPointTai", "MJD")
JD_NAMES = ("jd", "JD")
BAND_NAMES = ("band", "filter", "filterName", "fid")
MAG_NAMES = ("mag", "magpsf", "m")
MAG_ERR_NAMES = ("magerr", "mag_err", "sigmapsf", "dm")
#: Nothing to project: any field may hold what is looked for, so a record this
#: mapping reads is always decoded whole.
FIELDS = SurveyFields("generic")


def survey_name(decoded: DecodedRecord) -> str:
    first = decoded.schema.name.split(".")[0].strip().lower()
    return first if first and first not in ("toplevelrecord", "alert") else "unknown"


def _scopes(record: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield record
    for value in record.values():
        if isinstance(value, dict):
            yield value


def _find(record: Mapping[str, Any], names: tuple[str, ...], kind: type | tuple) -> Any:
    for scope in _scopes(record):
        for name in names:
            value = scope.get(name)
            if isinstance(value, kind) and not isinstance(value, bool):
                return value
    return None


def _number(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.nan


def to_alert(decoded: DecodedRecord, origin: Origin) -> Alert:
    record = decoded.record
    alert_id = _find(record, ID_NAMES, int)
    object_id = _find(record, OBJECT_NAMES, (str, int))
    mjd = _find(record, MJD_NAMES, (int, float))
    if mjd is None and (jd := _find(record, JD_NAMES, (int, float))) is not None:
        mjd = jd - 2400000.5
    band = _find(record, BAND_NAMES, (str, int))
    version = decoded.schema.raw.get("version") if isinstance(decoded.schema.raw, dict) else None
    name = survey_name(decoded)
    return Alert(
        survey=name,
        schema_label=f"{name} {version}" if version else (decoded.schema.name or name),
        alert_id=alert_id if alert_id is not None else origin.index,
        object_id=None if object_id is None else str(object_id),
        ra=_number(_find(record, RA_NAMES, (int, float))),
        dec=_number(_find(record, DEC_NAMES, (int, float))),
        mjd=_number(mjd),
        time_scale="unknown",
        band=None if band is None else str(band),
        mag=_find(record, MAG_NAMES, float),
        mag_err=_find(record, MAG_ERR_NAMES, float),
        flux=None,
        flux_err=None,
        flux_unit=None,
        publisher=record.get("publisher") if isinstance(record.get("publisher"), str) else None,
        **packet_fields(decoded, origin),
    )
