"""decode_batch without Spark: real packets -> rows, verdicts, errors, Arrow."""

from __future__ import annotations

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.spark.decode_batch import (
    OUTPUT_SCHEMA,
    DecodeSettings,
    Message,
    decode_messages,
    night_of,
    table_row,
)
from alertview.core.summary import alert_summary
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import filter_mask
from alertview.core.table.filters import parse_filter
from tests.spark.conftest import sent_messages


def _messages(count: int = 120) -> list[Message]:
    sent = sent_messages()
    picked = [s for s in sent if s.alert_id is not None][:count]
    return [Message(s.value, s.key, "alerts", 0, s.offset) for s in picked]


def test_rows_are_the_table_summaries_and_the_verdicts_the_row_filter():
    messages = _messages()
    batch = decode_messages(messages, DecodeSettings(filter="mag < 18.5 or snr > 40"))
    assert len(batch.alerts) == len(messages) and not batch.errors
    cache, whole = SchemaCache(fields=SURVEY_FIELDS), SchemaCache()
    row_filter = parse_filter("mag < 18.5 or snr > 40")
    matched = 0
    for message, row in zip(messages, batch.alerts, strict=True):
        origin = Origin("alerts", 0, "alerts", 0, message.offset)
        (alert,) = decode_bytes(
            message.value, cache, origin=origin, key=message.key, detail=Detail.TABLE
        )
        summary = alert_summary(alert)
        assert {k: row[k] for k in summary} == summary
        (full,) = decode_bytes(message.value, whole, origin=origin, key=message.key)
        assert row["matched"] is row_filter(full)
        forwarded = (row.get("forward_key"), row.get("forward_value"))
        assert forwarded == ((message.key, message.value) if row["matched"] else (None, None))
        matched += row["matched"]
    assert 0 < matched < len(messages)
    table = batch.to_arrow()
    assert table.schema == OUTPUT_SCHEMA and table.num_rows == len(messages)


def test_a_field_the_table_lacks_decodes_the_alert_whole():
    messages = _messages(40)
    # nbad is a ZTF candidate field outside the table: row by row, on whole alerts
    batch = decode_messages(messages, DecodeSettings(filter="nbad == 0 and survey == 'ztf'"))
    whole, alert_filter = SchemaCache(), parse_filter("nbad == 0 and survey == 'ztf'")
    expected = [
        alert_filter(next(decode_bytes(m.value, whole, origin=Origin("x"), key=m.key)))
        for m in messages
    ]
    assert [r["matched"] for r in batch.alerts] == expected
    assert any(expected)


def test_garbage_and_empty_messages_are_error_rows_and_the_batch_goes_on():
    good = _messages(3)
    messages = [good[0], Message(b"garbage", None, "alerts", 3, 77), good[1], Message(None)]
    batch = decode_messages(messages, DecodeSettings(filter="mag < 30"))
    assert len(batch.alerts) == 2
    errors = batch.errors
    assert [(e["topic"], e["partition"], e["offset"]) for e in errors] == [
        ("alerts", 3, 77),
        (None, None, None),
    ]
    assert "not an Avro container" in errors[0]["reason"]
    assert errors[1]["reason"] == "empty message"


def test_no_filter_forwards_nothing():
    batch = decode_messages(_messages(5), DecodeSettings())
    assert [r["matched"] for r in batch.alerts] == [False] * 5
    assert all(r.get("forward_value") is None for r in batch.rows)


def test_night_is_rubins_day_obs():
    assert night_of(61105.093643) == "20260305"  # 02:14 UTC on 6 March: the night of the 5th
    assert night_of(61105.6) == "20260306"  # 14:24 UTC: the next night
    assert night_of(None) == night_of(float("nan")) == "unknown"


def test_the_filter_on_table_fields_runs_vectorised_over_the_batch():
    cache = SchemaCache(fields=SURVEY_FIELDS)
    alerts = [
        next(decode_bytes(m.value, cache, origin=Origin("x"), key=m.key, detail=Detail.TABLE))
        for m in _messages(200)
    ]
    columns = AlertColumns()
    columns.append_rows([table_row(n, a) for n, a in enumerate(alerts, 1)])
    for expression in ("mag < 18.5 or snr > 40", "survey == 'lsst' and band in ('g', 'r')"):
        mask = filter_mask(parse_filter(expression), columns)  # NotVectorised would raise
        assert list(mask) == [parse_filter(expression)(a) for a in alerts]
