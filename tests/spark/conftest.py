"""One local[2] SparkSession and one real Apache Kafka for every Spark test, and the
real packets they stream: ZTF native, Rubin Confluent and Fink frames, unique ids."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from confluent_kafka import Consumer

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.errors import DecodeError
from alertview.core.spark.packages import spark_session
from alertview.core.stream.config import KafkaSettings
from benchmarks.bench_common import unique_messages
from tests.conftest import DATA
from tests.stream.kafka_data import produce

#: The filter of every stream test: ZTF alerts by magnitude, Rubin ones by SNR.
FILTER = "mag < 18.5 or snr > 40"
#: Where the garbage message is among the messages sent (its offset: one partition).
GARBAGE_AT = 500
GARBAGE = b"this is not an alert packet"


@dataclass(frozen=True)
class Sent:
    """A message sent to the input topic: its offset there, key, value, alert id."""

    offset: int
    key: bytes | None
    value: bytes
    alert_id: int | None
    framing: str


def _alerts(folder) -> list:
    return [a for a in read_alerts([folder], SchemaCache()) if not isinstance(a, DecodeError)]


@cache
def sent_messages() -> tuple[Sent, ...]:
    """1,050 real packets: ZTF's own files (native), Rubin (Confluent frames), Fink's
    ZTF transfer (Fink framing: schema as key), cycled with unique ids; one garbage.
    (Enough for several micro-batches; each packet costs the Spark tests ~30 ms of CI.)"""
    ztf = [a for a in _alerts(DATA / "ztf") if a.survey == "ztf"]
    rubin = [a for a in _alerts(DATA / "fink" / "lsst-transfer") if a.survey == "lsst"]
    fink = [a for a in _alerts(DATA / "fink" / "ztf-transfer") if a.survey == "ztf"]
    groups = [
        ("native", list(unique_messages(ztf, 400, "native"))),
        ("confluent", list(unique_messages(rubin, 400, "confluent"))),
        ("fink", list(unique_messages(fink, 250, "fink"))),
    ]
    mixed: list[tuple[str, bytes | None, bytes]] = []
    for number in range(max(len(g) for _, g in groups)):  # interleaved, as a broker's mix
        mixed.extend((name, *g[number]) for name, g in groups if number < len(g))
    mixed.insert(GARBAGE_AT, ("garbage", None, GARBAGE))
    cache = SchemaCache()
    sent = []
    for offset, (framing, key, value) in enumerate(mixed):
        alert_id = None
        if framing != "garbage":
            origin = Origin("t", 0, "t", 0, offset)
            (alert,) = decode_bytes(value, cache, origin=origin, key=key, detail=Detail.TABLE)
            alert_id = alert.alert_id
        sent.append(Sent(offset, key, value, alert_id, framing))
    ids = [s.alert_id for s in sent if s.alert_id is not None]
    assert len(set(ids)) == len(ids) == len(sent) - 1
    return tuple(sent)


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the Spark tests (a JVM start is ~10 s)."""
    started = time.monotonic()
    session = spark_session("local[2]", "alertview-tests")
    print(f"\nSpark session started in {time.monotonic() - started:.1f} s")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def kafka() -> Iterator[EmbeddedBroker]:
    """Real Apache Kafka over PLAINTEXT for the whole Spark test session."""
    with EmbeddedBroker("kafka") as broker:
        yield broker


@pytest.fixture(scope="session")
def input_topic(kafka) -> str:
    """A one-partition topic holding ``sent_messages()`` (offsets are their positions)."""
    topic = f"spark-in-{uuid.uuid4().hex[:8]}"
    produce(KafkaSettings(kafka.bootstrap), topic, [(s.key, s.value) for s in sent_messages()])
    return topic


def read_topic(bootstrap: str, topic: str, at_least: int, timeout: float = 60) -> list:
    """Every message of ``topic`` as (key, value), reading until ``at_least`` arrived and
    the topic has been quiet for 3 s (so duplicates past ``at_least`` are seen too)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"check-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                if len(got) >= at_least and time.monotonic() - quiet_since > 3:
                    break
                continue
            quiet_since = time.monotonic()
            got.append((message.key(), message.value()))
    finally:
        consumer.close()
    return got
