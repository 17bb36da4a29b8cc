"""The durable store: packets on disk, fields in SQLite, duplicates kept once."""

from __future__ import annotations

from alertview.core.alert import Origin
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes, decode_stored, read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.session.store_tables import ALERTS_TABLE
from alertview.core.stream.consumer import ErrorRecord
from alertview.core.table.rows import ROW_FIELDS
from alertview.core.urls import redact_url
from tests.conftest import FINK_LSST_TRANSFER, SHARED, raw_records
from tests.core.helpers import assert_same_alert


def test_store_reopen_and_read_back_every_framing(tmp_path):
    cache = SchemaCache()
    alerts = list(read_alerts([SHARED], cache))  # containers and multi-record bodies
    schema = cache.by_id(1000)
    raw = raw_records(FINK_LSST_TRANSFER)[2]
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), 1000)
    (confluent,) = decode_bytes(message, cache, origin=Origin("t", 0, "rubin", 1, 99))
    with AlertStore(tmp_path / "s") as store:
        assert store.add(alerts) == 57
        assert store.add([confluent]) == 0  # same (survey, alert id) as the file's record
    with AlertStore(tmp_path / "s") as store:  # reopening restores the session
        assert len(store) == 57
        rows = store.rows()
        assert [r[ROW_FIELDS.index("alert_id")] for r in rows] == [a.alert_id for a in alerts]
        fresh = SchemaCache()
        for row, alert in zip(rows, alerts, strict=True):
            again = decode_stored(store, row[0], fresh)
            assert again.packet.data == alert.packet.data
            assert_same_alert(again, alert)
            assert again.origin.source == alert.origin.source


def test_confluent_packets_read_back_offline(tmp_path):
    cache = SchemaCache()
    schema = cache.by_id(1000)
    raw = raw_records(FINK_LSST_TRANSFER)[0]
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), 1000)
    (alert,) = decode_bytes(message, cache, origin=Origin("rubin", 0, "rubin", 0, 5))
    with AlertStore(tmp_path / "s") as store:
        store.add([alert])
        (row,) = store.rows()
        # a reader with no registry and no lsst-alert-packet still decodes it
        again = decode_stored(store, row[0], SchemaCache(use_lsst_package=False))
        assert_same_alert(again, alert)
        assert (again.origin.topic, again.origin.partition, again.origin.offset) == (
            "rubin",
            0,
            5,
        )


def test_duplicates_within_and_across_batches(tmp_path):
    alerts = list(read_alerts([SHARED / "ztf"], SchemaCache()))
    with AlertStore(tmp_path / "s") as store:
        assert store.add(alerts + alerts[:3]) == len(alerts)
        assert store.add(alerts[2:5]) == 0
        assert len(store) == len(alerts)
        size = sum(p.stat().st_size for p in (tmp_path / "s").glob("*.seg"))
        assert size == sum(len(a.packet.data) for a in alerts)  # no duplicate bytes written


def test_errors_are_kept(tmp_path):
    with AlertStore(tmp_path / "s") as store:
        store.add_errors([ErrorRecord("ztf", 2, 17, "truncated")])
        (error,) = store.errors()
        assert (error.topic, error.partition, error.offset, error.reason) == (
            "ztf",
            2,
            17,
            "truncated",
        )


def test_sessions_live_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path))
    with AlertStore.session("night of/2026") as store:
        assert store.folder == tmp_path / "sessions" / "night_of_2026"


def test_add_rows_returns_the_rows_as_read_back(tmp_path):
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(tmp_path / "s") as store:
        first = store.add_rows(alerts[:20], sync=False)
        store.sync()
        again = store.add_rows(alerts[10:])  # 10 already held: only the new ones come back
        assert len(first) == 20 and len(again) == len(alerts) - 20
        assert first + again == store.rows()


def _add_in_another_process(folder: str, start: int, stop: int) -> None:
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(folder) as store:
        for alert in alerts[start:stop]:  # one at a time, interleaving with the parent
            store.add([alert], sync=False)
        store.sync()


def test_two_processes_add_to_one_session(tmp_path):
    """The viewer opens files while its stream process stores alerts: both land."""
    import multiprocessing

    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_add_in_another_process, args=(str(tmp_path), 0, 30))
    with AlertStore(tmp_path) as store:
        child.start()
        for alert in alerts[25:]:  # 25..29 overlap: each kept once
            store.add([alert])
        child.join(60)
        assert child.exitcode == 0
        assert len(store) == len(alerts) == 57
        rows = store.rows()
        assert sorted(r[0] for r in rows) == list(range(1, 58))
        by_id = {a.alert_id: a for a in alerts}
        fresh = SchemaCache()
        for row in rows:
            again = decode_stored(store, row[0], fresh)
            assert again.packet.data == by_id[again.alert_id].packet.data
        assert len(list(tmp_path.glob("packets-*.seg"))) == 2  # one segment per writer


def test_sync_makes_the_index_durable_with_one_full_commit(tmp_path):
    """Rows commit with synchronous=NORMAL (the WAL is not synced); the commit made by
    ``sync``, which precedes every offset commit, runs with synchronous=FULL."""
    alerts = list(read_alerts([SHARED / "ztf"], SchemaCache()))
    with AlertStore(tmp_path / "s") as store:
        db = store._db
        said: list[str] = []
        db.set_trace_callback(said.append)
        store.add(alerts[:2], sync=False)
        assert not [s for s in said if "synchronous" in s]  # no fsync per batch
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        said.clear()
        store.sync()
        full = said.index("PRAGMA synchronous=FULL")
        marker = next(i for i, s in enumerate(said) if s.startswith("INSERT OR REPLACE INTO"))
        commit = next(i for i, s in enumerate(said) if s == "COMMIT" and i > marker)
        assert full < marker < commit < said.index("PRAGMA synchronous=NORMAL")
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1
        said.clear()
        store.add(alerts[2:4])  # sync=True: the same durable commit after the rows
        assert "PRAGMA synchronous=FULL" in said
        db.set_trace_callback(None)


def test_rows_whose_packets_a_crash_lost_are_stored_again(tmp_path):
    """A power cut can keep an index commit and lose the packet bytes written before
    it; the alert is then delivered again (its offset was not committed) and must not
    be taken for a duplicate of a row whose packet is gone."""
    alerts = list(read_alerts([SHARED / "ztf"], SchemaCache()))[:4]
    with AlertStore(tmp_path / "s") as store:
        store.add(alerts)
    (segment,) = (tmp_path / "s").glob("packets-*.seg")
    with segment.open("r+b") as stream:  # the page cache never reached the disk
        stream.truncate(sum(len(a.packet.data) for a in alerts[:2]) + 10)
    with AlertStore(tmp_path / "s") as store:
        assert len(store) == 2
        assert store.add(alerts) == 2  # re-delivered: stored again, not "already stored"
        cache = SchemaCache()
        again = [decode_stored(store, row[0], cache) for row in store.rows()]
        assert sorted(a.alert_id for a in again) == sorted(a.alert_id for a in alerts)
        assert {a.packet.data for a in again} == {a.packet.data for a in alerts}


def _rubin(cache: SchemaCache, index: int, schema_id: int) -> bytes:
    raw = raw_records(FINK_LSST_TRANSFER)[index]
    return confluent_frame(schemaless_body(rubin_native_record(raw), cache.by_id(1000)), schema_id)


def test_schema_summary_says_each_topics_schemas_and_where_they_were_found(tmp_path):
    from tests.registry_server import UNKNOWN_TO_PACKAGE, TestRegistry

    with TestRegistry(credentials="bob:s3cret") as registry:
        secret_url = f"http://bob:s3cret@{registry.url.removeprefix('http://')}"
        cache = SchemaCache(registry_url=secret_url)
        alerts = [
            *decode_bytes(_rubin(cache, 0, 1000), cache, origin=Origin("t", 0, "rubin", 0, 1)),
            *decode_bytes(_rubin(cache, 1, 1000), cache, origin=Origin("t", 0, "rubin", 0, 2)),
            *decode_bytes(
                _rubin(cache, 2, UNKNOWN_TO_PACKAGE), cache, origin=Origin("t", 0, "rubin", 0, 3)
            ),
        ]
        assert UNKNOWN_TO_PACKAGE in registry.asked and registry.refused == 0
    ztf = list(read_alerts([SHARED / "ztf"], SchemaCache()))
    with AlertStore(tmp_path / "s") as store:
        assert store.add(alerts + ztf) == 3 + len(ztf)
    with AlertStore(tmp_path / "s") as store:  # the origins are kept, not just remembered
        summary = store.schema_summary()
        rubin = [(u.schema_id, u.label, u.origin, u.alerts) for u in summary if u.topic == "rubin"]
        shown = redact_url(secret_url)
        assert "s3cret" not in shown and "127.0.0.1" in shown
        assert rubin == [
            (1000, alerts[0].schema_label, shown, 2),
            (UNKNOWN_TO_PACKAGE, alerts[2].schema_label, shown, 1),
        ]
        assert "s3cret" not in repr(summary)
        files = [u for u in summary if u.topic != "rubin"]
        assert {u.origin for u in files} == {"container header"}
        assert {u.schema_id for u in files} == {None}
        assert sum(u.alerts for u in files) == len(ztf)
        # the copy of v10 under its own id is read back offline under that id
        (row,) = [r for r in store.rows() if r[ROW_FIELDS.index("kafka_offset")] == 3]
        again = decode_stored(store, row[0], SchemaCache(use_lsst_package=False))
        assert_same_alert(again, alerts[2])


def test_lsst_package_origin_is_kept(tmp_path):
    cache = SchemaCache()
    (alert,) = decode_bytes(_rubin(cache, 0, 1000), cache, origin=Origin("t", 0, "rubin", 0, 1))
    with AlertStore(tmp_path / "s") as store:
        store.add([alert])
        (use,) = store.schema_summary()
        assert (use.topic, use.schema_id, use.origin, use.alerts) == (
            "rubin",
            1000,
            "lsst-alert-packet",
            1,
        )
        assert use.label == alert.schema_label and "10" in use.label


def test_error_records_keep_their_bytes_and_unknown_ids(tmp_path):
    cache = SchemaCache()
    message = _rubin(cache, 0, 4321)
    records = [
        ErrorRecord("rubin", 0, 7, "unknown schema id 4321", schema_id=4321, packet=message),
        ErrorRecord(
            "rubin", 0, 8, "unknown schema id 4321", schema_id=4321, repeat=True, packet=message
        ),
        ErrorRecord("ztf", 1, 9, "truncated"),
    ]
    with AlertStore(tmp_path / "s") as store:
        store.add_errors(records)
    with AlertStore(tmp_path / "s") as store:
        first, repeat, other = store.errors()
        assert (first.schema_id, first.repeat, repeat.repeat, other.schema_id) == (
            4321, False, True, None
        )  # fmt: skip
        assert other.row is None
        assert store.error_packet(first.row) == store.error_packet(repeat.row) == message
        assert store.unknown_schema_counts() == {4321: 2}
        # once the schema is known, the kept bytes decode
        known = SchemaCache()
        known.remember_id(4321, known.by_id(1000))
        (alert,) = decode_bytes(store.error_packet(repeat.row), known, origin=Origin("x"))
        assert alert.survey == "lsst"


# a session from before origins: today's alerts table, older schemas and errors tables
_OLD_SCHEMA = (
    ALERTS_TABLE
    + """
CREATE TABLE schemas (ref INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE, schema_id INTEGER);
CREATE TABLE errors (
    topic TEXT, partition INTEGER, kafka_offset INTEGER, source TEXT,
    reason TEXT NOT NULL, received REAL NOT NULL
);
"""
)


def test_a_session_from_before_origins_is_migrated(tmp_path):
    import sqlite3

    cache = SchemaCache()
    (alert,) = decode_bytes(_rubin(cache, 0, 1000), cache, origin=Origin("t", 0, "rubin", 0, 1))
    folder = tmp_path / "old"
    folder.mkdir()
    db = sqlite3.connect(folder / "index.sqlite")
    db.executescript(_OLD_SCHEMA)
    db.execute("INSERT INTO schemas VALUES (5, ?, 1000)", (alert.packet.schema.json,))
    db.execute("INSERT INTO errors VALUES ('rubin', 0, 3, NULL, 'truncated', 1.0)")
    db.commit()
    db.close()
    with AlertStore(folder) as store:
        (old_error,) = store.errors()
        assert (old_error.reason, old_error.schema_id, old_error.repeat) == (
            "truncated", None, False
        )  # fmt: skip
        assert store.add([alert]) == 1
        (use,) = store.schema_summary()
        assert (use.schema_id, use.origin) == (1000, "lsst-alert-packet")
        store.add_errors([ErrorRecord("rubin", 0, 4, "x", schema_id=7, packet=b"\0abc")])
        assert store.unknown_schema_counts() == {7: 1}
    db = sqlite3.connect(folder / "index.sqlite")
    refs = db.execute("SELECT ref, schema_id, origin FROM schemas ORDER BY ref").fetchall()
    db.close()
    assert refs[0] == (5, 1000, None)  # the old row and its ref are kept
    assert refs[1][1:] == (1000, "lsst-alert-packet")
