"""The tests never reach the developer's own keyring, in process or in a child process."""

from __future__ import annotations

import subprocess
import sys

import keyring

from alertview.core import logs, secrets
from tests.conftest import LOG_DIR
from tests.fake_keyrings import MemoryKeyring, NoKeyring, using_keyring
from tests.stream.commands import child_env

WHICH = "import keyring; k = keyring.get_keyring(); print(type(k).__module__, type(k).__name__)"


def test_every_test_starts_without_a_keyring(isolated_keyring):
    assert isinstance(isolated_keyring, NoKeyring)
    assert keyring.get_keyring() is isolated_keyring
    assert secrets.secure_keyring() is None  # nothing is remembered, nowhere
    with using_keyring(MemoryKeyring()) as memory:
        memory.set_password("alertview", "alice", "s3cret")
    assert keyring.get_keyring() is isolated_keyring  # the fake was put back


def test_child_processes_have_no_keyring_either(monkeypatch):
    # inherited from the tests' environment (tests/conftest.py)
    inherited = subprocess.run([sys.executable, "-c", WHICH], capture_output=True, text=True)
    assert inherited.stdout.split() == ["keyring.backends.fail", "Keyring"], inherited.stderr
    # and given by tests/stream/commands.py even to a run whose environment lacks it
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    given = subprocess.run(
        [sys.executable, "-c", WHICH], capture_output=True, text=True, env=child_env()
    )
    assert given.stdout.split() == ["keyring.backends.fail", "Keyring"], given.stderr


def test_log_files_go_to_the_tests_own_folder():
    assert logs.log_dir() == LOG_DIR  # children inherit ALERTVIEW_LOG_DIR
