"""The one ingest path (``core.stream.pipeline``) on a real broker: a full disk holds
the offsets and loses nothing; a temporary session commits nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.renumber import renumbered
from alertview.core.replay import MessageFramer
from alertview.core.session.retention import MIN_FREE_ENV
from alertview.core.session.store import AlertStore
from alertview.core.stream.admin import list_topics
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.messages import StorageResumed, StorageStopped, StreamNews
from alertview.core.stream.pipeline import Pipeline
from alertview.core.stream.producer import AlertProducer, ensure_topic
from tests.conftest import ZTF_FILES


@pytest.fixture(scope="module")
def mock_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("mock") as running:
        yield running


def publish(kafka: KafkaSettings, topic: str, count: int) -> list[int]:
    """``count`` real ZTF packets, each with an alert id of its own, in 2 partitions."""
    ensure_topic(kafka, topic, 2)
    alerts = [a for a in read_alerts(ZTF_FILES, SchemaCache()) if not isinstance(a, DecodeError)]
    framer = MessageFramer("native", SchemaCache())
    producer = AlertProducer(kafka)
    ids = []
    for n in range(count):
        alert = renumbered(alerts[n % len(alerts)], n // len(alerts))
        key, value = framer(alert)
        producer.send(topic, value, key)
        ids.append(alert.alert_id)
    assert producer.flush(30).delivered == count
    return ids


def committed(kafka: KafkaSettings, group: str, topic: str) -> int:
    """Messages ``group`` has committed past, over all partitions."""
    (info,) = list_topics(kafka, group=group, topics=[topic])
    return sum(p.committed or 0 for p in info.partitions)


def run_until(pipeline: Pipeline, done, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline
        pipeline.put(pipeline.poll())


def test_a_full_disk_holds_the_offsets_and_loses_nothing(mock_broker, tmp_path, monkeypatch):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic, group = f"full-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 21)
    monkeypatch.setenv(MIN_FREE_ENV, str(2**62))  # no disk has that much free
    settings = ConsumerSettings(
        kafka, (topic,), group, "earliest", batch_size=4, detail=Detail.TABLE
    )
    news: list[StreamNews] = []
    store = AlertStore(tmp_path / "session")
    try:
        with AlertConsumer(settings) as consumer:
            pipeline = Pipeline(consumer, store, notify=news.append, retry_every=0.3).start()
            run_until(pipeline, lambda: pipeline.storage_stopped is not None)
            held_since = time.monotonic()
            run_until(pipeline, lambda: time.monotonic() - held_since > 1.5)  # a few retries
            assert len(store) == 0
            assert committed(kafka, group, topic) == 0  # nothing stored: nothing committed
            assert [type(n) for n in news] == [StorageStopped]  # said once, not per retry
            assert "disk nearly full" in news[0].reason  # type: ignore[union-attr]
            monkeypatch.setenv(MIN_FREE_ENV, "0")  # space is back
            run_until(pipeline, lambda: len(store) >= len(ids))
            assert pipeline.finish() is None
        assert sorted(row[2] for row in store.rows()) == sorted(ids)  # each once, none lost
    finally:
        store.close()
    assert [type(n) for n in news] == [StorageStopped, StorageResumed]
    assert committed(kafka, group, topic) == len(ids)


def test_a_temporary_session_commits_no_offset(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic, group = f"temp-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 7)
    settings = ConsumerSettings(kafka, (topic,), group, "committed", commit=False)
    for _ in range(2):  # read again from "committed": all of it, as nothing was committed
        assert sorted(_read_without_store(settings, len(ids))) == sorted(ids)
    assert committed(kafka, group, topic) == 0


def _read_without_store(settings: ConsumerSettings, count: int) -> list[int]:
    seen: list[int] = []
    with AlertConsumer(settings) as consumer:
        pipeline = Pipeline(
            consumer,
            None,
            commit=False,
            sink=lambda b, _: seen.extend(a.alert_id for a in b.alerts),
        ).start()
        run_until(pipeline, lambda: len(seen) >= count)
        assert pipeline.finish() is None
    return seen
