"""End-to-end alerts/s from a real broker through decode and store; prints JSON.

    python benchmarks/stream.py [--ztf 20000] [--rubin 2000] [--repeat 3]
        [--fink-python /path/to/venv-with-fink-client/bin/python]

Runs the embedded Tansu broker (it keeps every message, unlike the mock),
fills it with the real shared alerts cycled (ZTF in native framing, Rubin in
Confluent framing, and both again in Fink framing for the baseline), then
measures each reader in one run, each with a fresh consumer group:

- ``ceiling``: confluent-kafka reading the same messages without decoding;
- ``alertview``: AlertConsumer -> decode -> AlertStore -> commit;
- ``fink_client``: fink-client's AlertConsumer on the Fink-framed copies, run
  with ``--fink-python`` (a separate environment: fink-client is a
  baseline, not a dependency; ``benchmarks/setup_baselines.sh`` makes one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import fastavro
from confluent_kafka import Consumer

from alertview.core.broker import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.replay import MessageFramer
from alertview.core.schemas import SchemaCache
from alertview.core.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parent.parent / "shared" / "data" / "alerts"

FINK_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from fink_client.consumer import AlertConsumer
    bootstrap, topic, survey, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    config = {"bootstrap.servers": bootstrap, "group.id": sys.argv[5]}
    consumer = AlertConsumer([topic], config, survey=survey)
    n = timed = 0
    start = end = None
    deadline = time.time() + 1800
    while n < expected and time.time() < deadline:
        got = consumer.consume(100, 1.0)
        count = sum(1 for _, alert, _ in got if alert is not None)
        n += count
        if start is None:
            if count:
                start = time.perf_counter()
        else:
            timed += count
            end = time.perf_counter()
    print(timed / (end - start))
    consumer.close()
    """
)


def alerts_of(paths):
    return [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, DecodeError)]


def fill(settings: KafkaSettings, topic: str, messages: list[tuple[bytes | None, bytes]], n: int):
    ensure_topic(settings, topic, 4)
    producer = AlertProducer(settings, {"linger.ms": 50, "batch.size": 1_000_000})
    for i in range(n):
        key, value = messages[i % len(messages)]
        producer.send(topic, value, key)
    stats = producer.flush(300)
    assert stats.failed == 0, stats.errors


class _Clock:
    """Rate from the end of the first non-empty batch: the group join is not timed,
    and neither is the first batch (it arrives all at once from the prefetch)."""

    def __init__(self) -> None:
        self.total = 0
        self.timed = 0
        self.start: float | None = None
        self.end = float("nan")

    def add(self, count: int) -> None:
        self.total += count
        if self.start is None:
            if count:
                self.start = time.perf_counter()
        else:
            self.timed += count
            self.end = time.perf_counter()

    @property
    def rate(self) -> float:
        return self.timed / (self.end - self.start)


def stats_of(rates: list[float]) -> dict:
    return {
        "median": round(statistics.median(rates), 1),
        "min": round(min(rates), 1),
        "max": round(max(rates), 1),
        "runs": len(rates),
    }


def ceiling(bootstrap: str, topic: str, n: int) -> float:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ceiling-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "fetch.queue.backoff.ms": 10,
        }
    )
    consumer.subscribe([topic])
    clock = _Clock()
    while clock.total < n:
        messages = consumer.consume(200, 1.0)
        clock.add(sum(1 for m in messages if m.error() is None))
    consumer.close()
    return clock.rate


def alertview(settings: KafkaSettings, topic: str, n: int, folder: Path) -> float:
    group = f"alertview-{uuid.uuid4().hex[:8]}"
    consumer_settings = ConsumerSettings(settings, (topic,), group, "earliest", batch_size=200)
    store = AlertStore(folder / group)
    clock = _Clock()
    with AlertConsumer(consumer_settings) as consumer:
        while clock.total < n:
            batch = consumer.poll()
            store.add(batch.alerts)
            consumer.commit(batch)
            clock.add(batch.messages)
            assert not batch.errors, batch.errors[:1]
    store.close()
    return clock.rate


def fink_client(python: str, bootstrap: str, topic: str, survey: str, n: int) -> float:
    result = subprocess.run(
        [python, "-c", FINK_SCRIPT, bootstrap, topic, survey, str(n), uuid.uuid4().hex],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--ztf", type=int, default=20000, help="ZTF messages")
    parser.add_argument("--rubin", type=int, default=2000, help="Rubin messages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fink-python", help="python of an environment with fink-client")
    args = parser.parse_args()

    ztf_files = [
        *sorted((args.shared / "ztf").glob("*.avro")),
        args.shared / "fink" / "ZTF19acihgng.avro",
    ]
    rubin_file = args.shared / "fink" / "lsst-transfer" / "part-2-918301.avro"
    ztf, rubin = alerts_of(ztf_files), alerts_of([rubin_file])
    cache = SchemaCache()
    native, fink = MessageFramer("native", cache), MessageFramer("fink", cache)
    sets = {
        "ztf_native": ([native(a) for a in ztf], args.ztf),
        "ztf_fink": ([fink(a) for a in ztf], args.ztf),
        "rubin_confluent": ([native(a) for a in rubin], args.rubin),
        "rubin_fink": ([fink(a) for a in rubin], args.rubin),
    }
    result: dict = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastavro": fastavro.__version__,
        },
        "broker": "tansu (embedded, in-memory)",
        "message_bytes_mean": {
            name: round(statistics.mean(len(v) for _, v in messages))
            for name, (messages, _) in sets.items()
        },
    }
    with EmbeddedBroker("tansu") as broker, tempfile.TemporaryDirectory() as tmp:
        settings = KafkaSettings(broker.bootstrap)
        for name, (messages, n) in sets.items():
            fill(settings, name, messages, n)
        for survey, native_topic, fink_topic, n in (
            ("ztf", "ztf_native", "ztf_fink", args.ztf),
            ("lsst", "rubin_confluent", "rubin_fink", args.rubin),
        ):
            entry = {"messages": n}
            entry["ceiling_no_decode_per_s"] = stats_of(
                [ceiling(broker.bootstrap, native_topic, n) for _ in range(args.repeat)]
            )
            entry["alertview_decode_store_per_s"] = stats_of(
                [alertview(settings, native_topic, n, Path(tmp)) for _ in range(args.repeat)]
            )
            if args.fink_python:
                entry["fink_client_per_s"] = stats_of(
                    [
                        fink_client(args.fink_python, broker.bootstrap, fink_topic, survey, n)
                        for _ in range(args.repeat)
                    ]
                )
            result["ztf_native" if survey == "ztf" else "rubin_confluent"] = entry
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
