"""Consuming alerts in batches: decode, keep every failure, commit after storing."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

from alertview.core.alert import Alert, Origin
from alertview.core.decode import decode_packet
from alertview.core.errors import DecodeError
from alertview.core.schemas import SchemaCache
from alertview.core.stream.config import (
    MAX_MESSAGE_BYTES,
    KafkaSettings,
    StreamError,
    unreachable,
)

START_POSITIONS = ("earliest", "latest", "committed")


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A message that could not be turned into alerts: kept, reported, never dropped."""

    topic: str
    partition: int
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}: {self.reason}"


@dataclass
class Batch:
    """What one poll brought: alerts, failures, and the offsets they advance to."""

    alerts: list[Alert] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    #: (topic, partition) -> next offset to read, once this batch is stored.
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    messages: int = 0
    bytes: int = 0

    def head(self, count: int) -> Batch:
        """The first ``count`` alerts, with offsets that re-read whatever was cut off."""
        if count >= len(self.alerts):
            return self
        kept, dropped = self.alerts[:count], self.alerts[count:]
        first_dropped: dict[tuple[str, int], int] = {}
        for alert in dropped:
            key = (alert.origin.topic or "", alert.origin.partition or 0)
            first_dropped.setdefault(key, alert.origin.offset or 0)
        errors = [
            e
            for e in self.errors
            if e.offset < first_dropped.get((e.topic, e.partition), e.offset + 1)
        ]
        next_offsets = {**self.next_offsets, **first_dropped}
        return Batch(kept, errors, next_offsets, self.messages, self.bytes)


@dataclass(frozen=True)
class ConsumerSettings:
    """What to read and from where; ``start`` is earliest, latest, committed or a time."""

    kafka: KafkaSettings
    topics: tuple[str, ...]
    group_id: str
    start: str | datetime = "committed"
    batch_size: int = 500
    poll_timeout: float = 0.2
    #: Tansu joins a group in ~3 s at 6 s, ~20 s with librdkafka's 45 s default.
    session_timeout_ms: int = 6000
    #: Decode only the table's fields of each alert (the viewer; the store completes
    #: the history later), not the whole packet.
    table_only: bool = False

    def consumer_config(self) -> dict[str, Any]:
        config = {
            **self.kafka.client_config(),
            "group.id": self.group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "latest" if self.start == "latest" else "earliest",
            "session.timeout.ms": self.session_timeout_ms,
            "heartbeat.interval.ms": max(500, self.session_timeout_ms // 3),
            "max.partition.fetch.bytes": MAX_MESSAGE_BYTES,
            "fetch.max.bytes": 2 * MAX_MESSAGE_BYTES,
            # librdkafka's default (1000 ms) halves the rate of a Python decoder.
            "fetch.queue.backoff.ms": 10,
        }
        config.update({k: v for k, v in self.kafka.extra.items() if k not in config})
        return config


def _rubin_group_hint(group: str) -> str:
    return (
        f"the broker refused consumer group {group!r}; Rubin's brokers require the group id "
        "to start with your user name (e.g. 'alice-alerts')"
    )


class AlertConsumer:
    """Reads alerts from Kafka. Create, poll and close it in one thread.

    ``pause``, ``resume`` and ``stop`` may be called from any thread; they
    take effect at the next poll.
    """

    def __init__(self, settings: ConsumerSettings, cache: SchemaCache | None = None) -> None:
        self.settings = settings
        self.cache = cache or SchemaCache()
        self._consumer: Consumer | None = None
        self._started: set[tuple[str, int]] = set()
        self._broker_errors: list[str] = []
        self._pause_wanted = threading.Event()
        self._stop_wanted = threading.Event()
        self._paused = False
        self._committed: dict[tuple[str, int], int] = {}
        self._warnings: list[str] = []
        #: Messages the group has still to read (from librdkafka's statistics), if known.
        self.lag: int | None = None

    # -- life cycle ---------------------------------------------------------------------
    def open(self, timeout: float = 10) -> AlertConsumer:
        config = self.settings.consumer_config()
        config["error_cb"] = self._on_error
        # librdkafka reports each partition's consumer lag in its statistics
        config.setdefault("statistics.interval.ms", 2000)
        config["stats_cb"] = self._on_stats
        try:
            self._consumer = Consumer(config)
        except KafkaException as exc:
            raise StreamError(f"bad consumer settings: {exc.args[0].str()}") from None
        try:
            self._consumer.list_topics(timeout=timeout)
        except KafkaException as exc:
            self._consumer.close()
            self._consumer = None
            errors = "; ".join(self._broker_errors[-2:]) or exc.args[0].str()
            raise unreachable(self.settings.kafka.bootstrap, errors) from None
        self._consumer.subscribe(list(self.settings.topics), on_assign=self._on_assign)
        return self

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def __enter__(self) -> AlertConsumer:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- control from any thread ------------------------------------------------------------
    def pause(self) -> None:
        self._pause_wanted.set()

    def resume(self) -> None:
        self._pause_wanted.clear()

    def stop(self) -> None:
        self._stop_wanted.set()

    @property
    def stopped(self) -> bool:
        return self._stop_wanted.is_set()

    @property
    def paused(self) -> bool:
        return self._paused

    # -- callbacks (run inside poll, in the consumer's thread) ----------------------------------
    def _on_error(self, error: KafkaError) -> None:
        self._broker_errors.append(error.str())
        del self._broker_errors[:-20]

    def _on_stats(self, text: str) -> None:
        import json

        try:
            stats = json.loads(text)
        except ValueError:
            return
        lags = [
            part.get("consumer_lag", -1)
            for topic in stats.get("topics", {}).values()
            for name, part in topic.get("partitions", {}).items()
            if name != "-1"
        ]
        known = [lag for lag in lags if lag >= 0]
        self.lag = sum(known) if known else None

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        fresh = [p for p in partitions if (p.topic, p.partition) not in self._started]
        start = self.settings.start
        if fresh and isinstance(start, datetime):
            by_key = self._offsets_at(consumer, fresh, int(start.timestamp() * 1000))
            for p in fresh:
                offset = by_key.get((p.topic, p.partition), -1)
                p.offset = OFFSET_END if offset < 0 else offset
        elif start == "earliest":
            for p in fresh:
                p.offset = OFFSET_BEGINNING
        elif start == "latest":
            for p in fresh:
                p.offset = OFFSET_END
        self._started.update((p.topic, p.partition) for p in partitions)
        consumer.assign(partitions)
        if self._paused:
            consumer.pause(partitions)

    @staticmethod
    def _offsets_at(
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

    # -- reading ---------------------------------------------------------------------------
    def poll(self) -> Batch:
        """One batch of decoded alerts (possibly empty)."""
        consumer = self._require_open()
        self._apply_pause(consumer)
        batch = Batch()
        try:
            messages = consumer.consume(self.settings.batch_size, self.settings.poll_timeout)
        except KafkaException as exc:
            raise StreamError(f"Kafka: {exc.args[0].str()}") from None
        for message in messages:
            self._take(message, batch)
        return batch

    def _take(self, message: Any, batch: Batch) -> None:
        error = message.error()
        if error is not None:
            self._raise_if_fatal(error)
            return
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        batch.messages += 1
        batch.next_offsets[(topic, partition)] = offset + 1
        value = message.value()
        batch.bytes += len(value or b"")
        origin = Origin(topic, 0, topic, partition, offset)
        try:
            if not value:
                raise DecodeError("empty message")
            batch.alerts.extend(
                decode_packet(
                    value,
                    self.cache,
                    origin=origin,
                    key=message.key(),
                    table_only=self.settings.table_only,
                )
            )
        except DecodeError as exc:
            batch.errors.append(ErrorRecord(topic, partition, offset, exc.reason))
        except Exception as exc:  # a decoder bug must not stop the stream
            batch.errors.append(
                ErrorRecord(topic, partition, offset, f"{type(exc).__name__}: {exc}")
            )

    def _raise_if_fatal(self, error: KafkaError) -> None:
        code = error.code()
        if code == KafkaError._PARTITION_EOF:
            return
        if code == KafkaError.GROUP_AUTHORIZATION_FAILED:
            raise StreamError(_rubin_group_hint(self.settings.group_id))
        if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            raise StreamError(f"not allowed to read {', '.join(self.settings.topics)}")
        if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
            # perhaps a typo, perhaps a topic about to be created: say so, keep waiting
            self._warnings.append(f"{error.str()} (waiting for it)")
            return
        if code == KafkaError.SASL_AUTHENTICATION_FAILED or error.fatal():
            raise StreamError(f"Kafka: {error.str()}")
        self._on_error(error)

    def _apply_pause(self, consumer: Consumer) -> None:
        want = self._pause_wanted.is_set()
        if want != self._paused:
            assignment = consumer.assignment()
            (consumer.pause if want else consumer.resume)(assignment)
            self._paused = want

    def commit(self, batch: Batch, asynchronous: bool = True) -> None:
        """Commit a batch's offsets: call this after its alerts are stored."""
        if not batch.next_offsets:
            return
        self._committed.update(batch.next_offsets)
        self.commit_offsets(batch.next_offsets.items(), asynchronous)

    def commit_sync(self) -> None:
        """Commit everything committed so far synchronously (before closing)."""
        if self._committed:
            self.commit_offsets(self._committed.items(), asynchronous=False)

    def commit_offsets(
        self, offsets: Iterable[tuple[tuple[str, int], int]], asynchronous: bool = True
    ) -> None:
        consumer = self._require_open()
        partitions = [TopicPartition(t, p, o) for (t, p), o in offsets]
        try:
            consumer.commit(offsets=partitions, asynchronous=asynchronous)
        except KafkaException as exc:
            code = exc.args[0].code()
            if code == KafkaError.GROUP_AUTHORIZATION_FAILED:
                raise StreamError(_rubin_group_hint(self.settings.group_id)) from None
            if code != KafkaError._NO_OFFSET:
                raise StreamError(f"commit failed: {exc.args[0].str()}") from None

    def take_warnings(self) -> list[str]:
        """Conditions worth telling the user that do not stop the stream (once each)."""
        warnings, self._warnings = self._warnings, []
        return warnings

    @property
    def broker_errors(self) -> list[str]:
        return list(self._broker_errors)

    def assignment(self) -> list[tuple[str, int]]:
        return [(p.topic, p.partition) for p in self._require_open().assignment()]

    def _require_open(self) -> Consumer:
        if self._consumer is None:
            raise StreamError("consumer is not open")
        return self._consumer
