"""The streaming job on local[2] over real Kafka: --once (availableNow) end to end."""

from __future__ import annotations

import collections
import functools
import tarfile
import time
import uuid

import pyarrow.dataset as ds
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.spark.decode_batch import ALERT_COLUMNS, QUALITY_FIELDS, night_of
from alertview.core.spark.job import JobOptions, run_files, stream_query
from alertview.core.summary import alert_summary
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.filters import parse_filter
from tests.spark.conftest import FILTER, GARBAGE_AT, read_topic, sent_messages

#: Read back with the partition columns as text (Hive partitioning would guess ints).
PARTITIONING = ds.partitioning(
    __import__("pyarrow").schema([("night", "string"), ("survey", "string"), ("batch", "int64")]),
    flavor="hive",
)


def parquet_rows(folder) -> list[dict]:
    return (
        ds.dataset(str(folder), format="parquet", partitioning=PARTITIONING).to_table().to_pylist()
    )


@functools.cache
def expected_matches() -> frozenset[int]:
    """The filter applied row by row to each alert decoded whole: independent of the
    job's vectorised evaluation over table fields."""
    alert_filter, cache = parse_filter(FILTER), SchemaCache()
    ids = set()
    for sent in sent_messages():
        if sent.alert_id is None:
            continue
        origin = Origin("t", 0, "t", 0, sent.offset)
        (alert,) = decode_bytes(sent.value, cache, origin=origin, key=sent.key)
        if alert_filter(alert):
            ids.add(alert.alert_id)
    return frozenset(ids)


@pytest.fixture(scope="module")
def stream_run(spark, kafka, input_topic, tmp_path_factory):
    out = tmp_path_factory.mktemp("stream")
    options = JobOptions(
        filter=FILTER,
        to_topic=f"spark-out-{uuid.uuid4().hex[:8]}",
        parquet=out / "alerts",
        checkpoint=out / "checkpoint",
        bootstrap=kafka.bootstrap,
        topic=input_topic,
        start="earliest",
        once=True,
        max_per_batch=1000,
    )
    started = time.monotonic()
    query = stream_query(spark, options)
    query.awaitTermination(240)
    seconds = time.monotonic() - started
    assert not query.isActive and query.exception() is None
    print(
        f"\nstream job: {len(sent_messages())} messages in {seconds:.1f} s "
        f"({len(sent_messages()) / seconds:.0f} alerts/s, local[2], session warm)"
    )
    return options


def test_output_topic_holds_the_matching_packets_unchanged(stream_run, kafka):
    expected = expected_matches()
    assert 100 < len(expected) < len(sent_messages()) - 100  # the filter does choose
    by_value = {s.value: s for s in sent_messages()}
    got = read_topic(kafka.bootstrap, stream_run.to_topic, len(expected))
    counts = collections.Counter(got)
    duplicates = sum(c - 1 for c in counts.values())
    print(
        f"\noutput topic: {len(got)} messages, {len(expected)} expected, {duplicates} duplicates"
    )
    assert all((by_value[v].key, by_value[v].value) == (k, v) for k, v in counts)  # bytes same
    assert {by_value[v].alert_id for _, v in counts} == expected
    assert duplicates == 0  # one run, no restart: at-least-once sent each once


def test_parquet_rows_equal_the_table_summary_of_every_alert(stream_run, input_topic):
    rows = parquet_rows(stream_run.parquet)
    sent = [s for s in sent_messages() if s.alert_id is not None]
    assert sorted(r["alert_id"] for r in rows) == sorted(s.alert_id for s in sent)
    by_id = {r["alert_id"]: r for r in rows}
    matches = expected_matches()
    cache = SchemaCache(fields=SURVEY_FIELDS)  # the table-fields decode of consume, the viewer
    for message in sent:
        origin = Origin(input_topic, 0, input_topic, 0, message.offset)
        (alert,) = decode_bytes(
            message.value, cache, origin=origin, key=message.key, detail=Detail.TABLE
        )
        summary = alert_summary(alert)
        row = by_id[alert.alert_id]
        assert {k: row[k] for k in summary} == summary, message.offset
        assert all(row[q] is None for q in QUALITY_FIELDS if q not in summary)
        assert row["night"] == night_of(summary["mjd"])
        assert row["matched"] == (alert.alert_id in matches)
    assert set(ALERT_COLUMNS) <= set(rows[0])
    assert {r["survey"] for r in rows} == {"ztf", "lsst"}


def test_garbage_message_is_one_error_row(stream_run, input_topic):
    errors = parquet_rows(stream_run.errors_dir)
    assert len(errors) == 1
    (error,) = errors
    assert (error["topic"], error["partition"], error["offset"]) == (input_topic, 0, GARBAGE_AT)
    assert "not an Avro container" in error["reason"]


#: What differs between a Kafka message's row and the same packet's row from a file.
_WHERE = ("source", "index", "topic", "partition", "offset", "batch")


def test_batch_job_over_a_folder_and_a_tar_gz_gives_the_streams_rows(spark, stream_run, tmp_path):
    folder = tmp_path / "packets"
    folder.mkdir()
    chosen = [s for s in sent_messages() if s.framing in ("native", "confluent")][:400]
    for sent in chosen:  # a file a packet, as ZTF's archives hold them
        (folder / f"{sent.offset:05d}.avro").write_bytes(sent.value)
    (folder / "damaged.avro").write_bytes(b"\x07\xffnot an alert\x00")
    archive = tmp_path / "ztf_public_20260305.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="ztf_public_20260305")
    stream = {r["alert_id"]: r for r in parquet_rows(stream_run.parquet)}
    for name, source in (("folder", folder), ("tar.gz", archive)):
        options = JobOptions(filter=FILTER, parquet=tmp_path / name)
        started = time.monotonic()
        counts = run_files(spark, str(source), options)
        print(f"\n--files {name}: {counts.alerts} alerts in {time.monotonic() - started:.1f} s")
        rows = parquet_rows(options.parquet)
        assert (counts.alerts, counts.errors) == (len(chosen), 1)
        (error,) = parquet_rows(options.errors_dir)
        assert error["source"].endswith("damaged.avro") and error["reason"]
        assert error["topic"] is None and error["offset"] is None
        assert sorted(r["alert_id"] for r in rows) == sorted(s.alert_id for s in chosen)
        for row in rows:
            expected = stream[row["alert_id"]]
            assert {k: v for k, v in row.items() if k not in _WHERE} == {
                k: v for k, v in expected.items() if k not in _WHERE
            }
            assert row["topic"] is None and str(source) in row["source"]


def test_the_command_runs_a_files_job(spark, tmp_path, capsys):
    from alertview.cli import main

    folder = tmp_path / "packets"
    folder.mkdir()
    chosen = [s for s in sent_messages() if s.framing == "native"][:30]
    for sent in chosen:
        (folder / f"{sent.offset}.avro").write_bytes(sent.value)
    out = tmp_path / "out"
    args = ["spark", "--files", str(folder), "--parquet", str(out), "--filter", FILTER]
    assert main(args) == 0
    said = capsys.readouterr().err
    assert "UI at http://" in said
    expected = len([s for s in chosen if s.alert_id in expected_matches()])
    assert f"alertview: 30 alerts, {expected} matched, 0 errors" in said
    assert sorted(r["alert_id"] for r in parquet_rows(out)) == sorted(s.alert_id for s in chosen)
    (folder / "damaged.avro").write_bytes(b"\x07\xffnot an alert\x00")
    assert main(args) == 1  # an undecodable file: the job ends, status 1
    assert len(parquet_rows(out / "_errors")) == 1
    assert len(parquet_rows(out)) == 30  # the same rows again, replaced, not added
    assert spark.range(3).count() == 3  # the tests' session is still open
