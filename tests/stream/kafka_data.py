"""Many distinct real alerts for the real-Kafka tests, and what a session holds."""

from __future__ import annotations

from functools import cache

from alertview.core.session.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer
from alertview.core.table.rows import ROW_FIELDS
from benchmarks.bench_common import unique_messages, ztf_alerts
from tests.conftest import DATA


@cache
def ztf_messages(count: int) -> tuple[tuple[bytes | None, bytes], ...]:
    """``count`` ZTF messages cycled from the real ones, each with its own alert id."""
    return tuple(unique_messages(ztf_alerts(DATA), count, "native"))  # the bundled packets


def produce(kafka: KafkaSettings, topic: str, messages) -> None:
    """Send and wait until the broker has every one."""
    producer = AlertProducer(kafka, {"linger.ms": 20})
    for key, value in messages:
        producer.send(topic, value, key)
    stats = producer.flush(60)
    assert stats.delivered == len(messages) and not stats.failed, stats


def stored_ids(store: AlertStore) -> list[int]:
    """Every stored alert's id, repeats included."""
    return [int(row[ROW_FIELDS.index("alert_id")]) for row in store.rows()]


def stored_offsets(store: AlertStore) -> list[tuple[int, int]]:
    """(partition, offset) of every stored alert: each Kafka message is one ZTF alert."""
    at = ROW_FIELDS.index("partition"), ROW_FIELDS.index("kafka_offset")
    return [(int(row[at[0]]), int(row[at[1]])) for row in store.rows()]
