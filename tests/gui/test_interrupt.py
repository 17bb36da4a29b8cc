"""Ctrl-C and SIGTERM close a real viewer process as its close box does: no traceback,
exit status 0, the stream's process stopped through its pipe (not killed by the
terminal's SIGINT), what was received kept, temporary folders gone."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertview.resources import samples_dir

ALERTVIEW = [sys.executable, "-m", "alertview"]
#: Seconds a closing viewer may take (measured: ~1.5 s on a busy 2-core machine).
CLOSE_WITHIN = 15


def _count(index: Path) -> int:
    """Alerts in a session's index, read-only, while the viewer writes it (0 before)."""
    try:
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen]]:
    """The viewers a test started: killed with their groups if the test failed before
    closing them (a demo left running would slow every later test down)."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def _start(
    started: list[subprocess.Popen], tmp_path: Path, *args: str
) -> tuple[subprocess.Popen, Path]:
    """The viewer in a process group of its own (the test's stands for the terminal's),
    temporary folders under ``tmp_path/tmp``."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(tmp),
        "ALERTVIEW_DATA_DIR": str(tmp_path / "data"),
    }
    process = subprocess.Popen(
        [*ALERTVIEW, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    started.append(process)
    return process, tmp


def _wait_for_rows(process: subprocess.Popen, index, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while (rows := _count(index())) == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):  # its children too
                os.killpg(process.pid, signal.SIGKILL)
            _, errors = process.communicate()
            raise AssertionError(f"no alerts stored (exit {process.returncode}): {errors}")
        time.sleep(0.1)
    return rows


def _closed(process: subprocess.Popen, how) -> tuple[float, str, str]:
    """Signal it with ``how``; the seconds it took to exit, its stdout and stderr."""
    started = time.monotonic()
    how()
    try:
        out, errors = process.communicate(timeout=CLOSE_WITHIN)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, errors = process.communicate()
        message = f"still running {CLOSE_WITHIN} s after the signal: {errors}"
        raise AssertionError(message) from None
    return time.monotonic() - started, out, errors


def _group_gone(pgid: int) -> bool:
    """No process left in the viewer's group (its stream's process included)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_in_the_terminal_closes_the_demo_in_order(started, tmp_path):
    """SIGINT to the whole foreground group, as the terminal sends it: the stream's
    process ignores it and is stopped by the viewer; the demo's folder is removed."""
    process, tmp = _start(started, tmp_path, "demo", "--interval", "0.1")
    index = tmp_path / "data" / "sessions" / "demo" / "index.sqlite"
    began = time.monotonic()
    before = _wait_for_rows(process, lambda: index)
    up = time.monotonic() - began
    assert list(tmp.glob("alertview-demo-*")), "the demo keeps its history alerts in TMPDIR"
    seconds, out, errors = _closed(process, lambda: os.killpg(process.pid, signal.SIGINT))
    print(f"demo receiving after {up:.1f} s; closed {seconds:.1f} s after Ctrl-C")
    assert process.returncode == 0, errors
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors
    assert errors.count("alertview: interrupted, closing") == 1, errors
    assert out.rstrip().splitlines()[-1].startswith("alertview demo: stopped; ")
    assert not list(tmp.iterdir()), list(tmp.iterdir())  # its folder, and nothing else
    assert _group_gone(process.pid)
    assert _count(index) >= before  # what was received is kept


def test_sigterm_closes_the_viewer_and_removes_its_temporary_session(started, tmp_path):
    """SIGTERM to the viewer alone (``kill``, a logout): the windows close as on a click,
    so a ``--no-store`` session's folder is removed, as at any close."""
    sample = samples_dir() / "ztf" / "ZTF19acihgng.avro"
    process, tmp = _start(started, tmp_path, "view", "--no-store", str(sample))

    def index() -> Path:
        found = list(tmp.glob("alertview-temporary-*/session/index.sqlite"))
        return found[0] if found else tmp / "none"

    _wait_for_rows(process, index)
    seconds, _out, errors = _closed(process, lambda: process.send_signal(signal.SIGTERM))
    print(f"viewer closed {seconds:.1f} s after SIGTERM")
    assert process.returncode == 0, errors
    assert "Traceback" not in errors, errors
    assert errors.count("alertview: terminated, closing") == 1, errors
    assert not list(tmp.iterdir()), list(tmp.iterdir())
    assert _group_gone(process.pid)
