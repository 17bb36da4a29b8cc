"""kill -9 mid-stream, ten times, for both users of the one ingest path.

The viewer's stream process (an ``IngestProcess``, no Qt) and ``alertview
consume`` are each killed with SIGKILL at ten random moments (seeded) while
a stream arrives, and restarted with the same session and group each time.
Afterwards the session opens and holds every produced alert exactly once:
what was committed was on disk, what was not is read again and recognised.

Tansu, with a 1 s session timeout: a member killed without leaving is
replaced in ~1 s instead of 6 (the mock broker does not take timeouts that
short).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.renumber import renumbered
from alertview.core.replay import MessageFramer
from alertview.core.session.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.ingest import IngestProcess, SchemaSource
from alertview.core.stream.messages import Command, Failed, RowsStored
from alertview.core.stream.producer import AlertProducer, ensure_topic
from tests.conftest import ZTF_FILES
from tests.stream.commands import Command as CliCommand

KILLS = 10
#: Alerts ready for each topic: more than ten restarts take at RATE (those sent count).
COUNT = 2000
#: Alerts sent per second while the consumers run and are killed.
RATE = 20
#: A group's member killed without leaving is given up after this long.
SESSION_TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def tansu() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("tansu") as running:
        yield running


class _Stream:
    """Real ZTF packets (the smaller ones), each with an alert id of its own, sent at
    ``RATE`` a second from a thread until stopped."""

    def __init__(self, kafka: KafkaSettings, topic: str, count: int) -> None:
        ensure_topic(kafka, topic, 4)
        alerts = [
            a for a in read_alerts(ZTF_FILES, SchemaCache()) if not isinstance(a, DecodeError)
        ]
        small = sorted(alerts, key=lambda a: len(a.packet.data))[:4]
        framer = MessageFramer("native", SchemaCache())
        self.messages = []
        self.ids: list[int] = []
        for n in range(count):
            alert = renumbered(small[n % len(small)], n // len(small))
            self.ids.append(alert.alert_id)
            self.messages.append(framer(alert))
        assert len(set(self.ids)) == count
        self.producer = AlertProducer(kafka)
        self.topic = topic
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)

    def start(self, first: int) -> _Stream:
        """Send ``first`` messages at once, then the rest at ``RATE`` a second."""
        self._send_some(first)
        self._thread.start()
        return self

    def _send_some(self, count: int) -> None:
        for key, value in self.messages[self.sent : self.sent + count]:
            self.producer.send(self.topic, value, key)
        self.sent = min(len(self.messages), self.sent + count)
        self.producer.poll(0)

    def _send(self) -> None:
        step = max(1, RATE // 10)
        while self.sent < len(self.messages) and not self._stop.wait(step / RATE):
            self._send_some(step)

    def finish(self) -> list[int]:
        """Stop sending; the ids of everything sent."""
        self._stop.set()
        self._thread.join()
        assert self.producer.flush(30).delivered == self.sent
        return self.ids[: self.sent]


def _assert_once(folder, ids: list[int]) -> None:
    store = AlertStore(folder)  # the session opens after ten kills
    try:
        stored = [row[2] for row in store.rows()]
        assert not store.errors()
    finally:
        store.close()
    assert len(stored) == len(set(stored))  # exactly once
    assert sorted(stored) == sorted(ids), f"{len(set(ids) - set(stored))} alerts lost"


def _wait_stored(process: IngestProcess, timeout: float = 30) -> None:
    """Until the process has stored a batch (or found it stored before it was killed)."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline and process.alive
        for news in process.receive(0.05):
            assert not isinstance(news, Failed), news
            if isinstance(news, RowsStored) and news.messages:
                return


def _kill_viewer(kafka: KafkaSettings, folder) -> list[int]:
    """The viewer's stream process killed ten times, then run to the end; the ids sent."""
    topic, group = f"kill-view-{uuid.uuid4().hex[:6]}", f"viewer-{uuid.uuid4().hex[:6]}"
    stream = _Stream(kafka, topic, COUNT).start(first=60)
    settings = ConsumerSettings(
        kafka, (topic,), group, "committed", detail=Detail.TABLE,
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )  # fmt: skip
    rng = random.Random(13)
    for _ in range(KILLS):
        process = IngestProcess(settings, folder, SchemaSource())
        try:
            _wait_stored(process)
            time.sleep(rng.uniform(0, 0.5))  # mid-stream: RATE alerts a second arrive
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.join(5)
    ids = stream.finish()
    with AlertStore(folder) as store:
        held = len(store)
    process = IngestProcess(settings, folder, SchemaSource())  # the last run reads the rest
    try:
        deadline = time.monotonic() + 40
        while held < len(ids):
            assert time.monotonic() < deadline and process.alive, (held, len(ids))
            for news in process.receive(0.2):
                assert not isinstance(news, Failed), news
                if isinstance(news, RowsStored):
                    held += len(news.rows)
    finally:
        process.command(Command.STOP)
        while process.alive and not process.finished:
            list(process.receive(0.2))
        process.join()
    return ids


def _kill_consume(kafka: KafkaSettings, data) -> tuple[list[int], set[str]]:
    """``consume`` killed ten times, then run to the end; the ids sent, the groups said."""
    topic = f"kill-consume-{uuid.uuid4().hex[:6]}"
    stream = _Stream(kafka, topic, COUNT).start(first=60)
    args = (
        "consume", "--bootstrap", kafka.bootstrap, "--topic", topic, "--session", "killed",
        "--from", "committed", "--json",
        "-X", f"session.timeout.ms={SESSION_TIMEOUT_MS}", "-X", "heartbeat.interval.ms=250",
    )  # fmt: skip
    env = {"ALERTVIEW_DATA_DIR": str(data)}
    rng = random.Random(14)
    groups = set()
    for _ in range(KILLS):
        with CliCommand(*args, env=env) as command:
            command.wait_lines(1, 30)  # it has stored and printed a batch
            time.sleep(rng.uniform(0, 0.5))
            command.process.send_signal(signal.SIGKILL)
            command.finish(10)
            said = [x for x in command.err if x.startswith("alertview: group ")]
            groups.update(line.split()[2] for line in said)
    ids = stream.finish()
    with CliCommand(*args, "--timeout", "3", env=env) as last:
        assert last.finish(60) == 0, last.stderr
    return ids, groups


def test_viewer_process_and_consume_killed_ten_times_each_lose_nothing(tansu, tmp_path):
    kafka = KafkaSettings(tansu.bootstrap)
    viewer: dict[str, object] = {}

    def run_viewer() -> None:
        try:
            viewer["ids"] = _kill_viewer(kafka, tmp_path / "viewer")
        except BaseException as exc:  # re-raised below, in the test's thread
            viewer["failure"] = exc

    side = threading.Thread(target=run_viewer)  # side by side: half the time
    side.start()
    try:
        ids, groups = _kill_consume(kafka, tmp_path / "data")
    finally:
        side.join(120)
    if "failure" in viewer:
        raise viewer["failure"]  # type: ignore[misc]
    assert len(groups) == 1  # the same default group every time
    _assert_once(tmp_path / "data" / "sessions" / "killed", ids)
    _assert_once(tmp_path / "viewer", viewer["ids"])  # type: ignore[arg-type]
