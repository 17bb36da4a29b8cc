"""A real Kafka broker that stops mid-stream for 12 s and comes back on the same data.

``consume`` must say so once, say when it is back once, resume from the
committed offsets by itself, and end with every alert stored exactly once.
"""

from __future__ import annotations

import json
import time
import uuid

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.session.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import ensure_topic
from tests.stream.commands import Command
from tests.stream.kafka_data import produce, stored_ids, stored_offsets, ztf_messages

N = 2000
OUTAGE_S = 12


def _printed(lines: list[str]) -> set[tuple[int, int]]:
    """(partition, offset) of each alert ``consume --json`` printed."""
    return {(s["partition"], s["offset"]) for s in map(json.loads, list(lines))}


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_consume_rides_out_a_kafka_outage(tmp_path, monkeypatch):
    data = tmp_path / "kafka"
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    topic, group = f"outage-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:6]}"
    messages = ztf_messages(N)
    broker = EmbeddedBroker("kafka", data=data).start()
    try:
        port, kafka = broker.port, KafkaSettings(broker.bootstrap)
        ensure_topic(kafka, topic, 2)
        produce(kafka, topic, messages[: N // 2])
        args = ("consume", "--bootstrap", broker.bootstrap, "--topic", topic, "--group",
                group, "--from", "earliest", "--json", "--session", "outage",
                "--max", str(N))  # fmt: skip
        with Command(*args) as consume:
            consume.wait_lines(200, timeout=60)  # mid-stream: the first half is being read
            asked = time.monotonic()
            broker.stop()
            stopped = time.monotonic()
            # with librdkafka's reconnect backoff capped at 1 s (config.py): ~1 s; it took
            # 0.5-9.7 s with the default backoff
            consume.wait_for("lost contact with Kafka", timeout=15)
            noticed = time.monotonic()
            print(
                f"\noutage noticed by consume {noticed - stopped:.1f} s after the broker "
                f"ended ({noticed - asked:.1f} s after it was asked to stop)"
            )
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
            broker = EmbeddedBroker("kafka", port=port, data=data).start()
            consume.wait_for("reachable again", timeout=60)
            produce(kafka, topic, messages[N // 2 :])
            # --max counts distinct messages: the ones read again after the restart do not
            # end the run early (they once did: 2,000 lines printed, 1,520 alerts stored)
            status = consume.finish(120)
        assert status == 0, consume.stderr
        said = consume.err
        assert sum("lost contact with Kafka" in line for line in said) == 1, said
        assert sum("reachable again" in line for line in said) == 1, said
        printed = len(consume.out)
        print(f"consume printed {printed} lines for {N} alerts ({printed - N} read twice)")
        assert len(_printed(consume.out)) == N
        with AlertStore.session("outage") as store:
            ids, offsets = stored_ids(store), stored_offsets(store)
        # every message of both partitions once: nothing lost, nothing stored twice
        assert len(ids) == N and len(set(ids)) == N, (printed, len(ids))
        assert sorted(offsets) == sorted(_printed(consume.out))
        for partition in (0, 1):
            mine = sorted(o for p, o in offsets if p == partition)
            assert mine == list(range(len(mine)))
    finally:
        broker.stop()
