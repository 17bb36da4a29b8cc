"""The table's row: the fields every alert shows, in the order the store keeps them.

The session stores rows in this order, the columns hold them, and the filter
language sees them under the names ``inspect --json`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The columns of a stored row, in order (what the table and filters see).
ROW_FIELDS = (
    "row", "survey", "alert_id", "object_id", "schema", "ra", "dec", "mjd", "time_scale",
    "band", "mag", "mag_err", "flux", "flux_err", "rb", "drb", "reliability", "snr",
    "n_detections", "n_upper_limits", "n_forced", "topic", "partition", "kafka_offset",
    "source", "record_index", "extras",
)  # fmt: skip
#: ``extras`` is a row's broker fields (``surveys.brokers``): a dict of name -> float or
#: text without nulls, or None; the filter language sees each under its own name.


def row_as_fields(row: Sequence) -> dict:
    """A stored row under the names the filter language uses (as ``inspect --json``)."""
    fields = dict(zip(ROW_FIELDS, row, strict=True))
    fields["schema"] = fields.get("schema")
    fields["offset"] = fields.pop("kafka_offset")
    detections = fields.pop("n_detections")
    fields["n_history_detections"] = None if detections is None else detections - 1
    extras = fields.pop("extras")
    if isinstance(extras, dict):
        for name, value in extras.items():
            fields.setdefault(name, value)
    return fields
