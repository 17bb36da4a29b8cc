"""`consume --out` killed at random moments: no alert whose offset was committed is missing.

The consumer's sinks (store, --out files, stdout) must all hold a batch before
its offsets are committed; a consumer killed with SIGKILL between the two
used to lose the files of the rest of its batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import signal
import string
import threading
import time
import uuid

import fastavro
import pytest

from alertview.commands.consume import packet_name
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.renumber import renumbered
from alertview.core.replay import MessageFramer
from alertview.core.stream.admin import list_topics
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer
from tests.conftest import ZTF_FILES
from tests.stream.commands import Command
from tests.stream.conftest import consume_until, n_alerts

#: ~60 KB each: 240 stay within the mock broker's ~5 MB kept per partition (4 partitions).
TOTAL = 240


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


def _publish(kafka: KafkaSettings, topic: str, start: int, count: int, pace: float = 0) -> None:
    """Real ZTF packets, each alert id new (the n-th pass over the files adds n to it);
    with ``pace``, a visit of 12 every ``pace`` seconds."""
    alerts = [a for a in read_alerts(ZTF_FILES, SchemaCache()) if not isinstance(a, DecodeError)]
    framer = MessageFramer("native", SchemaCache())
    producer = AlertProducer(kafka)
    for n in range(start, start + count):
        key, value = framer(renumbered(alerts[n % len(alerts)], n // len(alerts)))
        producer.send(topic, value, key)
        if pace and n % 12 == 11:
            producer.poll(0)
            time.sleep(pace)
    assert producer.flush(30).delivered == count


def _consume(bootstrap: str, topic: str, group: str, out, data, *extra: str) -> Command:
    return Command(
        "consume", "--bootstrap", bootstrap, "--topic", topic, "--group", group,
        "--from", "earliest", "--out", out, "--json", *extra,
        env={"ALERTVIEW_DATA_DIR": str(data)},
    )  # fmt: skip


def _ids_in(folder) -> set[int]:
    found = list(read_alerts([folder], SchemaCache()))
    assert not [e for e in found if isinstance(e, DecodeError)]  # no torn files either
    return {a.alert_id for a in found}


def test_sigkill_never_loses_a_committed_alerts_out_file(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"crash-{uuid.uuid4().hex[:6]}"
    _publish(kafka, topic, 0, 60)  # what the consumers find when they have joined
    runs = []
    with contextlib.ExitStack() as running:
        for n in range(4):
            group, out = f"crash-{n}-{topic}", tmp_path / f"out{n}"
            command = _consume(kafka.bootstrap, topic, group, out, tmp_path / "d")
            runs.append((group, out, running.enter_context(command)))
        for _, _, command in runs:  # each has joined its group and is writing
            assert command.wait_lines(1, 30)[0].startswith("{")
        # the rest arrives as a live stream meanwhile: a visit of 12 every 0.15 s
        rest = threading.Thread(target=_publish, args=(kafka, topic, 60, TOTAL - 60, 0.15))
        rest.start()
        rng = random.Random(10)
        for _, _, command in runs:
            time.sleep(rng.uniform(0.1, 0.8))
            command.process.send_signal(signal.SIGKILL)
        rest.join()
    # which alert each message holds, read independently of the killed consumers
    settings = ConsumerSettings(kafka, (topic,), f"reader-{topic}", "earliest")
    with AlertConsumer(settings) as reader:
        batches = consume_until(reader, lambda b: n_alerts(b) >= TOTAL, 30, commit=False)
    where = {(a.origin.partition, a.origin.offset): a.alert_id for b in batches for a in b.alerts}
    assert len(where) == len(set(where.values())) == TOTAL
    committed = []
    for group, out, _ in runs:
        (info,) = list_topics(kafka, group=group, topics=[topic])
        offsets = {p.partition: p.committed or 0 for p in info.partitions}
        below = [key for key in where if key[1] < offsets.get(key[0], 0)]
        must_have = {where[key] for key in below}
        written = _ids_in(out) if out.exists() else set()
        assert must_have <= written, f"{len(must_have - written)} committed alerts lost"
        committed.append(len(below))
    assert any(committed)  # the kills did not all come before the first commit
    assert not all(n == TOTAL for n in committed)  # and not all after the last
    # the same group, started again, goes on where it was killed: nothing lost at all
    group, out, _ = runs[0]
    left = str(TOTAL - committed[0])
    with _consume(
        kafka.bootstrap, topic, group, out, tmp_path / "d", "--from", "committed", "--max", left
    ) as again:
        assert again.finish(40) == 0, again.stderr
    assert _ids_in(out) == set(where.values())


def test_out_file_names_are_safe_bounded_and_unique(mock_broker, tmp_path):
    """A raw objectId of 300 characters with a NUL and a slash ended `consume` mid-batch."""
    (alert,) = [a for a in read_alerts([ZTF_FILES[0]], SchemaCache())]
    hostile = "ZTF" + "\x00/..\\" + "x" * 300
    names = {
        packet_name(dataclasses.replace(alert, object_id=object_id))
        for object_id in (hostile, hostile + "y", "a/b", "a_b", "..", None, alert.object_id)
    }
    assert len(names) == 7  # unique, though several clean up to the same characters
    for name in names:
        assert len(name.encode()) <= 200 and not name.startswith(".")
        assert set(name) <= set(string.ascii_letters + string.digits + "._+-")
    # a real ZTF packet carrying that objectId travels and is saved under a safe name
    with ZTF_FILES[0].open("rb") as stream:
        reader = fastavro.reader(stream)
        schema, records = reader.writer_schema, list(reader)
    records[0]["objectId"] = hostile
    packet = tmp_path / "hostile.avro"
    with packet.open("wb") as stream:
        fastavro.writer(stream, schema, records)
    topic = f"names-{uuid.uuid4().hex[:6]}"
    producer = AlertProducer(KafkaSettings(mock_broker.bootstrap))
    for path in (packet, *ZTF_FILES[1:3]):
        producer.send(topic, path.read_bytes())
    assert producer.flush(20).delivered == 3
    out = tmp_path / "out"
    with _consume(
        mock_broker.bootstrap, topic, f"g-{topic}", out, tmp_path / "d", "--max", "3"
    ) as run:
        assert run.finish(60) == 0, run.stderr
    assert len(run.out) == 3 and len(list(out.iterdir())) == 3
    saved = {a.object_id for a in read_alerts([out], SchemaCache())}
    assert hostile in saved
