"""The live stream's first pass: the table's fields only, the history decoded later.

Every shared alert is framed as a survey sends it (ZTF: one container file per
message; Rubin: Confluent wire format; both again as Fink does: schema in the
key), decoded at ``Detail.TABLE``, stored, and completed; the rows must then
equal those of a full decode.
"""

from __future__ import annotations

import fastavro
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import HistoryCompletion, decode_bytes, read_alerts
from alertview.core.replay import MessageFramer
from alertview.core.session.store import AlertStore
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.rows import ROW_FIELDS
from tests.conftest import FINK_ZTF_MULTI, SHARED

COUNTS = ("n_detections", "n_upper_limits", "n_forced")


@pytest.fixture(scope="module")
def shared_alerts():
    return [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]


@pytest.mark.parametrize("framing", ["native", "fink"])
def test_table_fields_then_history_give_the_full_rows(framing, shared_alerts, tmp_path):
    cache = SchemaCache()
    framer = MessageFramer(framing, cache)
    messages = [framer(a) for a in shared_alerts]
    fresh = SchemaCache(fields=SURVEY_FIELDS)  # the consumer's: it learns schemas from messages
    quick = []
    for number, (key, value) in enumerate(messages):
        origin = Origin("t", 0, "t", 0, number)
        (alert,) = decode_bytes(value, fresh, origin=origin, key=key, detail=Detail.TABLE)
        quick.append(alert)
    assert all(a.detail is Detail.TABLE for a in quick)
    full = [
        next(decode_bytes(v, fresh, origin=Origin("t", 0, "t", 0, n), key=k))
        for n, (k, v) in enumerate(messages)
    ]
    for fast, slow in zip(quick, full, strict=True):
        for name in ("alert_id", "object_id", "ra", "dec", "mjd", "band", "mag", "flux"):
            assert getattr(fast, name) == getattr(slow, name), name
        assert fast.quality == slow.quality
        assert fast.cutouts == {}  # the stamps follow the history in the packet
        if fast.survey == "lsst":  # prvDiaSources counted from the array header
            assert fast.n_history_detections == slow.n_history_detections
        else:
            assert fast.n_history_detections is None

    with AlertStore(tmp_path / "quick") as store, AlertStore(tmp_path / "full") as reference:
        store.add(quick)
        reference.add(full)
        counts = [ROW_FIELDS.index(c) for c in COUNTS]
        assert all(store.rows()[i][counts[2]] is None for i in range(len(quick)))
        history = HistoryCompletion(store, SchemaCache())
        done = history.run(budget=60)
        assert len(done) == len(quick)
        assert history.run(budget=60) == []  # nothing left
        assert store.rows() == reference.rows()
        for row, *numbers, _schema in done:
            expected = reference.rows()[row - 1]
            assert numbers == [expected[i] for i in counts]


def test_history_that_cannot_be_decoded_is_reported_not_retried(shared_alerts, tmp_path):
    cache = SchemaCache()
    rubin = max((a for a in shared_alerts if a.survey == "lsst"), key=lambda a: len(a.packet.data))
    _key, value = MessageFramer("native", cache)(rubin)  # Confluent framing
    middle = len(value) // 2
    broken = value[:middle] + b"\xff" * 64 + value[middle + 64 :]  # the history garbled
    table_cache = SchemaCache(fields=SURVEY_FIELDS)
    (alert,) = decode_bytes(broken, table_cache, origin=Origin("t"), detail=Detail.TABLE)
    with AlertStore(tmp_path) as store:
        store.add([alert])
        history = HistoryCompletion(store, SchemaCache())
        assert history.run(budget=5) == []
        assert store.error_count() == 1 and "history cannot be decoded" in store.errors()[0].reason
        assert history.run(budget=5) == []
        assert store.error_count() == 1


def test_packets_the_table_has_no_projection_for_are_read_whole(tmp_path):
    """At TABLE, a schema without the table's record (a generic survey) and a file of
    many records are read whole (both failed to decode before)."""
    schema = {
        "type": "record",
        "name": "thing",
        "fields": [{"name": n, "type": "double"} for n in ("id", "ra", "dec")],
    }
    path = tmp_path / "thing.avro"
    with path.open("wb") as out:
        fastavro.writer(out, fastavro.parse_schema(schema), [{"id": 7, "ra": 1.0, "dec": 2.0}])
    for data, count in ((path.read_bytes(), 1), (FINK_ZTF_MULTI.read_bytes(), 11)):
        table_cache = SchemaCache(fields=SURVEY_FIELDS)  # with the table's projection
        quick = list(decode_bytes(data, table_cache, origin=Origin("t"), detail=Detail.TABLE))
        full = list(decode_bytes(data, SchemaCache(), origin=Origin("t")))
        assert len(quick) == count and {a.detail for a in quick} == {Detail.FULL}
        assert [a.record for a in quick] == [a.record for a in full]
