"""The viewer on real Apache Kafka that stops and comes back on the same data.

The status bar says since when the broker has been unreachable (within
~10-15 s), the stream resumes by itself from the committed offsets with each
alert stored once, and Stream → Stop stays prompt while the broker is gone.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.producer import ensure_topic
from tests.stream.kafka_data import produce, stored_ids, stored_offsets, ztf_messages

N = 600
UNREACHABLE = "broker unreachable since"


def _wait_for_outage(window, qtbot, stopped: float) -> float:
    """Seconds from ``stopped`` to the status bar's line; checks the time shown."""
    qtbot.waitUntil(lambda: UNREACHABLE in window.status.text(), timeout=15000)
    noticed = time.monotonic() - stopped
    shown = re.search(r"since (\d\d):(\d\d):(\d\d)", window.status.text())
    assert shown, window.status.text()
    now = datetime.now()
    clock = [int(part) for part in shown.groups()]
    ago = (now.hour - clock[0]) * 3600 + (now.minute - clock[1]) * 60 + now.second - clock[2]
    assert 0 <= ago % 86400 <= 20, (window.status.text(), now)  # local time, just now
    return noticed


def test_the_status_bar_shows_an_outage_and_the_stream_resumes(window, qtbot, tmp_path):
    data = tmp_path / "kafka"
    broker = EmbeddedBroker("kafka", data=data).start()
    try:
        port, kafka = broker.port, KafkaSettings(broker.bootstrap)
        topic = f"outage-{uuid.uuid4().hex[:8]}"
        ensure_topic(kafka, topic, 2)
        messages = ztf_messages(N)
        produce(kafka, topic, messages[: N // 2])
        settings = ConsumerSettings(kafka, (topic,), f"g-{uuid.uuid4().hex[:6]}", "earliest")
        worker = window.connect_stream(settings)
        qtbot.waitUntil(lambda: window.model.total >= N // 2, timeout=60000)

        asked = time.monotonic()
        broker.stop()
        ended = time.monotonic()
        noticed = _wait_for_outage(window, qtbot, ended)
        print(
            f"\nstatus bar: {window.status.text()!r}, {noticed:.1f} s after the broker ended "
            f"({ended - asked + noticed:.1f} s after it was asked to stop)"
        )
        assert worker.isRunning()

        broker = EmbeddedBroker("kafka", port=port, data=data).start()
        qtbot.waitUntil(lambda: UNREACHABLE not in window.status.text(), timeout=30000)
        produce(kafka, topic, messages[N // 2 :])
        qtbot.waitUntil(lambda: window.model.total >= N, timeout=60000)
        qtbot.wait(1500)  # anything read twice would land now
        assert window.model.total == N
        ids, offsets = stored_ids(window.store), stored_offsets(window.store)
        assert len(ids) == N and len(set(ids)) == N and len(set(offsets)) == N

        # a second outage: Stop returns at once although no broker answers
        broker.stop()
        _wait_for_outage(window, qtbot, time.monotonic())
        asked = time.monotonic()
        window.stop_action.trigger()
        took = time.monotonic() - asked
        print(f"Stop during the outage took {took:.2f} s")
        assert took < 2.0
        assert not worker.isRunning() and window.worker is None
        assert UNREACHABLE not in window.status.text()  # nothing streams: no outage to show
    finally:
        broker.stop()
