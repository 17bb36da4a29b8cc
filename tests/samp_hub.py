"""A SAMP hub and a test client for the tests: astropy's hub in this process, its
lockfile in ``tmp_path`` (``SAMP_HUB``), and ``HOME`` there too (astropy sweeps
``~/.samp`` and ``~/.samp-1`` of dead hubs when it starts one): a user's own hub is
never seen nor touched. A test module's fixtures ``yield from`` these (fixtures
imported across modules confuse linters and pytest's assertion rewriting alike)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from alertview.core.samp.library import SAMPHubServer, SAMPIntegratedClient, local_only, quiet
from alertview.core.samp.messages import MTYPE_FITS, MTYPE_TABLE

#: Seconds a test waits for a SAMP message.
TIMEOUT = 10.0


def private_hub_env(tmp_path, monkeypatch):
    """A private lockfile for every hub of the test, and a private home folder (astropy
    sweeps ``~/.samp`` and ``~/.samp-1`` of dead hubs when it starts one)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    lockfile = tmp_path / "samp-lock"
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:{lockfile.as_uri()}")
    threads = set(threading.enumerate())
    yield lockfile
    deadline = time.monotonic() + 5  # the hub's delivery threads end on their own
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t not in threads and t.is_alive()]
        if not extra:
            break
        time.sleep(0.05)
    assert not extra, f"SAMP threads left running: {extra}"


def running_hub(samp_env):
    """The desktop's hub, as if another tool had started it."""
    with local_only(), quiet():
        server = SAMPHubServer(web_profile=False, lockfile=str(samp_env), addr="127.0.0.1")
        server.start(wait=False)
    yield server
    with quiet():
        server.stop()


class Listener:
    """A test client (a stand-in for TOPCAT or Aladin) that keeps what it receives."""

    MTYPES = (MTYPE_TABLE, MTYPE_FITS, "coord.pointAt.sky")

    def __init__(self, name: str = "Test viewer") -> None:
        self.got: queue.Queue = queue.Queue()
        self.client = SAMPIntegratedClient(metadata={"samp.name": name}, addr="127.0.0.1")
        with local_only():
            self.client.connect()
        for mtype in self.MTYPES:
            self.client.bind_receive_notification(mtype, self._keep)

    def _keep(self, _key, sender, mtype, params, _extra):
        self.got.put((sender, mtype, params))

    def next(self, mtype: str) -> dict:
        while True:
            _sender, got, params = self.got.get(timeout=TIMEOUT)
            if got == mtype:
                return params


def listening():
    listening = Listener()
    yield listening
    # after a test that stopped the hub unregistering fails; the client's thread stops anyway
    with contextlib.suppress(Exception):
        listening.client.disconnect()


def file_of(url: str) -> Path:
    """The local file a ``file://`` URL sent over SAMP names."""
    parsed = urlparse(url)
    assert parsed.scheme == "file"
    return Path(parsed.path)
