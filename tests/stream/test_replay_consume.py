"""Replay the shared alerts into a real broker and read them back, every framing."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.replay import Cadence, MessageFramer, ReplayError, group_visits, replay
from alertview.core.session.store import AlertStore
from alertview.core.stream.admin import list_topics
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic
from alertview.core.summary import alert_summary
from tests.conftest import FINK_LSST_TRANSFER, SHARED, ZTF_FILES
from tests.stream.conftest import consume_until, n_alerts, read_all

PHYSICS_KEYS = (
    "survey", "schema", "alert_id", "object_id", "ra", "dec", "mjd", "time_scale", "band",
    "mag", "mag_err", "flux", "flux_err", "n_history_detections", "n_upper_limits",
    "n_forced", "cutout_shapes",
)  # fmt: skip


def file_alerts(paths):
    return [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, DecodeError)]


def publish(kafka, topic, paths, framing="native", interval=0.0, **cadence):
    ensure_topic(kafka, topic, 3)
    producer = AlertProducer(kafka)
    sent = []

    def send(key, value):
        sent.append((key, value))
        producer.send(topic, value, key)

    progress = replay(
        paths, send, MessageFramer(framing, SchemaCache()), Cadence(interval, **cadence)
    )
    stats = producer.flush(30)
    assert stats.failed == 0 and stats.delivered == progress.alerts == len(sent)
    return sent


def summaries(alerts):
    return {
        a.alert_id: {k: v for k, v in alert_summary(a).items() if k in PHYSICS_KEYS}
        for a in alerts
    }


@pytest.mark.parametrize("framing", ["native", "fink"])
def test_every_shared_alert_arrives_once_and_decodes_like_inspect(kafka, topic, framing):
    expected = file_alerts([SHARED])
    sent = publish(kafka, topic, [SHARED], framing)
    batches = read_all(kafka, topic, len(expected))
    received = [a for b in batches for a in b.alerts]
    assert not [e for b in batches for e in b.errors]
    assert sorted(a.alert_id for a in received) == sorted(a.alert_id for a in expected)
    assert summaries(received) == summaries(expected)
    # what arrived is byte for byte what was sent
    assert sorted(a.packet.data for a in received) == sorted(value for _, value in sent)
    if framing == "native":
        ztf_bytes = {f.read_bytes() for f in ZTF_FILES}
        assert ztf_bytes <= {a.packet.data for a in received}  # ZTF files travel unchanged
        rubin = [a for a in received if a.survey == "lsst"]
        assert {a.packet.data[:5] for a in rubin} == {b"\x00\x00\x00\x03\xe8"}  # Confluent, v10.0


def test_rubin_confluent_framing(kafka, topic):
    publish(kafka, topic, [FINK_LSST_TRANSFER], "confluent")
    batches = read_all(kafka, topic, 7)
    alerts = [a for b in batches for a in b.alerts]
    assert len(alerts) == 7 and {str(a.packet.framing) for a in alerts} == {"confluent"}
    assert summaries(alerts) == summaries(file_alerts([FINK_LSST_TRANSFER]))


def test_confluent_framing_of_ztf_needs_a_schema_id():
    framer = MessageFramer("confluent", SchemaCache())
    alert = file_alerts([ZTF_FILES[0]])[0]
    with pytest.raises(ReplayError, match="--schema-id"):
        framer(alert)
    key, value = MessageFramer("confluent", SchemaCache(), schema_id=42)(alert)
    assert value[:5] == b"\x00\x00\x00\x00\x2a" and key == str(alert.alert_id).encode()


def test_garbage_in_the_middle_is_one_error_record(kafka, topic):
    ensure_topic(kafka, topic, 1)
    producer = AlertProducer(kafka)
    files = ZTF_FILES[:4]
    for path in files[:2]:
        producer.send(topic, path.read_bytes())
    producer.send(topic, b"\x00\x00\x00\x00\x07 this is not an alert")
    for path in files[2:]:
        producer.send(topic, path.read_bytes())
    assert producer.flush(20).failed == 0
    batches = read_all(kafka, topic, 5)
    errors = [e for b in batches for e in b.errors]
    assert n_alerts(batches) == 4 and len(errors) == 1
    assert errors[0].topic == topic and "unknown schema id 7" in errors[0].reason
    assert str(errors[0]).startswith(f"{topic}[{errors[0].partition}]@{errors[0].offset}: ")


def test_group_restart_resumes_without_loss_or_duplicates(kafka, topic, tmp_path):
    expected = {a.alert_id for a in file_alerts([SHARED])}
    publish(kafka, topic, [SHARED])
    settings = ConsumerSettings(kafka, (topic,), f"restart-{topic}", "committed", batch_size=8)
    store = AlertStore(tmp_path / "session")
    with AlertConsumer(settings) as first:
        part = consume_until(first, lambda b: n_alerts(b) >= 20)
        for batch in part:
            store.add(batch.alerts)
        first.commit_sync()
    seen_first = [a.alert_id for b in part for a in b.alerts]
    assert 20 <= len(seen_first) < len(expected)
    with AlertConsumer(settings) as second:
        rest = consume_until(second, lambda b: len(seen_first) + n_alerts(b) >= len(expected))
        for batch in rest:
            store.add(batch.alerts)
    seen_second = [a.alert_id for b in rest for a in b.alerts]
    assert not set(seen_first) & set(seen_second)  # no duplicates
    assert set(seen_first) | set(seen_second) == expected  # no loss
    assert len(store) == len(expected)
    # a re-delivered batch is recognised and kept once
    assert store.add(rest[0].alerts) == 0 and len(store) == len(expected)
    store.close()


def test_topic_listing_with_watermarks_and_lag(kafka, broker, topic):
    publish(kafka, topic, ZTF_FILES)
    group = f"lag-{topic}"
    read_all(kafka, topic, 3, group=group, start="earliest", timeout=20)
    (info,) = list_topics(kafka, group=group, topics=[topic])
    assert info.name == topic and info.partitions
    if broker.engine == "mock":  # Tansu's high watermarks are approximate (see README)
        assert info.available == len(ZTF_FILES)
        assert info.lag is not None and 0 <= info.lag <= len(ZTF_FILES)
    assert all(p.committed is None or p.committed >= 0 for p in info.partitions)


def test_pause_resume_and_stop_from_another_thread(kafka, topic):
    publish(kafka, topic, ZTF_FILES)
    settings = ConsumerSettings(kafka, (topic,), f"pause-{topic}", "earliest")
    with AlertConsumer(settings) as consumer:
        consumer.pause()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not consumer.assignment():
            assert not consumer.poll().alerts
        paused_batches = [consumer.poll() for _ in range(10)]
        assert consumer.paused and not any(b.alerts for b in paused_batches)
        threading.Thread(target=consumer.resume).start()
        got = consume_until(consumer, lambda b: n_alerts(b) >= len(ZTF_FILES), 20)
        assert n_alerts(got) == len(ZTF_FILES) and not consumer.paused
        threading.Thread(target=consumer.stop).start()
        time.sleep(0.1)
        assert consumer.stopped


class _PacedClock(threading.Event):
    """replay's clock and its stop event in one: time passes only by the waits replay
    asks for, so its schedule is checked exactly, whatever the machine's load."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 100.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        self.now += timeout or 0.0
        return self.is_set()


def test_replay_sends_visits_as_groups_at_the_interval(kafka, topic, monkeypatch):
    ensure_topic(kafka, topic, 1)
    producer = AlertProducer(kafka)
    clock = _PacedClock()
    monkeypatch.setattr("alertview.core.replay.time", clock)
    times: list[tuple[float, int]] = []
    progress = replay(
        [SHARED / "fink" / "avro_multi_alerts.avro"],
        lambda key, value: producer.send(topic, value, key),
        MessageFramer("native", SchemaCache()),
        Cadence(interval=0.4, visit_size=3),
        on_visit=lambda p, visit: times.append((clock.monotonic(), len(visit))),
        stop=clock,
    )
    assert producer.flush(20).delivered == 11 == progress.alerts
    assert [n for _, n in times] == [3, 3, 3, 2]
    assert clock.waits == pytest.approx([0, 0.4, 0.4, 0.4])  # the first visit at once
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.4, 0.4, 0.4])


def test_visits_group_by_exposure_and_limit_loop():
    alerts = file_alerts([SHARED / "fink" / "avro_multi_alerts.avro"])
    visits = list(group_visits(alerts))
    for visit in visits:  # every alert of a visit shares the exposure time
        assert len({a.record["candidate"]["jd"] for a in visit}) == 1
    assert sum(len(v) for v in visits) == 11
    sent = []
    progress = replay(
        [ZTF_FILES[0]],
        lambda k, v: sent.append(v),
        MessageFramer("native", SchemaCache()),
        Cadence(interval=0, loop=True, limit=5),
    )
    assert progress.alerts == 5 and len(sent) == 5 and len(set(sent)) == 1


def test_ten_megabyte_alert_travels(kafka, topic):
    """A real ZTF record with a 10 MB science stamp: producer, broker and consumer take it."""
    import os as _os

    from alertview.core.avro.encode import container_file

    alert = file_alerts([ZTF_FILES[4]])[0]
    record = dict(alert.record)
    record["cutoutScience"] = {"fileName": "big.fits.gz", "stampData": _os.urandom(10_000_000)}
    big = container_file([record], alert.packet.schema)
    assert len(big) > 10_000_000
    ensure_topic(kafka, topic, 1)
    producer = AlertProducer(kafka)
    producer.send(topic, big)
    assert producer.flush(60).delivered == 1
    batches = read_all(kafka, topic, 1)
    (received,) = [a for b in batches for a in b.alerts]
    assert received.packet.data == big and len(received.cutouts["science"]) == 10_000_000
