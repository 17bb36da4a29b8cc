"""Consuming alerts in batches: decode, keep every failure, commit after storing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
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

from alertview.core.alert import Origin
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.errors import DecodeError
from alertview.core.stream.admin import offsets_at_time
from alertview.core.stream.batch import Batch
from alertview.core.stream.config import (
    BrokerHealth,
    StreamError,
    unreachable,
)
from alertview.core.stream.config import ConsumerSettings as _Settings
from alertview.core.stream.error_records import ErrorRecord, UnknownSchemas
from alertview.core.surveys import SURVEY_FIELDS

START_POSITIONS = ("earliest", "latest", "committed")
__all__ = ["START_POSITIONS", "USER_TUNABLE", "AlertConsumer", "Batch", "ConsumerSettings"]


@dataclass(frozen=True)
class ConsumerSettings(_Settings):
    """What to read and from where (``config.ConsumerSettings``), and whether the
    offsets read are committed: not for a temporary session (``--no-store``), which
    keeps nothing, so a later run must read those alerts again."""

    commit: bool = True

    def consumer_config(self) -> dict[str, Any]:
        """``config.ConsumerSettings``'s, where a ``-X`` setting of the group's timing
        wins over ours (the others keep the at-least-once promise: never the user's)."""
        config = super().consumer_config()
        config.update({k: v for k, v in self.kafka.extra.items() if k in USER_TUNABLE})
        return config


#: Consumer settings a user's ``-X`` may change (e.g. a shorter session timeout, so a
#: member killed without leaving the group is replaced sooner).
USER_TUNABLE = frozenset(
    {
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "max.poll.interval.ms",
        "fetch.queue.backoff.ms",
    }
)


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

    def __init__(self, settings: _Settings, cache: SchemaCache | None = None) -> None:
        self.settings = settings
        # not ``cache or ...``: an empty cache is falsy
        self.cache = cache if cache is not None else SchemaCache(fields=SURVEY_FIELDS)
        self._consumer: Consumer | None = None
        self._started: set[tuple[str, int]] = set()
        self._health = BrokerHealth(settings.kafka.bootstrap)
        self._pause_wanted = threading.Event()
        self._held = False  # paused by the pipeline (storage stopped), not the user
        self._stop_wanted = threading.Event()
        self._paused = False
        self._committed: dict[tuple[str, int], int] = {}
        self._commits_sent = self._commits_answered = 0
        self._commit_failure: str | None = None  # of the last answer, if it failed
        self._recommit = False
        self._missing: set[str] = set()
        self._warnings: list[str] = []
        self._unknown = UnknownSchemas()
        #: Messages the group has still to read (from librdkafka's statistics), if known.
        self.lag: int | None = None

    # -- life cycle ---------------------------------------------------------------------
    @property
    def health(self) -> BrokerHealth:
        """Whether the cluster answers, since when not, and why (for the viewer's status)."""
        return self._health

    def open(self, timeout: float = 10) -> AlertConsumer:
        """Connect (within ``timeout`` s, or until ``stop``) and subscribe."""
        config = self.settings.consumer_config()
        config["error_cb"] = self._health
        config["on_commit"] = self._on_commit
        # librdkafka reports each partition's consumer lag in its statistics
        config.setdefault("statistics.interval.ms", 2000)
        config["stats_cb"] = self._on_stats
        try:
            self._consumer = Consumer(config)
        except KafkaException as exc:
            raise StreamError(f"bad consumer settings: {exc.args[0].str()}") from None
        deadline = time.monotonic() + timeout
        while True:  # short tries, so that a stop (SIGTERM) is honoured within ~0.5 s
            try:
                metadata = self._consumer.list_topics(
                    timeout=max(0.05, min(0.5, deadline - time.monotonic()))
                )
                break
            except KafkaException as exc:
                if self._stop_wanted.is_set():
                    return self  # stopped while connecting: there is nothing to read
                self._consumer.poll(0)  # serves the error callback: the reason (TLS, ...)
                if time.monotonic() < deadline and not self._health.refused:
                    self._stop_wanted.wait(0.05)
                    continue
                self._consumer.close()
                self._consumer = None
                reason = self._health.reason() or exc.args[0].str()
                raise unreachable(
                    self.settings.kafka.bootstrap, reason, self.settings.kafka
                ) from None
        for topic in self.settings.topics:
            if not topic.startswith("^") and topic not in metadata.topics:
                self._topic_missing(topic)
        self._consumer.subscribe(list(self.settings.topics), on_assign=self._on_assign)
        return self

    def close(self, timeout: float | None = None) -> bool:
        """Leave the group and close; False if that took longer than ``timeout`` s.

        librdkafka waits for the answer to an offset commit in flight, for ever
        while no broker is reachable; with a ``timeout`` the close goes on in a
        thread of its own and the process may end meanwhile (the offsets are
        then read again by the next run: nothing is lost).
        """
        consumer, self._consumer = self._consumer, None
        if consumer is None:
            return True
        if timeout is None:
            consumer.close()
            return True
        closing = threading.Thread(target=consumer.close, name="alertview-close", daemon=True)
        closing.start()
        closing.join(min(timeout, 0.2) if self._health.down else timeout)
        return not closing.is_alive()

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
    def _on_stats(self, text: str) -> None:
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
        self._health.saw_statistics(stats)

    def _on_commit(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        self._commits_answered += 1
        if error is None:
            error = next((p.error for p in partitions if p.error is not None), None)
        if error is None or error.code() == KafkaError._NO_OFFSET:
            self._commit_failure = None
            return
        if self._commit_failure is None:  # once per run of failures
            self._warnings.append(
                f"committing offsets failed ({error.str()}); they are committed again "
                "once the broker answers (until then a restart reads those alerts again)"
            )
        self._commit_failure = error.str()
        self._recommit = True

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        fresh = [p for p in partitions if (p.topic, p.partition) not in self._started]
        start = self.settings.start
        if fresh and isinstance(start, datetime):
            by_key = offsets_at_time(consumer, fresh, int(start.timestamp() * 1000))
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
        self._missing.difference_update(p.topic for p in partitions)
        consumer.assign(partitions)
        if self._paused:
            consumer.pause(partitions)

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
        if batch.messages:
            self._health.reachable()
        self._warnings += self._health.news()
        if self._recommit and not self._health.down and self._commits_pending == 0:
            self._recommit = False  # what failed goes again, now the broker answers
            self.commit_offsets(self._committed.items())
        return batch

    def _take(self, message: Any, batch: Batch) -> None:
        error = message.error()
        if error is not None:
            self._raise_if_fatal(error, message.topic())
            return
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        batch.messages += 1
        batch.first_offsets.setdefault((topic, partition), offset)
        batch.next_offsets[(topic, partition)] = offset + 1
        value = message.value()
        batch.bytes += len(value or b"")
        origin = Origin(topic, 0, topic, partition, offset)
        # Every outcome of one message is its alerts or one error record (after the
        # alerts it gave before failing): its offset is committed past either way.
        try:
            if not value:
                raise DecodeError("empty message")
            for alert in decode_bytes(
                value, self.cache, origin=origin, key=message.key(), detail=self.settings.detail
            ):
                batch.alerts.append(alert)
        except Exception as exc:  # even a decoder bug is one error record, not a dead stream
            error = exc if isinstance(exc, DecodeError) else DecodeError.internal(exc)
            record = ErrorRecord.of(error, topic, partition, offset)
            batch.errors.append(self._unknown.classify(record, exc, value))

    @property
    def unknown_schema_ids(self) -> dict[int, int]:
        """Messages read per schema id that could not be found (since ``open``)."""
        return self._unknown.counts

    def _raise_if_fatal(self, error: KafkaError, topic: str | None = None) -> None:
        code = error.code()
        if code == KafkaError._PARTITION_EOF:
            return
        if code == KafkaError.GROUP_AUTHORIZATION_FAILED:
            raise StreamError(_rubin_group_hint(self.settings.group_id))
        if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            raise StreamError(f"not allowed to read {', '.join(self.settings.topics)}")
        if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
            # perhaps a typo, perhaps a topic about to be created: say so, keep waiting
            self._topic_missing(topic, error.str())
            return
        if code == KafkaError.SASL_AUTHENTICATION_FAILED or error.fatal():
            raise StreamError(f"Kafka: {error.str()}")
        self._health(error)

    def _topic_missing(self, topic: str | None, text: str = "") -> None:
        name = topic or text
        if name not in self._missing:
            self._missing.add(name)
            what = f"topic {topic!r} does not exist" if topic else text
            self._warnings.append(
                f"{what} on {self.settings.kafka.bootstrap} (waiting for it to be created)"
            )

    @property
    def missing_topics(self) -> list[str]:
        """Topics asked for that the broker said do not exist (none of them assigned)."""
        return sorted(self._missing)

    def hold(self, held: bool) -> None:
        """Fetch nothing while ``held`` (the pipeline cannot store), whatever the user's
        pause says; the group is kept, as polling goes on. Consumer's thread only."""
        self._held = held

    def rewind(self, offsets: dict[tuple[str, int], int]) -> None:
        """Read these partitions again from these offsets (what could not be stored).

        A partition no longer assigned (a rebalance) is skipped: its next owner
        starts from the committed offset, which is at or before these.
        Consumer's thread only.
        """
        consumer = self._require_open()
        assigned = {(p.topic, p.partition) for p in consumer.assignment()}
        for (topic, partition), offset in offsets.items():
            if (topic, partition) not in assigned:
                continue
            try:
                consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:  # going on would skip those alerts: stop instead
                raise StreamError(
                    f"cannot read {topic}[{partition}] again from offset {offset} "
                    f"({exc.args[0].str()}): stopped, those alerts stay uncommitted"
                ) from None

    def _apply_pause(self, consumer: Consumer) -> None:
        want = self._pause_wanted.is_set() or self._held
        if want != self._paused:
            assignment = consumer.assignment()
            (consumer.pause if want else consumer.resume)(assignment)
            self._paused = want

    # -- committing --------------------------------------------------------------------------
    def commit(self, batch: Batch, asynchronous: bool = True) -> None:
        """Commit a batch's offsets: call this after its alerts are stored."""
        if not batch.next_offsets:
            return
        self._committed.update(batch.next_offsets)
        self.commit_offsets(batch.next_offsets.items(), asynchronous)

    def commit_sync(self, timeout: float = 5.0) -> str | None:
        """Commit every offset handed to ``commit`` and wait for the broker's answer,
        at most ``timeout`` s and not at all while no broker is reachable (so a
        SIGTERM is honoured at once). Returns None once committed, else why not:
        those alerts are then read again by the next run of this group."""
        if not self._committed:
            return None
        if self._health.down:
            return f"Kafka at {self.settings.kafka.bootstrap} is unreachable"
        consumer = self._require_open()
        was_paused = self._pause_wanted.is_set()
        self._pause_wanted.set()  # answers are served by polling: no messages meanwhile
        self._apply_pause(consumer)
        self._commit_failure = None
        self.commit_offsets(self._committed.items())
        deadline = time.monotonic() + timeout
        while self._commits_pending > 0 and time.monotonic() < deadline:
            if self._health.down:
                break
            consumer.consume(self.settings.batch_size, 0.05)  # (paused: nothing to drop)
        if not was_paused:
            self.resume()
        if self._commits_pending > 0:
            return self._commit_failure or f"no answer from Kafka within {timeout:g} s"
        return self._commit_failure

    @property
    def _commits_pending(self) -> int:
        return self._commits_sent - self._commits_answered

    def commit_offsets(
        self, offsets: Iterable[tuple[tuple[str, int], int]], asynchronous: bool = True
    ) -> None:
        consumer = self._require_open()
        partitions = [TopicPartition(t, p, o) for (t, p), o in offsets]
        try:
            consumer.commit(offsets=partitions, asynchronous=asynchronous)  # type: ignore[call-overload]
        except KafkaException as exc:
            code = exc.args[0].code()
            if code == KafkaError.GROUP_AUTHORIZATION_FAILED:
                raise StreamError(_rubin_group_hint(self.settings.group_id)) from None
            if code != KafkaError._NO_OFFSET:
                raise StreamError(f"commit failed: {exc.args[0].str()}") from None
            return
        if asynchronous:
            self._commits_sent += 1

    def take_warnings(self) -> list[str]:
        """Conditions worth telling the user that do not stop the stream (once each)."""
        warnings, self._warnings = self._warnings, []
        return warnings

    def assignment(self) -> list[tuple[str, int]]:
        return [(p.topic, p.partition) for p in self._require_open().assignment()]

    def _require_open(self) -> Consumer:
        if self._consumer is None:
            raise StreamError("consumer is not open")
        return self._consumer
