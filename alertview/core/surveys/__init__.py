"""Per-survey mappings from a decoded Avro record to the one Alert model."""

from __future__ import annotations

from alertview.core.alert import Alert, Origin
from alertview.core.avro.packets import DecodedRecord
from alertview.core.avro.projection import SurveyFields
from alertview.core.errors import DecodeError
from alertview.core.surveys import brokers, generic, lsst, ztf

#: What each survey's mapping reads, in the order the surveys are recognised: give
#: it to the ``SchemaCache`` so decodes for the table and the light curve read only that
#: (and the brokers' fields appended to a survey's packet, for the table too).
SURVEY_FIELDS: tuple[SurveyFields, ...] = (ztf.FIELDS, lsst.FIELDS, generic.FIELDS, brokers.FIELDS)


def to_alert(decoded: DecodedRecord, origin: Origin) -> Alert:
    """Map a record with the mapping of its survey, recognised from its fields."""
    record = decoded.record
    try:
        if ztf.is_ztf(record):
            return ztf.to_alert(decoded, origin)
        if lsst.is_lsst(record):
            return lsst.to_alert(decoded, origin)
    except (KeyError, TypeError, ValueError) as exc:
        # A survey-looking record that breaks its survey's rules: still show it.
        try:
            alert = generic.to_alert(decoded, origin)
        except Exception:
            raise DecodeError(f"record does not fit its survey's schema ({exc!r})") from None
        return alert
    return generic.to_alert(decoded, origin)
