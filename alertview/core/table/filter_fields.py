"""Where a filter's names find their values: an Alert, a table row, a raw record.

A name is looked up among the Alert's fields (those of ``inspect --json``),
then in the raw record, then in the sub-records the surveys declare (ZTF
``candidate``; Rubin ``diaSource``, ``diaObject``). A name found nowhere raises
KeyError, which the filter reads as null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from alertview.core.alert import Alert
from alertview.core.surveys import SURVEY_FIELDS, brokers

#: The sub-records searched for raw field names, in order (then a broker's: Fink's ``clf``).
NESTED = (*(name for survey in SURVEY_FIELDS for name in survey.records), *brokers.NESTED)


def _alert_fields(alert: Alert) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "survey": alert.survey,
        "schema": alert.schema_label,
        "alert_id": alert.alert_id,
        "object_id": alert.object_id,
        "ra": alert.ra,
        "dec": alert.dec,
        "mjd": alert.mjd,
        "time_scale": alert.time_scale,
        "band": alert.band,
        "mag": alert.mag,
        "mag_err": alert.mag_err,
        "flux": alert.flux,
        "flux_err": alert.flux_err,
        "flux_unit": alert.flux_unit,
        "n_history_detections": alert.n_history_detections,
        "n_upper_limits": alert.n_upper_limits,
        "n_forced": alert.n_forced,
        "publisher": alert.publisher,
        "topic": alert.origin.topic,
        "partition": alert.origin.partition,
        "offset": alert.origin.offset,
    }
    fields.update(alert.quality)
    return fields


class FieldLookup:
    """Resolves names for one alert."""

    def __init__(self, alert: Alert) -> None:
        self.alert = alert
        self._fields: dict[str, Any] | None = None

    def get(self, name: str) -> Any:
        if self._fields is None:
            self._fields = _alert_fields(self.alert)
        if name in self._fields:
            return self._fields[name]
        return _from_record(self.alert.record, name)


class MappingLookup:
    """Resolves names from ready fields (a table row), then from a record loaded on demand.

    The record is only loaded (e.g. decoded from the store) when a name is
    not among the fields, so filters on table columns stay fast.
    """

    def __init__(self, fields: Mapping[str, Any], record: Callable[[], Mapping] | None = None):
        self.fields = fields
        self._load = record
        self._record: Mapping | None = None

    def get(self, name: str) -> Any:
        if name in self.fields:
            return self.fields[name]
        if self._load is None:
            raise KeyError(name)
        if self._record is None:
            self._record = self._load()
        return _from_record(self._record, name)


def _from_record(record: Mapping[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    for nested in NESTED:
        sub = record.get(nested)
        if isinstance(sub, Mapping) and name in sub:
            return sub[name]
    raise KeyError(name)


def record_names(record: Mapping[str, Any]) -> set[str]:
    """The names a raw record answers: its fields and those of its ``NESTED`` records."""
    names = set(record)
    for nested in NESTED:
        sub = record.get(nested)
        if isinstance(sub, Mapping):
            names.update(sub)
    return names
