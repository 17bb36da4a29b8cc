"""Topics with their partitions, watermarks and a group's lag."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    ClusterMetadata,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from alertview.core.logs import remember_secrets
from alertview.core.stream.config import (
    BrokerHealth,
    KafkaSettings,
    StreamError,
    kafka_log_settings,
)


@dataclass(frozen=True)
class PartitionInfo:
    partition: int
    low: int
    high: int
    committed: int | None = None

    @property
    def available(self) -> int:
        return max(0, self.high - self.low)

    @property
    def lag(self) -> int | None:
        if self.committed is None:
            return None
        return max(0, self.high - max(self.committed, self.low))


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: list[PartitionInfo] = field(default_factory=list)

    @property
    def available(self) -> int:
        return sum(p.available for p in self.partitions)

    @property
    def lag(self) -> int | None:
        """Messages the group has still to read; None if it never committed here.

        A partition the group has not committed in counts in full.
        """
        if all(p.committed is None for p in self.partitions):
            return None
        return sum(p.available if p.lag is None else p.lag for p in self.partitions)


def fetch_metadata(client: Any, health: BrokerHealth, timeout: float) -> ClusterMetadata:
    """The cluster's metadata, asked in short steps: a refused password or certificate
    ends the wait at once with its one-line cause (``health.failure``), a broker that
    does not answer after ``timeout`` s. ``client``: a Consumer, Producer or AdminClient
    whose ``error_cb`` is ``health``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.list_topics(timeout=max(0.05, min(0.5, deadline - time.monotonic())))
        except KafkaException as exc:
            client.poll(0)  # serves the error callback: the reason (a certificate, ...)
            if health.refused or time.monotonic() >= deadline:
                raise health.failure(exc.args[0].str()) from None


def add_scram_user(
    bootstrap: str, user: str, password: str, mechanism: str = "SCRAM-SHA-512",
    timeout: float = 30,
) -> None:  # fmt: skip
    """Create (or reset) a SCRAM user through the Admin API over a PLAINTEXT listener:
    the password travels in the request, never on a command line."""
    health = BrokerHealth(bootstrap)
    remember_secrets(password)
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "error_cb": health}
    admin = AdminClient({**config, **kafka_log_settings()})
    fetch_metadata(admin, health, timeout)
    kind = ScramMechanism[mechanism.upper().replace("-", "_")]
    upsert = UserScramCredentialUpsertion(user, ScramCredentialInfo(kind, 8192), password.encode())
    futures = admin.alter_user_scram_credentials([upsert], request_timeout=timeout)
    try:
        futures[user].result(timeout=timeout)
    except KafkaException as exc:
        raise StreamError(f"cannot create SCRAM user {user}: {exc.args[0].str()}") from None


def list_topics(
    settings: KafkaSettings,
    group: str | None = None,
    topics: list[str] | None = None,
    timeout: float = 10,
) -> list[TopicInfo]:
    """Every topic (or those named) with watermarks, and ``group``'s lag when given."""
    health = BrokerHealth(settings.bootstrap, settings=settings)
    config = {
        **settings.client_config(),
        "group.id": group or "alertview-topic-listing",
        "enable.auto.commit": False,
        "error_cb": health,
    }
    consumer = Consumer(config)
    try:
        metadata = fetch_metadata(consumer, health, timeout)
        names = sorted(
            n for n in metadata.topics if not n.startswith("__") and (not topics or n in topics)
        )
        result = []
        for name in names:
            parts = sorted(metadata.topics[name].partitions)
            committed: dict[int, int | None] = {}
            if group:
                found = consumer.committed([TopicPartition(name, p) for p in parts], timeout)
                committed = {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in found}
            infos = []
            for p in parts:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(name, p), timeout=timeout, cached=False
                )
                infos.append(PartitionInfo(p, low, high, committed.get(p)))
            result.append(TopicInfo(name, infos))
        return result
    finally:
        consumer.close()


def offsets_at_time(
    consumer: Consumer, partitions: list[TopicPartition], millis: int
) -> dict[tuple[str, int], int]:
    """First offset at or after ``millis`` per partition (-1: none yet)."""

    def ask(ms: int) -> dict[tuple[str, int], int]:
        query = [TopicPartition(p.topic, p.partition, ms) for p in partitions]
        try:
            found = consumer.offsets_for_times(query, timeout=10)
        except KafkaException as exc:
            raise StreamError(
                f"this broker cannot find offsets by time ({exc.args[0].str()})"
            ) from None
        return {(p.topic, p.partition): p.offset for p in found}

    offsets = ask(millis)
    if all(o < 0 for o in offsets.values()):
        # "nothing after that time", or a broker that cannot answer (librdkafka's
        # mock says -1 even for time 0): a non-empty partition tells them apart
        for p in partitions:
            low, high = consumer.get_watermark_offsets(p, timeout=10)
            if high > low:
                if ask(0).get((p.topic, p.partition), -1) < 0:
                    raise StreamError(
                        "this broker cannot find offsets by time; start from earliest, "
                        "latest or committed instead"
                    )
                break
    return offsets
