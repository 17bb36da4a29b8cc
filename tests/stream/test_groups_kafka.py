"""Consumer groups and offsets for times on real Apache Kafka (KRaft, data on disk).

Two ``consume`` processes in one group split a 4-partition topic; one is
killed with SIGKILL mid-stream and the other takes its partitions over after
the rebalance: together their sessions hold every alert (at-least-once: the
alerts the dead one had not committed are read again, and counted).
``--from ISO-TIME`` starts each partition at the first message of that time.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from datetime import UTC, datetime

from alertview.core.alert import Origin
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.session.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import ensure_topic
from tests.stream.commands import Command
from tests.stream.kafka_data import produce, stored_offsets, ztf_messages

N = 1200


def _printed(command: Command) -> list[dict]:
    return [json.loads(line) for line in list(command.out)]


def _where(lines: list[dict]) -> set[tuple[int, int]]:
    return {(s["partition"], s["offset"]) for s in lines}


def _wait_until(condition, timeout: float, what) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def test_a_group_splits_partitions_and_survives_a_killed_member(real_kafka, tmp_path):
    kafka = KafkaSettings(real_kafka.bootstrap)
    topic, group = f"groups-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:6]}"
    ensure_topic(kafka, topic, 4)
    messages = ztf_messages(N)
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path / "data")}

    def consume(session: str) -> Command:
        return Command("consume", "--bootstrap", real_kafka.bootstrap, "--topic", topic,
                       "--group", group, "--json", "--session", session, env=env)  # fmt: skip

    def trickle() -> None:  # a live stream: 40 alerts every 0.25 s, ~8 s in all
        for start in range(0, N, 40):
            produce(kafka, topic, messages[start : start + 40])
            time.sleep(0.25)

    producer = threading.Thread(target=trickle, daemon=True)
    with consume("a") as first, consume("b") as second:
        producer.start()
        # both are members: each prints alerts of partitions of its own
        _wait_until(
            lambda: _printed(first) and _printed(second), 40, lambda: first.stderr + second.stderr
        )
        before_a = {s["partition"] for s in _printed(first)}
        before_b = {s["partition"] for s in _printed(second)}
        print(f"\npartitions read before the kill: a {sorted(before_a)}, b {sorted(before_b)}")
        assert before_a and before_b
        assert len(before_a | before_b) >= 2
        first.process.send_signal(signal.SIGKILL)
        first.finish(10)
        killed_at = len(_printed(second))
        producer.join(60)
        # after the rebalance the survivor reads every partition, up to the end
        _wait_until(
            lambda: len(_where(_printed(first)) | _where(_printed(second))) >= N,
            60,
            lambda: second.stderr,
        )
        later = {s["partition"] for s in _printed(second)[killed_at:]}
        assert later == {0, 1, 2, 3}, later
        second.process.send_signal(signal.SIGTERM)
        assert second.finish(30) == 0, second.stderr
    sessions = tmp_path / "data" / "sessions"
    with AlertStore(sessions / "a") as a, AlertStore(sessions / "b") as b:
        held_a, held_b = stored_offsets(a), stored_offsets(b)
    everything = {(p, o) for p in range(4) for o in range(N)} & set(held_a + held_b)
    assert len(everything) == N, "an alert is in neither session"
    assert len(set(held_a)) == len(held_a) and len(set(held_b)) == len(held_b)
    twice = len(held_a) + len(held_b) - N
    printed = len(first.out) + len(second.out)
    print(f"alerts in both sessions (read again after the kill): {twice}; printed {printed}")
    assert twice >= 0


def test_from_a_time_reads_exactly_what_came_after(real_kafka, tmp_path):
    kafka = KafkaSettings(real_kafka.bootstrap)
    topic = f"times-{uuid.uuid4().hex[:8]}"
    ensure_topic(kafka, topic, 2)
    messages = ztf_messages(300)
    early, late = messages[:120], messages[120:]
    produce(kafka, topic, early)
    time.sleep(1.5)
    between = datetime.now(UTC)
    time.sleep(1.5)
    produce(kafka, topic, late)
    cache = SchemaCache()
    expected = {
        alert.alert_id
        for number, (_, value) in enumerate(late)
        for alert in decode_bytes(value, cache, origin=Origin("late", number))
    }
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path / "data")}
    args = ("consume", "--bootstrap", real_kafka.bootstrap, "--topic", topic,
            "--from", between.isoformat(), "--json", "--timeout", 6)  # fmt: skip
    with Command(*args, env=env) as command:
        status = command.finish(60)
    assert status == 0, command.stderr
    lines = _printed(command)
    assert len(lines) == len(late), command.stderr
    assert {s["alert_id"] for s in lines} == expected
    assert {s["partition"] for s in lines} == {0, 1}  # each partition sought on its own
