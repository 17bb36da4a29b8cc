"""One bad message (or alert) is one error record, committed past; the stream goes on.

In `consume`, in the viewer's stream process and in `replay`. The decoders
turn what they foresee into DecodeError; what nobody foresaw (a bug) must
end the same way, and say "internal error ... please report".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from alertview import cli
from alertview.core import replay as replay_module
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.replay import Cadence, MessageFramer, replay
from alertview.core.session.store import AlertStore
from alertview.core.stream import consumer as consumer_module
from alertview.core.stream.admin import list_topics
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.ingest import IngestProcess, SchemaSource
from alertview.core.stream.messages import Command, Failed, HistoryCompleted, RowsStored
from alertview.core.stream.producer import AlertProducer
from tests.conftest import ZTF_FILES
from tests.stream.conftest import consume_until

ALERTVIEW = [sys.executable, "-m", "alertview"]
GARBAGE = b"\x00\x00\x00\x00\x07 this is not an alert"


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """In this order, into one partition (one key): a run with --max N ends after the
    N-th alert, having met every bad message before it."""
    producer = AlertProducer(KafkaSettings(bootstrap))
    for value in values:
        producer.send(topic, value, b"one partition")
    assert producer.flush(20).delivered == len(values)


def _messages_behind(bootstrap: str, group: str, topic: str) -> int:
    """What ``group`` has not committed (every partition in full if it never did)."""
    (info,) = list_topics(KafkaSettings(bootstrap), group=group, topics=[topic])
    return info.available if info.lag is None else info.lag


def _good(count: int) -> list[bytes]:
    return [path.read_bytes() for path in ZTF_FILES[:count]]


def test_consume_reports_an_undecodable_message_and_commits_past_it(mock_broker, tmp_path):
    topic = f"bad-{uuid.uuid4().hex[:6]}"
    group = f"g-{topic}"
    good = _good(3)
    _produce(mock_broker.bootstrap, topic, [*good[:2], GARBAGE, good[2]])
    result = subprocess.run(
        [*ALERTVIEW, "consume", "--bootstrap", mock_broker.bootstrap, "--topic", topic,
         "--group", group, "--from", "earliest", "--max", "3"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "ALERTVIEW_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1  # some input failed
    (line,) = [x for x in result.stderr.splitlines() if "unknown schema id 7" in x]
    assert line.startswith(f"alertview: {topic}[")
    assert "received 3 alerts" in result.stderr and "1 undecodable" in result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert _messages_behind(mock_broker.bootstrap, group, topic) == 0  # a restart skips it
    store = AlertStore(tmp_path / "sessions" / f"consume-{topic}")
    assert len(store) == 3 and store.error_count() == 1
    store.close()


def _failing_once(real, marker: bytes):
    """The real decoder, except that ``marker``'s decoding raises as a bug would.

    The decoders raise nothing but DecodeError on every input the fuzz tests
    know; this is the consumer's last line of defence, for the input nobody has
    met yet.
    """

    def decode_bytes(value, *args, **kwargs):
        if value == marker:
            raise RuntimeError("a bug met a packet")
        return real(value, *args, **kwargs)

    return decode_bytes


def test_consume_survives_an_internal_error(mock_broker, tmp_path, monkeypatch, capsys):
    topic = f"bug-{uuid.uuid4().hex[:6]}"
    good = _good(3)
    _produce(mock_broker.bootstrap, topic, good)
    real = consumer_module.decode_bytes
    monkeypatch.setattr(consumer_module, "decode_bytes", _failing_once(real, good[1]))
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path))
    for debug in ([], ["--debug"]):
        group = f"g-{topic}-{len(debug)}"
        status = cli.main(
            [*debug, "consume", "--bootstrap", mock_broker.bootstrap, "--topic", topic,
             "--group", group, "--from", "earliest", "--max", "2"]
        )  # fmt: skip
        out, err = capsys.readouterr()
        assert status == 1
        (line,) = [x for x in err.splitlines() if "internal error" in x]
        assert line.startswith(f"alertview: {topic}[")
        assert line.endswith("internal error: RuntimeError: a bug met a packet — please report")
        assert ("Traceback (most recent call last)" in err) == bool(debug)
        assert len(out.splitlines()) == 2 and "received 2 alerts" in err
        assert _messages_behind(mock_broker.bootstrap, group, topic) == 0


def test_the_consumer_keeps_a_bugs_traceback_for_the_log(mock_broker, monkeypatch):
    topic = f"trace-{uuid.uuid4().hex[:6]}"
    good = _good(2)
    _produce(mock_broker.bootstrap, topic, good)
    real = consumer_module.decode_bytes
    monkeypatch.setattr(consumer_module, "decode_bytes", _failing_once(real, good[0]))
    settings = ConsumerSettings(KafkaSettings(mock_broker.bootstrap), (topic,), "g", "earliest")
    with AlertConsumer(settings) as consumer:
        batches = consume_until(consumer, lambda b: sum(x.messages for x in b) >= 2, 30)
    (error,) = [e for b in batches for e in b.errors]
    assert error.reason.startswith("internal error: RuntimeError")
    assert "Traceback" in error.detail and "a bug met a packet" in error.detail
    assert [a.packet.data for b in batches for a in b.alerts] == [good[1]]


def test_the_viewers_stream_process_stores_the_error_and_commits_past(mock_broker, tmp_path):
    topic = f"ingest-{uuid.uuid4().hex[:6]}"
    group = f"g-{topic}"
    good = _good(3)
    _produce(mock_broker.bootstrap, topic, [good[0], GARBAGE, *good[1:]])
    settings = ConsumerSettings(
        KafkaSettings(mock_broker.bootstrap), (topic,), group, "earliest", detail=Detail.TABLE
    )
    process = IngestProcess(settings, tmp_path / "session", SchemaSource())
    rows = errors = 0
    deadline = time.monotonic() + 40
    try:
        while rows < 3 or errors < 1:
            assert time.monotonic() < deadline and process.alive, (rows, errors)
            for news in process.receive(0.2):
                assert not isinstance(news, Failed), news
                if isinstance(news, RowsStored):
                    rows += len(news.rows)
                    errors += news.errors
        # the offsets are committed after each sync (every 0.5 s)
        while _messages_behind(mock_broker.bootstrap, group, topic):
            assert time.monotonic() < deadline
            list(process.receive(0.2))
    finally:
        process.command(Command.STOP)
        while process.alive and not process.finished:
            list(process.receive(0.2))
        process.join()
    assert (rows, errors) == (3, 1)
    store = AlertStore(tmp_path / "session")
    (stored,) = store.errors()
    assert stored.topic == topic and "unknown schema id 7" in stored.reason
    assert len(store) == 3
    store.close()


def test_replay_reports_an_unreadable_file_and_exits_1(mock_broker, tmp_path):
    folder = tmp_path / "alerts"
    folder.mkdir()
    for path in ZTF_FILES[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.avro").write_bytes(b"Obj\x01" + bytes(range(256)) * 4)
    topic = f"replay-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [*ALERTVIEW, "replay", folder, "--bootstrap", mock_broker.bootstrap, "--topic", topic,
         "--interval", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"alertview: {folder / 'broken.avro'}: " in result.stderr
    assert "replayed 2 alerts" in result.stderr and "2 delivered, 0 failed" in result.stderr


def test_replay_goes_on_after_a_framing_bug(monkeypatch):
    alerts = [a for a in read_alerts(ZTF_FILES[:3], SchemaCache())]
    victim = alerts[1].alert_id
    real = replay_module.as_container_file

    def as_container_file(packet, record):
        if record["candid"] == victim:
            raise KeyError("a bug met an alert")
        return real(packet, record)

    monkeypatch.setattr(replay_module, "as_container_file", as_container_file)
    sent: list[bytes] = []
    progress = replay(
        ZTF_FILES[:3],
        lambda key, value: sent.append(value),
        MessageFramer("native", SchemaCache()),
        Cadence(0),
    )
    assert progress.alerts == len(sent) == 2
    (skipped,) = progress.skipped
    assert str(skipped).startswith(str(ZTF_FILES[1]))
    assert "internal error: KeyError" in skipped.reason and skipped.cause is not None


def test_the_viewer_receives_each_row_before_its_history_counts(mock_broker, tmp_path):
    """Rows go out in batches every 100 ms while the history is completed when the stream
    is idle: a row's counts must never reach the viewer before the row itself."""
    topic = f"order-{uuid.uuid4().hex[:6]}"
    good = _good(len(ZTF_FILES))
    _produce(mock_broker.bootstrap, topic, good)
    settings = ConsumerSettings(
        KafkaSettings(mock_broker.bootstrap), (topic,), f"g-{topic}", "earliest",
        detail=Detail.TABLE,
    )  # fmt: skip
    process = IngestProcess(settings, tmp_path / "session", SchemaSource())
    shown: set[int] = set()
    completed: set[int] = set()
    deadline = time.monotonic() + 40
    try:
        while len(shown) < len(good) or completed != shown:
            assert time.monotonic() < deadline and process.alive, (len(shown), len(completed))
            for news in process.receive(0.2):
                assert not isinstance(news, Failed), news
                if isinstance(news, RowsStored):
                    shown.update(row[0] for row in news.rows)
                elif isinstance(news, HistoryCompleted):
                    counted = {row for row, *_ in news.rows}
                    assert counted <= shown, sorted(counted - shown)
                    completed |= counted
    finally:
        process.command(Command.STOP)
        while process.alive and not process.finished:
            list(process.receive(0.2))
        process.join()
    assert len(shown) == len(good) == len(completed)
