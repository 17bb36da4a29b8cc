"""A SAMP hub and a test client for the tests: astropy's hub in this process, its
lockfile in ``tmp_path`` (``SAMP_HUB``), and ``HOME`` there too (astropy sweeps
``~/.samp`` and ``~/.samp-1`` of dead hubs when it starts one): a user's own hub is
never seen nor touched. The ``samp_env``, ``hub`` and ``listener`` fixtures in
``tests/conftest.py`` ``yield from`` these."""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
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


class SilentHub:
    """A TCP server standing in for a hub that hangs: it accepts connections and reads
    what is sent but never answers. With ``upstream`` (a real hub's host and port) it
    relays both ways until ``freeze()``: a hub that answers, then stops answering."""

    def __init__(self, upstream: tuple[str, int] | None = None) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/xmlrpc"
        self.upstream = upstream
        self.frozen = threading.Event()
        if upstream is None:
            self.frozen.set()
        self._stop = threading.Event()
        self._peers: dict[socket.socket, socket.socket | None] = {}
        self._thread = threading.Thread(target=self._run, name="silent-hub")
        self._thread.start()

    def freeze(self) -> None:
        self.frozen.set()

    def write_lockfile(self, path: Path, params: dict[str, str] | None = None) -> None:
        """A standard-profile lockfile naming this server (``params``: a real hub's)."""
        entries = dict(params or {"samp.secret": "s3cr3t", "samp.profile.version": "1.3"})
        real = urlparse(entries.get("samp.hub.xmlrpc.url", self.url))
        entries["samp.hub.xmlrpc.url"] = real._replace(netloc=urlparse(self.url).netloc).geturl()
        path.write_text("".join(f"{k}={v}\n" for k, v in entries.items()))

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.server, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self.server:
                        self._accept(selector)
                        continue
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    peer = self._peers.get(sock)
                    if not data:
                        selector.unregister(sock)
                        continue
                    if peer is not None and not self.frozen.is_set():
                        with contextlib.suppress(OSError):
                            peer.sendall(data)
        for sock in [self.server, *self._peers]:
            sock.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        conn, _ = self.server.accept()
        peer = None
        if self.upstream is not None and not self.frozen.is_set():
            peer = socket.create_connection(self.upstream)
            self._peers[peer] = conn
            selector.register(peer, selectors.EVENT_READ)
        self._peers[conn] = peer
        selector.register(conn, selectors.EVENT_READ)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> SilentHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
