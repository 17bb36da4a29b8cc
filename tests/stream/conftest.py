"""Real brokers over TCP for the stream tests: both embedded engines."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, Batch, ConsumerSettings
from tests.stream.kafka_fixtures import real_kafka, secured_kafka  # noqa: F401


@pytest.fixture(scope="module", params=["mock", "tansu"])
def broker(request):
    with EmbeddedBroker(request.param) as running:
        yield running


@pytest.fixture
def kafka(broker) -> KafkaSettings:
    return KafkaSettings(broker.bootstrap)


@pytest.fixture
def topic() -> str:
    return f"alerts-{uuid.uuid4().hex[:8]}"


def consume_until(
    consumer: AlertConsumer,
    done: Callable[[list[Batch]], bool],
    timeout: float = 30,
    commit: bool = True,
) -> list[Batch]:
    """Poll until ``done(batches)`` or the timeout; commits what it read."""
    batches: list[Batch] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(batches):
        batch = consumer.poll()
        if batch.messages:
            batches.append(batch)
            if commit:
                consumer.commit(batch)
    return batches


def n_alerts(batches: list[Batch]) -> int:
    return sum(len(b.alerts) for b in batches)


def read_all(kafka: KafkaSettings, topic: str, expected: int, group: str | None = None,
             start: str = "earliest", timeout: float = 40) -> list[Batch]:  # fmt: skip
    settings = ConsumerSettings(kafka, (topic,), group or f"g-{uuid.uuid4().hex[:6]}", start)
    with AlertConsumer(settings) as consumer:
        return consume_until(
            consumer, lambda b: n_alerts(b) + sum(len(x.errors) for x in b) >= expected, timeout
        )
