"""Ingest: alerts/s from the embedded broker into the viewer's table; prints JSON.

    python benchmarks/ingest.py [--ztf 20000] [--rubin 20000] [--repeat 3]
        [--fink-python .bench-venv/bin/python] [--fink-ztf 20000] [--fink-rubin 2000]
        [--engine tansu|kafka]

Starts an embedded broker (Tansu in memory by default; ``--engine kafka``:
Apache Kafka 4.1 with its data on disk, the broker alert streams really run
on; the librdkafka mock keeps only ~5 MB per partition), fills it with real
shared alerts cycled with new ids (ZTF in its native framing, one container
file per message; Rubin in Confluent framing; both again in Fink framing for
fink-client), then for each survey, in one run, each reader with a fresh consumer group:

- ``ceiling``: confluent-kafka consuming the messages without decoding;
- ``alertview_gui``: the viewer in its own process (Qt offscreen): worker
  thread -> decode -> store -> table model, until every alert is a table row.
  Measured at the same time: the lateness of a 10 ms QTimer in the GUI thread
  (``gui_timer_delay_ms``: how much later than due each tick fired);
- ``fink_client``: fink-client's AlertConsumer on the Fink-framed copies
  (``--fink-python``: its own environment, see setup_baselines.sh).

A rate is counted from the first alert to arrive to the last, so the group
join (seconds on Tansu) is not part of it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
import uuid

from bench_common import (
    machine,
    percentile,
    rate_after_first,
    report,
    report_part,
    rubin_alerts,
    run_child,
    spread,
    unique_messages,
    viewer_on_topic,
    ztf_alerts,
)
from confluent_kafka import Consumer

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic

PARTITIONS = 4
#: The engines worth measuring on, as the results name them.
ENGINES = {
    "tansu": "tansu (embedded, in memory)",
    "kafka": "apache kafka 4.1 (embedded, KRaft, data on disk)",
}

FINK_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from fink_client.consumer import AlertConsumer
    bootstrap, topic, survey, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    config = {"bootstrap.servers": bootstrap, "group.id": sys.argv[5]}
    consumer = AlertConsumer([topic], config, survey=survey)
    n, arrivals = 0, []
    deadline = time.time() + 1800
    while n < expected and time.time() < deadline:
        got = consumer.consume(100, 1.0)
        n += sum(1 for _, alert, _ in got if alert is not None)
        arrivals.append((time.perf_counter(), n))
    print(json.dumps(arrivals))
    consumer.close()
    """
)


def fill(bootstrap: str, topic: str, messages, count: int) -> float:
    """Produce the messages; returns seconds taken."""
    settings = KafkaSettings(bootstrap)
    ensure_topic(settings, topic, PARTITIONS)
    producer = AlertProducer(settings, {"linger.ms": 50, "batch.size": 4_000_000})
    started = time.perf_counter()
    for key, value in messages:
        producer.send(topic, value, key)
    stats = producer.flush(600)
    if stats.failed or stats.delivered != count:
        raise SystemExit(f"filling {topic}: {stats.failed} failed, {stats.delivered} delivered")
    return time.perf_counter() - started


def ceiling(bootstrap: str, topic: str, count: int) -> float:
    """confluent-kafka without decoding, configured as AlertView's consumer."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ceiling-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "fetch.queue.backoff.ms": 10,
            "max.partition.fetch.bytes": 16 * 1024 * 1024,
            "fetch.max.bytes": 32 * 1024 * 1024,
        }
    )
    consumer.subscribe([topic])
    total, arrivals = 0, []
    while total < count:
        total += sum(1 for m in consumer.consume(500, 1.0) if m.error() is None)
        arrivals.append((time.perf_counter(), total))
    consumer.close()
    return rate_after_first(arrivals)


def gui_child(bootstrap: str, topic: str, count: int) -> None:
    """The viewer in this process, offscreen, reading ``topic`` until ``count`` rows."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    with viewer_on_topic(bootstrap, topic, "gui") as (app, window, settings):
        lateness: list[float] = []
        clock = QElapsedTimer()
        arrivals: list[tuple[float, int]] = []

        def tick() -> None:
            elapsed = clock.nsecsElapsed() / 1e6
            clock.restart()
            rows = window.model.total
            if rows and rows < count:  # only while alerts are arriving
                lateness.append(max(0.0, elapsed - 10.0))
            if not arrivals or arrivals[-1][1] != rows:
                arrivals.append((time.perf_counter(), rows))
            if rows >= count:
                app.quit()

        timer = QTimer()
        timer.setTimerType(timer.timerType().PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(10)
        clock.start()
        QTimer.singleShot(900_000, app.quit)
        window.connect_stream(settings)
        app.exec()
    result = {
        "rate": rate_after_first(arrivals),
        "rows": arrivals[-1][1],
        "timer_delay_ms": {
            "p50": round(percentile(lateness, 50), 1),
            "p99": round(percentile(lateness, 99), 1),
            "max": round(max(lateness), 1),
            "ticks": len(lateness),
        },
    }
    print(json.dumps(result))


def alertview_gui(bootstrap: str, topic: str, count: int) -> dict:
    return run_child(__file__, bootstrap, topic, str(count))


def fink_client(python: str, bootstrap: str, topic: str, survey: str, count: int) -> float:
    result = subprocess.run(
        [python, "-c", FINK_SCRIPT, bootstrap, topic, survey, str(count), uuid.uuid4().hex],
        capture_output=True,
        text=True,
        check=True,
    )
    return rate_after_first(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        gui_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ztf", type=int, default=20000, help="ZTF messages")
    parser.add_argument("--rubin", type=int, default=20000, help="Rubin messages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fink-python", help="python of an environment with fink-client")
    parser.add_argument("--fink-ztf", type=int, default=20000, help="ZTF messages for fink")
    parser.add_argument("--fink-rubin", type=int, default=2000, help="Rubin messages for fink")
    parser.add_argument("--surveys", nargs="+", default=["ztf", "lsst"], choices=["ztf", "lsst"])
    parser.add_argument("--engine", default="tansu", choices=ENGINES, help="embedded broker")
    args = parser.parse_args()

    surveys = {
        "ztf": (ztf_alerts, args.ztf, args.fink_ztf),
        "lsst": (rubin_alerts, args.rubin, args.fink_rubin),
    }
    surveys = {name: surveys[name] for name in args.surveys}
    result: dict = {"machine": machine(), "broker": ENGINES[args.engine]}
    with EmbeddedBroker(args.engine) as broker:
        for survey, (read, count, fink_count) in surveys.items():
            alerts = read()
            native, fink = f"{survey}-native", f"{survey}-fink"
            entry: dict = {
                "messages": count,
                "framing": "container per message" if survey == "ztf" else "confluent",
                "base_alerts": len({a.alert_id for a in alerts}),
            }
            sizes = [len(v) for _, v in unique_messages(alerts, len(alerts), "native")]
            entry["message_kb_mean"] = round(sum(sizes) / len(sizes) / 1024, 1)
            entry["fill_s"] = round(
                fill(broker.bootstrap, native, unique_messages(alerts, count, "native"), count), 1
            )
            entry["ceiling_no_decode_per_s"] = spread(
                [ceiling(broker.bootstrap, native, count) for _ in range(args.repeat)]
            )
            runs = [alertview_gui(broker.bootstrap, native, count) for _ in range(args.repeat)]
            entry["alertview_gui_per_s"] = spread([r["rate"] for r in runs])
            entry["gui_timer_delay_ms"] = {
                key: spread([r["timer_delay_ms"][key] for r in runs])
                for key in ("p50", "p99", "max")
            }
            if args.fink_python:
                fill(
                    broker.bootstrap,
                    fink,
                    unique_messages(alerts, fink_count, "fink"),
                    fink_count,
                )
                entry["fink_client_messages"] = fink_count
                entry["fink_client_per_s"] = spread(
                    [
                        fink_client(args.fink_python, broker.bootstrap, fink, survey, fink_count)
                        for _ in range(args.repeat)
                    ]
                )
            report_part(result, survey, entry)
    report(result)


if __name__ == "__main__":
    main()
