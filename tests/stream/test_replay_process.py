"""The demo's replay runs in a child process: it counts what it sent, stops when asked,
and ends with its parent when that one exits without asking (a second Ctrl-C)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.replay import Cadence
from alertview.core.replay_process import ReplayProcess
from alertview.core.stream.config import KafkaSettings
from alertview.resources import samples_dir
from tests.stream.conftest import n_alerts, read_all

ORPHANING_PARENT = textwrap.dedent(
    """
    import os, time
    from alertview.gui.demo import DemoStream

    if __name__ == "__main__":
        demo = DemoStream(interval=0.2).start()
        print(demo._replay.pid, flush=True)
        os._exit(3)  # no stop, no cleanup: as after a second Ctrl-C
    """
)


def _gone(pid: int) -> bool:
    """No such process, or a zombie waiting for init."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" in status.read_text()
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


def test_the_replay_sends_to_the_broker_and_stops_when_asked(mock_broker, tmp_path):
    settings = KafkaSettings(mock_broker.bootstrap)
    cadence = Cadence(interval=0.1, visit_size=5, loop=True, renumber=True)
    replay = ReplayProcess(settings, "replayed", [samples_dir()], tmp_path, cadence)
    try:
        deadline = time.monotonic() + 60
        while replay.sent < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert replay.sent >= 10
        assert list(tmp_path.iterdir()), "the history alerts are written in the given folder"
    finally:
        replay.stop()
    assert not replay.alive and replay.exitcode == 0
    batches = read_all(settings, "replayed", replay.sent, timeout=30)
    assert n_alerts(batches) == replay.sent  # flushed before it ended: all reached it
    assert not [e for b in batches for e in b.errors]


def test_the_replay_ends_with_its_parent():
    result = subprocess.run(
        [sys.executable, "-c", ORPHANING_PARENT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 3, result.stderr
    pid = int(result.stdout.split()[0])
    deadline = time.monotonic() + 15
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid), "the replay went on producing after its parent's exit"
