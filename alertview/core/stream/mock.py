"""librdkafka's mock cluster: a real Kafka-protocol broker inside confluent-kafka."""

from __future__ import annotations

from confluent_kafka import Producer

from alertview.core.stream.config import KAFKA_LOG


class MockCluster:
    """Keeps the librdkafka instance that hosts the mock brokers alive.

    librdkafka (``rdkafka_mock.c``) gives every topic 4 partitions on first
    use, keeps only about the newest 5 MB per partition, and does not serve
    CreateTopics, ListGroups or offsets-for-times.
    """

    def __init__(self, brokers: int = 1) -> None:
        self._owner: Producer | None = Producer(
            {"test.mock.num.brokers": brokers, "log_level": 0, "logger": KAFKA_LOG}
        )
        metadata = self._owner.list_topics(timeout=10)
        self.bootstrap = ",".join(f"{b.host}:{b.port}" for b in metadata.brokers.values())

    def close(self) -> None:
        if self._owner is not None:
            self._owner.flush(1)
            self._owner = None
