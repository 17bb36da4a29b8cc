"""One batch of Kafka messages (or files) -> table-field rows, filter verdicts, error rows.

This is what each Spark task runs inside ``mapInArrow``; it imports pyarrow
but not pyspark, so it is tested without a JVM. Every alert is decoded only as
far as the table's fields (``Detail.TABLE``, as ``consume`` and the viewer do);
its row is ``alert_summary``'s (the ``inspect --json`` keys) plus the night,
the filter's verdict and, for the first matching alert of a message, the
message's raw key and value to forward unchanged.

The filter is evaluated vectorised on the batch's columns (``filter_mask`` over
an ``AlertColumns`` built from the batch's table rows); an expression that
cannot be (``NotVectorised``) is evaluated row by row, each alert under
``FieldLookup``, and a name the table lacks decodes that alert whole on demand.

A message that cannot be decoded becomes one error row (topic, partition,
offset, reason): it never stops the batch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from alertview.core.alert import Alert, Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_alert, decode_bytes
from alertview.core.errors import DecodeError
from alertview.core.sources import iter_blobs
from alertview.core.summary import alert_summary
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.surveys.brokers import broker_fields, present
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import TABLE_NAMES, NotVectorised, filter_mask
from alertview.core.table.filter_fields import FieldLookup
from alertview.core.table.filters import AlertFilter, parse_filter

log = logging.getLogger(__name__)

#: Table names whose values come from the history, which a table-fields decode skips.
HISTORY_COUNTS = frozenset({"n_history_detections", "n_detections", "n_upper_limits", "n_forced"})
#: The quality fields any survey gives (``Alert.quality``): a column each, null elsewhere.
QUALITY_FIELDS = ("rb", "drb", "reliability", "snr")
#: ``alert_summary``'s keys (Detail.TABLE) and their Arrow types; cutout lists and maps,
#: always null for a table-fields decode, are kept as JSON text.
SUMMARY_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("source", pa.string()),
    ("index", pa.int64()),
    ("survey", pa.string()),
    ("schema", pa.string()),
    ("alert_id", pa.int64()),
    ("object_id", pa.string()),
    ("ra", pa.float64()),
    ("dec", pa.float64()),
    ("mjd", pa.float64()),
    ("time_scale", pa.string()),
    ("band", pa.string()),
    ("mag", pa.float64()),
    ("mag_err", pa.float64()),
    ("flux", pa.float64()),
    ("flux_err", pa.float64()),
    ("flux_unit", pa.string()),
    ("n_history_detections", pa.int64()),
    ("n_upper_limits", pa.int64()),
    ("n_forced", pa.int64()),
    ("cutouts", pa.string()),
    ("cutout_shapes", pa.string()),
    ("cutout_errors", pa.string()),
    ("publisher", pa.string()),
    ("framing", pa.string()),
    ("detail", pa.string()),
    *((name, pa.float64()) for name in QUALITY_FIELDS),
    ("topic", pa.string()),
    ("partition", pa.int64()),
    ("offset", pa.int64()),
)
_JSON_FIELDS = frozenset({"cutouts", "cutout_shapes", "cutout_errors"})
#: One output row: an alert (``kind`` "alert") or an undecodable message ("error").
OUTPUT_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        *SUMMARY_FIELDS,
        ("night", pa.string()),
        ("matched", pa.bool_()),
        ("reason", pa.string()),
        ("forward_key", pa.binary()),
        ("forward_value", pa.binary()),
    ]
)
#: The alerts table's columns in Parquet (``night`` and ``survey`` are its partitions).
ALERT_COLUMNS = (*(name for name, _ in SUMMARY_FIELDS), "night", "matched")
#: The errors table's columns.
ERROR_COLUMNS = ("topic", "partition", "offset", "source", "reason")
#: Alerts with no time are filed under this night.
UNKNOWN_NIGHT = "unknown"
_MJD_EPOCH = dt.datetime(1858, 11, 17)


def night_of(mjd: float | None) -> str:
    """The observing night of ``mjd`` (YYYYMMDD): the date 12 hours before, as Rubin's
    ``dayObs``, so a night that spans midnight UTC (Chile, California) is one night."""
    if mjd is None or not math.isfinite(mjd) or not -1e6 < mjd < 1e6:
        return UNKNOWN_NIGHT
    return (_MJD_EPOCH + dt.timedelta(days=mjd - 0.5)).strftime("%Y%m%d")


@dataclass(frozen=True)
class DecodeSettings:
    """What every task needs, small and picklable (Spark ships it to the executors)."""

    filter: str | None = None
    registry: str | None = None


@dataclass
class Message:
    """One Kafka message (or one file's bytes: ``source`` set, no topic)."""

    value: bytes | None
    key: bytes | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    source: str | None = None


@dataclass
class DecodedBatch:
    """Rows in ``OUTPUT_SCHEMA``'s names, as Python dicts."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["kind"] == "alert"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["kind"] == "error"]

    def to_arrow(self) -> pa.RecordBatch:
        columns = {name: [row.get(name) for row in self.rows] for name in OUTPUT_SCHEMA.names}
        return pa.RecordBatch.from_pydict(columns, schema=OUTPUT_SCHEMA)


#: Parsed once per executor process (Spark's Python workers are reused between tasks).
_CACHES: dict[str | None, SchemaCache] = {}
_FILTERS: dict[str, AlertFilter] = {}


def schema_cache(registry: str | None) -> SchemaCache:
    """This process's schema cache for ``registry``: each schema parsed once per executor."""
    cache = _CACHES.get(registry)
    if cache is None:
        cache = _CACHES[registry] = SchemaCache(registry_url=registry, fields=SURVEY_FIELDS)
    return cache


def compiled_filter(expression: str | None) -> AlertFilter | None:
    if expression is None:
        return None
    compiled = _FILTERS.get(expression)
    if compiled is None:
        compiled = _FILTERS[expression] = parse_filter(expression)
    return compiled


def decode_messages(messages: Iterable[Message], settings: DecodeSettings) -> DecodedBatch:
    """Every message's alerts as rows (filter verdict included) and its error, if any."""
    cache = schema_cache(settings.registry)
    alert_filter = compiled_filter(settings.filter)
    batch = DecodedBatch()
    alerts: list[tuple[Alert, Message]] = []
    for message in messages:
        alerts.extend((alert, message) for alert in _decode(message, cache, batch))
    verdicts = _verdicts(alert_filter, [a for a, _ in alerts], cache)
    forwarded: set[int] = set()
    for (alert, message), matched in zip(alerts, verdicts, strict=True):
        row = _alert_row(alert, matched)
        if matched and id(message) not in forwarded and message.topic is not None:
            forwarded.add(id(message))  # a message of several alerts goes out once
            row["forward_key"], row["forward_value"] = message.key, message.value
        batch.rows.append(row)
    return batch


def _decode(message: Message, cache: SchemaCache, batch: DecodedBatch) -> list[Alert]:
    """The message's alerts; what fails after them is one error row (as ``consume``)."""
    source = message.source if message.source is not None else (message.topic or "")
    origin = Origin(source, 0, message.topic, message.partition, message.offset)
    alerts: list[Alert] = []
    try:
        if not message.value:
            raise DecodeError("empty message")
        alerts.extend(
            decode_bytes(message.value, cache, origin=origin, key=message.key, detail=Detail.TABLE)
        )
    except Exception as exc:  # even a decoder bug is one error row, never a dead job
        error = exc if isinstance(exc, DecodeError) else DecodeError.internal(exc)
        batch.rows.append(error_row(error.reason, message))
    return alerts


def error_row(reason: str, message: Message) -> dict[str, Any]:
    return {
        "kind": "error",
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "source": message.source if message.source is not None else message.topic,
        "reason": reason,
        "matched": False,
    }


def _alert_row(alert: Alert, matched: bool) -> dict[str, Any]:
    summary = alert_summary(alert)
    row: dict[str, Any] = {"kind": "alert", "matched": matched}
    for name, _ in SUMMARY_FIELDS:
        value = summary.get(name)
        row[name] = json.dumps(value) if name in _JSON_FIELDS and value is not None else value
    row["night"] = night_of(summary.get("mjd"))
    return row


def _verdicts(
    alert_filter: AlertFilter | None, alerts: Sequence[Alert], cache: SchemaCache
) -> list[bool]:
    """Whether each alert passes: vectorised over the batch's columns when the filter
    allows it, otherwise one alert at a time (decoding it whole for fields the table
    does not hold)."""
    if alert_filter is None:
        return [False] * len(alerts)  # no filter: nothing is forwarded
    if not alerts:
        return []
    if not alert_filter.names - (TABLE_NAMES - HISTORY_COUNTS):
        columns = AlertColumns()
        columns.append_rows([table_row(number, a) for number, a in enumerate(alerts, 1)])
        try:
            return [bool(v) for v in filter_mask(alert_filter, columns)]
        except NotVectorised as exc:
            log.debug("filter %r row by row: %s", alert_filter.expression, exc)
        return [alert_filter(a) for a in alerts]
    return [alert_filter.matches(FieldLookup(_whole(a, cache))) for a in alerts]


def _whole(alert: Alert, cache: SchemaCache) -> Alert:
    """``alert`` decoded whole (a filter names a field the table does not hold)."""
    try:
        return decode_alert(alert.packet, alert.origin, Detail.FULL, cache)
    except Exception:  # the filter then sees what the table decode has
        return alert


def table_row(number: int, alert: Alert) -> tuple:
    """``alert`` as a stored table row (``ROW_FIELDS`` order), for ``AlertColumns``."""
    origin, quality = alert.origin, alert.quality
    previous = alert.n_history_detections
    extras = present(broker_fields(alert.record)) or None
    return (
        number, alert.survey, alert.alert_id, alert.object_id, alert.schema_label,
        alert.ra, alert.dec, alert.mjd, alert.time_scale, alert.band,
        alert.mag, alert.mag_err, alert.flux, alert.flux_err,
        quality.get("rb"), quality.get("drb"), quality.get("reliability"), quality.get("snr"),
        None if previous is None else previous + 1, None, None,
        origin.topic, origin.partition, origin.offset, origin.source, origin.index, extras,
    )  # fmt: skip


def decode_arrow(
    batches: Iterator[pa.RecordBatch], settings: DecodeSettings
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function over Kafka rows (key, value, topic, partition, offset)."""
    for batch in batches:
        data = batch.to_pydict()
        messages = [
            Message(value, key, topic, partition, offset)
            for key, value, topic, partition, offset in zip(
                data["key"],
                data["value"],
                data["topic"],
                data["partition"],
                data["offset"],
                strict=True,
            )
        ]
        yield decode_messages(messages, settings).to_arrow()


def decode_files(
    paths: Iterator[pa.RecordBatch], settings: DecodeSettings
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function over file paths (a ``path`` column): every blob of each
    file, folder or archive, streamed member by member (``core.sources``)."""
    for batch in paths:
        for path in batch.column("path").to_pylist():
            yield from _file_batches(path, settings)


def _file_batches(
    path: str, settings: DecodeSettings, size: int = 256
) -> Iterator[pa.RecordBatch]:
    pending: list[Message] = []
    errors = DecodedBatch()
    for blob in iter_blobs([path]):
        if isinstance(blob, DecodeError):
            errors.rows.append(error_row(blob.reason, Message(None, source=blob.source or path)))
            continue
        pending.append(Message(blob.data, source=blob.source))
        if len(pending) >= size:
            yield decode_messages(pending, settings).to_arrow()
            pending = []
    if pending:
        yield decode_messages(pending, settings).to_arrow()
    if errors.rows:
        yield errors.to_arrow()
