"""`alertview view --bootstrap … --topic …`: the viewer reads a stream from its start,
into the session the connection dialog would name, with the dialog's default group."""

from __future__ import annotations

import signal
import sqlite3
import time
import uuid

import pytest

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.session.meta import default_group_id, stream_session_name
from alertview.core.stream.config import KafkaSettings
from tests.stream.commands import Command, run_alertview
from tests.stream.kafka_data import produce, ztf_messages

COUNT = 40


def stored(folder) -> int:
    """Rows the viewer's session holds so far (read-only: the viewer holds it)."""
    index = folder / "index.sqlite"
    if not index.exists():
        return 0
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        db.close()


def test_view_reads_the_stream_its_command_line_names(tmp_path):
    with EmbeddedBroker("mock") as broker:
        topic = f"view-cli-{uuid.uuid4().hex[:8]}"
        produce(KafkaSettings(broker.bootstrap), topic, ztf_messages(COUNT))
        data = tmp_path / "data"
        env = {"ALERTVIEW_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
        args = ("view", "--bootstrap", broker.bootstrap, "--topic", topic, "--from", "earliest")
        name = stream_session_name((topic,), broker.bootstrap)
        folder = data / "sessions" / name
        with Command(*args, env=env) as viewer:
            deadline = time.monotonic() + 60
            while stored(folder) < COUNT:
                assert viewer.process.poll() is None, viewer.stderr
                assert time.monotonic() < deadline, (stored(folder), viewer.stderr)
                time.sleep(0.25)
            viewer.process.send_signal(signal.SIGTERM)  # closes the window in order
            assert viewer.finish(30) == 0, viewer.stderr
        assert stored(folder) == COUNT  # each alert once
        shown = run_alertview("sessions", "show", name, "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert topic in shown.stdout and broker.bootstrap in shown.stdout
        assert default_group_id("view", name) in shown.stdout  # the dialog's default


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--topic", "t"), "needs both --bootstrap and --topic"),
        (("--bootstrap", "127.0.0.1:9"), "needs both --bootstrap and --topic"),
        (("--group", "g"), "--group is for a stream"),
        (("--bootstrap", "h:1", "--topic", "t", "--registry", "https://u:secret@reg"),
         "credentials on the command line"),
    ],
)  # fmt: skip
def test_view_refuses_half_a_stream_and_secrets_in_argv(tmp_path, args, said):
    done = run_alertview(
        "view", *args, env={"ALERTVIEW_DATA_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    )
    assert done.returncode != 0 and said in done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr
