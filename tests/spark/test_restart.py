"""Kill the driver of `alertview spark` mid-stream, start again from its checkpoint:
the Parquet output holds every alert exactly once."""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import time
import uuid

from alertview.core.spark.job import JobOptions, stream_query
from tests.spark.conftest import FILTER, read_topic, sent_messages
from tests.spark.test_stream import parquet_rows
from tests.stream.commands import ALERTVIEW, child_env


def _wait_for(found, process, log, timeout=180) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the job never got there"
        time.sleep(0.05)


def test_killed_driver_continues_from_its_checkpoint(spark, kafka, input_topic, tmp_path):
    parquet = tmp_path / "alerts"
    to_topic = f"spark-out-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "spark.log"  # a file, not a pipe nobody reads while it runs
    common = ["--bootstrap", kafka.bootstrap, "--topic", input_topic, "--filter", FILTER]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*ALERTVIEW, "spark", *common, "--to-topic", to_topic, "--parquet", parquet,
             "--master", "local[1]", "--from", "earliest", "--max-per-batch", "200"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(),
            start_new_session=True,  # the driver: Python, its JVM and its workers
        )  # fmt: skip
    try:
        checkpoint = parquet / "_checkpoint"
        # killed as soon as batch 2's rows are in Parquet, most often before its commit:
        # the next run does batch 2 again, over what this one wrote
        _wait_for(lambda: any(parquet.glob("night=*/survey=*/batch=2")), process, log)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    committed = sorted(int(p.name) for p in (checkpoint / "commits").iterdir() if p.name.isdigit())
    said = log.read_text()
    assert "alertview: Spark 4.2.0 started in" in said and "UI at http://" in said
    assert re.search(
        r"alertview: batch 0: 200 alerts in, \d+ matched, 0 errors, \d+ alerts/s", said
    )
    options = JobOptions(
        filter=FILTER,
        to_topic=to_topic,
        parquet=parquet,
        bootstrap=kafka.bootstrap,
        topic=input_topic,
        start="latest",  # ignored: the checkpoint says where to go on
        once=True,
        max_per_batch=1000,
    )
    query = stream_query(spark, options)
    query.awaitTermination(240)
    assert query.exception() is None

    sent_ids = sorted(s.alert_id for s in sent_messages() if s.alert_id is not None)
    rows = parquet_rows(parquet)
    counts = collections.Counter(r["alert_id"] for r in rows)
    assert [i for i, c in counts.items() if c > 1] == []  # exactly once
    assert sorted(counts) == sent_ids
    assert {r["batch"] for r in rows} >= {0, 1, 2}  # the first run's batches are kept
    assert len(parquet_rows(options.errors_dir)) == 1  # the garbage message, once

    matched = {r["alert_id"] for r in rows if r["matched"]}
    got = read_topic(kafka.bootstrap, to_topic, len(matched))
    duplicates = sum(c - 1 for c in collections.Counter(got).values())
    by_value = {s.value: s.alert_id for s in sent_messages()}
    print(
        f"\nkilled with batches {committed} committed, batch 2 in Parquet; output topic: "
        f"{len(got)} messages "
        f"for {len(matched)} matches, {duplicates} duplicates (at-least-once)"
    )
    assert {by_value[v] for _, v in got} == matched  # every match sent, at least once
