"""`consume`'s own consumer group per session, --no-store, and a full disk."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Iterator

import pytest

from alertview.commands.consume import consume_group
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.session.meta import default_group_id
from alertview.core.session.retention import MIN_FREE_ENV
from alertview.core.stream.config import KafkaSettings
from tests.stream.commands import run_alertview
from tests.stream.test_ingest_pipeline import committed, publish


@pytest.fixture(scope="module")
def mock_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("mock") as running:
        yield running


def _consume(bootstrap: str, topic: str, *args: object, env: dict | None = None):
    """``consume`` to the 7th alert (each test publishes 7)."""
    return run_alertview(
        "consume", "--bootstrap", bootstrap, "--topic", topic, "--from", "committed",
        "--json", "--timeout", "20", "--max", "7", *args, env=env,
    )  # fmt: skip


def _group_said(stderr: str) -> str:
    (line,) = [x for x in stderr.splitlines() if x.startswith("alertview: group ")]
    return line.split()[2]


def test_consume_has_a_group_of_its_own_per_session(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"own-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 7)
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path)}
    done = _consume(kafka.bootstrap, topic, env=env)
    assert done.returncode == 0, done.stderr
    group = _group_said(done.stderr)
    session = f"consume-{topic}"
    assert group == consume_group(session) and "consume" in group and session in group
    # not the viewer's: neither its old default nor its default for the same session
    viewers = (f"alertview-{getpass.getuser()}", default_group_id("view", session))
    assert group not in viewers
    assert committed(kafka, group, topic) == len(ids)  # the offsets are that group's
    other = _consume(kafka.bootstrap, topic, "--session", "other", env=env)
    assert _group_said(other.stderr) != group  # another session: another group
    assert len(other.stdout.splitlines()) == len(ids)  # which has read nothing yet


def test_no_store_keeps_nothing_and_commits_nothing(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic, group = f"nostore-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 7)
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path)}
    for _ in range(2):  # from "committed" both times: the second run reads them all again
        done = _consume(kafka.bootstrap, topic, "--group", group, "--no-store", env=env)
        assert done.returncode == 0, done.stderr
        assert sorted(json.loads(x)["alert_id"] for x in done.stdout.splitlines()) == sorted(ids)
    assert committed(kafka, group, topic) == 0
    assert not (tmp_path / "sessions").exists()


def test_a_full_disk_stops_consume_with_the_offsets_uncommitted(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic, group = f"full-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 7)
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path), MIN_FREE_ENV: str(2**62)}
    done = _consume(kafka.bootstrap, topic, "--group", group, env=env)
    assert done.returncode == 1
    (line,) = [x for x in done.stderr.splitlines() if "disk nearly full" in x]
    assert line.startswith("alertview: ") and "Traceback" not in done.stderr
    assert not done.stdout  # nothing stored, so nothing printed
    assert committed(kafka, group, topic) == 0
    env[MIN_FREE_ENV] = "0"  # space is back: the next run reads them all
    again = _consume(kafka.bootstrap, topic, "--group", group, env=env)
    assert again.returncode == 0, again.stderr
    assert sorted(json.loads(x)["alert_id"] for x in again.stdout.splitlines()) == sorted(ids)
    assert committed(kafka, group, topic) == len(ids)


def test_consume_keeps_its_session_for_the_viewer_with_its_retention(
    mock_broker, tmp_path, monkeypatch
):
    from alertview.core.session.folder import Session

    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"kept-{uuid.uuid4().hex[:6]}"
    publish(kafka, topic, 7)
    env = {"ALERTVIEW_DATA_DIR": str(tmp_path)}
    bad = _consume(kafka.bootstrap, topic, "--keep-packets", "5 parsecs", env=env)
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines()[-1].startswith("alertview: --keep-packets: retention")
    done = _consume(kafka.bootstrap, topic, "--session", "kept night", "--keep-packets",
                    "2GB,7d", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    group = _group_said(done.stderr)
    meta = json.loads((tmp_path / "sessions" / "kept_night" / "session.json").read_text())
    assert meta["name"] == "kept night"
    assert meta["stream"] == {
        "bootstrap": kafka.bootstrap,
        "topics": [topic],
        "group_id": group,
        "profile": None,
    }  # fmt: skip  (what Stream → Resume in the viewer joins again)
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path))
    with Session.named("kept night") as session:
        assert str(session.store.retention) == "2GB,7d"
        assert len(session.store) == 7
