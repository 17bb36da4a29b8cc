"""The stream commands as a user runs them, against real brokers, plus kcat."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest

from alertview.core.errors import AlertViewError
from alertview.core.stream.config import KafkaSettings, StreamError
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic
from tests.conftest import SHARED, ZTF_FILES
from tests.stream.commands import ALERTVIEW, run_alertview
from tests.stream.conftest import consume_until, n_alerts


@pytest.mark.parametrize(
    ("engine", "stop"), [("mock", signal.SIGTERM), ("tansu", signal.SIGHUP)]
)  # SIGHUP: its terminal closed (the engine, in a process group of its own, must stop too)
def test_broker_command_prints_bootstrap_and_stops_cleanly(engine, stop, tmp_path):
    port_file = tmp_path / "port"
    with subprocess.Popen(
        [*ALERTVIEW, "broker", "--engine", engine, "--port-file", str(port_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        _check_broker_process(process, engine, port_file, stop)


def _check_broker_process(process, engine, port_file, stop=signal.SIGTERM):
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("bootstrap=127.0.0.1:")
        assert port_file.read_text().strip() == first.removeprefix("bootstrap=")
        assert f"engine={engine}" in process.stdout.readline()
        # it is a real broker: a client can produce to it
        producer = AlertProducer(KafkaSettings(first.removeprefix("bootstrap=")))
        producer.send("ping", b"x")
        assert producer.flush(20).delivered == 1
    finally:
        process.send_signal(stop)
        assert process.wait(20) == 0


def test_replay_and_consume_commands(broker, tmp_path):
    topic = f"cli-{uuid.uuid4().hex[:8]}"
    replayed = run_alertview(
        "replay", SHARED, "--bootstrap", broker.bootstrap, "--topic", topic, "--interval", "0"
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 57 alerts" in replayed.stderr and "57 delivered, 0 failed" in replayed.stderr
    out = tmp_path / "out"
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path / "data")}
    consumed = run_alertview(
        "consume", "--bootstrap", broker.bootstrap, "--topic", topic, "--from", "earliest",
        "--max", "57", "--json", "--filter", 'band == "r" and mag < 19', "--out", out,
        "--group", f"g-{topic}", env=env,
    )  # fmt: skip
    assert consumed.returncode == 0, consumed.stderr
    lines = [json.loads(line) for line in consumed.stdout.splitlines()]
    assert lines and all(line["band"] == "r" and line["mag"] < 19 for line in lines)
    assert all(line["topic"] == topic and line["offset"] >= 0 for line in lines)
    assert "received 57 alerts" in consumed.stderr
    assert len(list(out.glob("*.avro"))) == len(lines)
    # the saved packets are container files that inspect reads back
    inspected = run_alertview("inspect", "--json", out)
    assert inspected.returncode == 0
    assert sorted(json.loads(x)["alert_id"] for x in inspected.stdout.splitlines()) == sorted(
        line["alert_id"] for line in lines
    )
    # every received alert was stored, so a second run stores nothing new
    again = run_alertview(
        "consume", "--bootstrap", broker.bootstrap, "--topic", topic, "--from", "earliest",
        "--max", "57", "--group", f"g2-{topic}", "--session", f"consume-{topic}", env=env,
    )  # fmt: skip
    assert "received 57 alerts (57 already stored)" in again.stderr


def test_bad_filter_is_one_clear_line():
    result = run_alertview(
        "consume", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--filter", "rb >== 1"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("alertview: bad filter: invalid syntax at column")
    assert "Traceback" not in result.stderr


def test_unreachable_broker_is_one_clear_line():
    result = run_alertview("consume", "--bootstrap", "127.0.0.1:1", "--topic", "t", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("alertview: cannot reach Kafka at 127.0.0.1:1")
    assert "Traceback" not in result.stderr


def test_start_from_a_time(broker, topic, kafka):
    ensure_topic(kafka, topic, 1)
    producer = AlertProducer(kafka)
    for path in ZTF_FILES[:3]:
        producer.send(topic, path.read_bytes())
    producer.flush(20)
    time.sleep(1.5)
    cut = datetime.now(UTC)
    time.sleep(1.5)
    for path in ZTF_FILES[3:]:
        producer.send(topic, path.read_bytes())
    producer.flush(20)
    settings = ConsumerSettings(kafka, (topic,), f"time-{topic}", start=cut)
    with AlertConsumer(settings) as consumer:
        if broker.engine == "mock":  # librdkafka's mock does not serve offsets-for-times
            with pytest.raises(AlertViewError, match="cannot find offsets by time"):
                consume_until(consumer, lambda b: False, timeout=15)
            return
        batches = consume_until(consumer, lambda b: n_alerts(b) >= len(ZTF_FILES) - 3, 30)
    assert sorted(a.packet.data for b in batches for a in b.alerts) == sorted(
        p.read_bytes() for p in ZTF_FILES[3:]
    )


def test_open_fails_fast_on_a_wrong_host():
    settings = ConsumerSettings(KafkaSettings("127.0.0.1:1"), ("t",), "g")
    start = time.monotonic()
    with pytest.raises(StreamError, match=r"cannot reach Kafka at 127\.0\.0\.1:1"):
        AlertConsumer(settings).open(timeout=3)
    assert time.monotonic() - start < 10


KCAT = shutil.which("kcat")


@pytest.fixture
def mock_broker():
    from alertview.core.broker.engines import EmbeddedBroker

    with EmbeddedBroker("mock") as running:
        yield running


def test_kcat_reads_lists_and_produces(mock_broker, tmp_path):
    assert KCAT, "kcat is installed by .ci/run (Debian package kcat)"
    topic = f"kcat-{uuid.uuid4().hex[:6]}"
    bootstrap = mock_broker.bootstrap
    replayed = run_alertview(
        "replay", *ZTF_FILES, "--bootstrap", bootstrap, "--topic", topic, "--interval", "0"
    )
    assert replayed.returncode == 0, replayed.stderr
    listing = subprocess.run(
        [KCAT, "-b", bootstrap, "-L", "-t", topic], capture_output=True, text=True, timeout=30
    )
    assert f'topic "{topic}" with 4 partitions' in listing.stdout
    counted = subprocess.run(
        [KCAT, "-b", bootstrap, "-C", "-t", topic, "-e", "-o", "beginning", "-f", "%p %o %S\n"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    rows = [line.split() for line in counted.stdout.splitlines() if line.strip()]
    assert len(rows) == len(ZTF_FILES)
    assert sorted(int(r[2]) for r in rows) == sorted(p.stat().st_size for p in ZTF_FILES)
    # each message's bytes, read by kcat, are the source file's bytes
    sources = {p.read_bytes() for p in ZTF_FILES}
    for partition, offset, _size in rows:
        raw = subprocess.run(
            [KCAT, "-b", bootstrap, "-C", "-t", topic, "-p", partition, "-o", offset,
             "-c", "1", "-e", "-f", "%s"],
            capture_output=True, timeout=30,
        )  # fmt: skip
        assert raw.stdout in sources
    # a ZTF file produced by kcat is consumed and decoded by AlertView
    produced_topic = f"{topic}-from-kcat"
    subprocess.run(
        [KCAT, "-b", bootstrap, "-P", "-t", produced_topic, str(ZTF_FILES[4])],
        check=True, timeout=30,
    )  # fmt: skip
    settings = ConsumerSettings(KafkaSettings(bootstrap), (produced_topic,), "kcat-g", "earliest")
    with AlertConsumer(settings) as consumer:
        batches = consume_until(consumer, lambda b: n_alerts(b) >= 1, 30)
    (alert,) = [a for b in batches for a in b.alerts]
    assert alert.packet.data == ZTF_FILES[4].read_bytes() and alert.survey == "ztf"


def test_ctrl_c_commits_what_was_stored_and_exits_0(mock_broker, tmp_path):
    bootstrap = mock_broker.bootstrap
    topic = f"sigint-{uuid.uuid4().hex[:6]}"
    replayed = run_alertview(
        "replay", SHARED, "--bootstrap", bootstrap, "--topic", topic, "--interval", "0"
    )
    assert replayed.returncode == 0, replayed.stderr
    group = f"g-{topic}"
    env = {**os.environ, "ALERTVIEW_DATA_DIR": str(tmp_path)}
    with subprocess.Popen(
        [*ALERTVIEW, "consume", "--bootstrap", bootstrap, "--topic", topic, "--group", group,
         "--from", "committed", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as process:  # fmt: skip
        first = json.loads(process.stdout.readline())
        process.send_signal(signal.SIGINT)
        # read on through the same buffered file: communicate() reads the pipe itself and
        # would drop the lines readline() had already buffered past the first
        rest, errors = process.stdout.read(), process.stderr.read()
        assert process.wait(timeout=30) == 0, errors
    seen = [first["alert_id"], *(json.loads(x)["alert_id"] for x in rest.splitlines())]
    assert "received" in errors and "Traceback" not in errors
    # the same group goes on where the interrupted one stopped: nothing lost, nothing twice
    again = run_alertview(
        "consume", "--bootstrap", bootstrap, "--topic", topic, "--group", group, "--json",
        "--max", 57 - len(seen), "--timeout", "20", "--no-store",
        env={"ALERTVIEW_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    later = [json.loads(x)["alert_id"] for x in again.stdout.splitlines()]
    assert not set(seen) & set(later)
    assert len(set(seen) | set(later)) == 57


def test_topics_command_lists_watermarks_and_lag(mock_broker):
    bootstrap = mock_broker.bootstrap
    topic = f"topics-{uuid.uuid4().hex[:6]}"
    replayed = run_alertview(
        "replay", *ZTF_FILES, "--bootstrap", bootstrap, "--topic", topic, "--interval", "0"
    )
    assert replayed.returncode == 0, replayed.stderr
    listed = run_alertview("topics", "--bootstrap", bootstrap, "--json")
    (info,) = [json.loads(x) for x in listed.stdout.splitlines() if topic in x]
    assert info["available"] == len(ZTF_FILES) and len(info["partitions"]) == 4
    assert info["lag"] is None  # no group asked


def test_refused_group_names_rubins_rule():
    from confluent_kafka import KafkaError

    settings = ConsumerSettings(KafkaSettings("127.0.0.1:1"), ("t",), "alerts-reader")
    consumer = AlertConsumer(settings)
    with pytest.raises(StreamError, match="group id to start with your user name"):
        consumer._raise_if_fatal(KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED))
