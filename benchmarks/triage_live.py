"""Triage during a live stream: the GUI timer's lateness while keys are pressed; prints JSON.

    python benchmarks/triage_live.py [--rate 300] [--seconds 40] [--keys-per-s 8]

An embedded broker (librdkafka's mock: no Java) is fed real ZTF and Rubin
alerts (cycled with new ids) at ``--rate`` alerts/s by a producer thread for
the whole run; the viewer (its own process, Qt offscreen) follows the topic.
Once alerts arrive, a 10 ms QTimer in the GUI thread measures how late each
tick fires, first with the stream alone, then while a scanner presses triage
keys on the table at ``--keys-per-s``: interesting / follow-up / reject on the
current alert, then Space (next unscanned), through real key events. Each
key's handling time (the key event sent and processed) is measured too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time

from bench_common import (
    machine,
    percentile,
    report,
    rubin_alerts,
    run_child,
    unique_messages,
    viewer_on_topic,
    ztf_alerts,
)

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic

TOPIC = "triage-live"


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


def gui_child(bootstrap: str, seconds: float, keys_per_s: float) -> None:
    """The viewer following ``TOPIC``: stream alone for a third of the run, then triage."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    with viewer_on_topic(bootstrap, TOPIC, "triage") as (app, window, settings):
        store = window.store
        lateness: dict[str, list[float]] = {"stream_only": [], "stream_and_triage": []}
        key_ms: list[float] = []
        clock = QElapsedTimer()
        phase = {"name": "", "started": 0.0}
        keys = itertools.cycle([Qt.Key.Key_I, Qt.Key.Key_Space, Qt.Key.Key_R, Qt.Key.Key_Space,
                                Qt.Key.Key_F, Qt.Key.Key_Space])  # fmt: skip

        def tick() -> None:
            elapsed = clock.nsecsElapsed() / 1e6
            clock.restart()
            if phase["name"]:
                lateness[phase["name"]].append(max(0.0, elapsed - 10.0))
            elif window.model.total:  # alerts arrive: measure from now on
                phase.update(name="stream_only", started=time.monotonic())
                window.table.setFocus()
                window.select_row(0)
            late = time.monotonic() - phase["started"] > seconds / 3
            if phase["name"] == "stream_only" and late:
                phase["name"] = "stream_and_triage"
                key_timer.start(int(1000 / keys_per_s))

        def press() -> None:
            started = time.perf_counter()
            QTest.keyClick(window.table, next(keys))
            key_ms.append((time.perf_counter() - started) * 1000)

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        key_timer = QTimer()
        key_timer.timeout.connect(press)
        timer.start(10)
        clock.start()
        QTimer.singleShot(int(seconds * 1000) + 15_000, app.quit)
        window.connect_stream(settings)
        app.exec()
        rows, triaged = window.model.total, store.triage_counts()
    print(
        json.dumps(
            {
                "rows": rows,
                "triaged": triaged,
                "gui_timer_late_ms": {k: _stats(v) for k, v in lateness.items()},
                "key_handling_ms": _stats(key_ms),
            }
        )
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        gui_child(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300, help="alerts/s sent")
    parser.add_argument("--seconds", type=float, default=40, help="length of the run")
    parser.add_argument("--keys-per-s", type=float, default=8, help="triage keys/s")
    args = parser.parse_args()
    alerts = ztf_alerts() + rubin_alerts()
    total = int(args.rate * (args.seconds + 20))
    messages = unique_messages(alerts, total, "native")
    with EmbeddedBroker("mock") as broker:
        settings = KafkaSettings(broker.bootstrap)
        ensure_topic(settings, TOPIC, 4)
        stop = threading.Event()

        def produce() -> None:  # paced: the stream arrives as a survey's would
            producer = AlertProducer(settings)
            started = time.monotonic()
            for n, (key, value) in enumerate(messages):
                if stop.is_set():
                    break
                producer.send(TOPIC, value, key)
                ahead = n / args.rate - (time.monotonic() - started)
                if ahead > 0:
                    producer.poll(0)
                    time.sleep(ahead)
            producer.flush(10)

        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        child = run_child(__file__, broker.bootstrap, str(args.seconds), str(args.keys_per_s))
        stop.set()
        thread.join(15)
    report({"machine": machine(), "broker": "librdkafka mock", "rate_sent": args.rate, **child})


if __name__ == "__main__":
    main()
