"""Publishing alert packets, with every delivery report checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from alertview.core.stream.admin import fetch_metadata
from alertview.core.stream.config import BrokerHealth, KafkaSettings, StreamError

#: How many failure reasons to keep for the summary.
_KEEP_ERRORS = 20


@dataclass
class DeliveryStats:
    """What the broker confirmed; ``failed`` includes messages never confirmed."""

    queued: int = 0
    delivered: int = 0
    failed: int = 0
    delivered_bytes: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return self.queued - self.delivered - self.failed


class AlertProducer:
    """A Kafka producer for alert packets up to 16 MB."""

    def __init__(self, settings: KafkaSettings, overrides: Mapping[str, Any] | None = None):
        self.settings = settings
        config = {
            **settings.client_config(),
            "linger.ms": 20,
            "acks": "all",
            "queue.buffering.max.kbytes": 512 * 1024,
            "error_cb": self._on_error,
        }
        config.update(overrides or {})
        self.stats = DeliveryStats()
        self._producer = Producer(config)

    def _on_error(self, error: KafkaError) -> None:
        if len(self.stats.errors) < _KEEP_ERRORS:
            self.stats.errors.append(f"broker: {error.str()}")

    def _on_delivery(self, error: KafkaError | None, message: Any) -> None:
        if error is None:
            self.stats.delivered += 1
            self.stats.delivered_bytes += len(message.value() or b"")
        else:
            self.stats.failed += 1
            if len(self.stats.errors) < _KEEP_ERRORS:
                self.stats.errors.append(f"{message.topic()}: {error.str()}")

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Queue one message; waits for room when the local queue is full."""
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=self._on_delivery)
                self.stats.queued += 1
                break
            except BufferError:
                self._producer.poll(0.1)
            except KafkaException as exc:
                raise StreamError(f"cannot send to {topic}: {exc.args[0].str()}") from None
        self._producer.poll(0)

    def poll(self, timeout: float = 0) -> None:
        """Serve delivery reports."""
        self._producer.poll(timeout)

    def flush(self, timeout: float = 30) -> DeliveryStats:
        """Wait for outstanding deliveries; what is still unconfirmed counts as failed."""
        remaining = self._producer.flush(timeout)
        if remaining:
            self.stats.failed += remaining
            self.stats.errors.append(f"{remaining} messages not confirmed within {timeout:g} s")
        return self.stats


def ensure_topic(
    settings: KafkaSettings, topic: str, partitions: int, timeout: float = 10
) -> bool:
    """Create ``topic`` if the broker supports CreateTopics; False if it exists or cannot.

    librdkafka's mock cluster does not serve CreateTopics: it auto-creates
    topics with 4 partitions on first use instead.
    """
    health = BrokerHealth(settings.bootstrap, settings=settings)
    config: dict[str, Any] = {**settings.client_config(), "error_cb": health}
    admin = AdminClient(config)
    # a refused password or certificate is named at once, as consume and topics do
    metadata = fetch_metadata(admin, health, timeout)
    if topic in metadata.topics:
        return False
    if metadata.controller_id not in metadata.brokers:
        return False  # no controller to ask (librdkafka's mock): topics auto-create
    future = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=-1)],
        operation_timeout=timeout,
        request_timeout=timeout,
    )[topic]
    try:
        future.result(timeout=timeout)
        return True
    except KafkaException as exc:
        code = exc.args[0].code()
        if code == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        if code in (KafkaError.INVALID_REPLICATION_FACTOR, KafkaError.POLICY_VIOLATION):
            raise StreamError(f"cannot create topic {topic}: {exc.args[0].str()}") from None
        return False
    except Exception:
        return False
