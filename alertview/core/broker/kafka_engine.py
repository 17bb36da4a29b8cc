"""Apache Kafka as the embedded broker: broker and KRaft controller in one JVM, on 127.0.0.1.

The other engines imitate Kafka; this one is Kafka, so what works here works
against Rubin's brokers too, down to SASL_SSL with SCRAM-SHA-512 and a CA.
Everything a restart needs lives in the data folder (mode 0700):

- ``kraft/``: Kafka's log dirs (the topics' messages and the metadata log);
- ``alertview-broker.json``: the cluster id and security it was formatted with;
- ``password`` (0600), ``ca.pem`` and ``server.pem``: SCRAM password and TLS files;
  the SCRAM user itself is made through the Admin API on the internal PLAINTEXT
  listener after each start, so its password never appears on a command line;
- ``server.properties``: written afresh at each start, as the ports may change;
- ``kafka.log`` and ``jvm.log``: Kafka's warnings and the JVM's own output.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alertview.core.broker.certificates import ServerTLS, make_server_tls
from alertview.core.broker.engines import BrokerError, _free_port
from alertview.core.broker.kafka_jars import ensure_jars, find_java, kafka_dir, kafka_version
from alertview.core.errors import AlertViewError
from alertview.core.private_files import write_private
from alertview.core.stream.admin import add_scram_user

__all__ = ["MECHANISM", "SECURITIES", "USERNAME", "KafkaServer", "Security", "ensure_jars"]

log = logging.getLogger(__name__)

Security = Literal["plaintext", "sasl_ssl"]
SECURITIES: tuple[Security, ...] = ("plaintext", "sasl_ssl")
USERNAME = "alertview"
MECHANISM = "SCRAM-SHA-512"
#: A modest JVM: 768 MB at most; the defaults would take a quarter of the machine.
HEAP = ("-Xms128m", "-Xmx768m")
#: Kafka's own launch script's G1 settings, and no AWT.
JVM_OPTIONS = ("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true")
#: What the broker logs (at INFO, see resources/kafka/log4j2.properties) once it serves.
STARTED = "Kafka Server started"
STATE_FILE = "alertview-broker.json"


@dataclass(frozen=True)
class Ports:
    """The client listener, the KRaft controller's, and (sasl_ssl) the inter-broker one."""

    client: int
    controller: int
    internal: int | None = None


def _cluster_id() -> str:
    """A cluster id as Kafka makes them: a random UUID in 22 characters of base64url,
    never starting with "-" (Kafka's own Uuid.randomUuid redraws those too: the storage
    tool's command line would take it for an option; one CI run in ~30 met it)."""
    while True:
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster.startswith("-"):
            return cluster


def _value(value: object) -> str:
    """A value for a Java properties file, where a backslash escapes."""
    return str(value).replace("\\", "\\\\")


def server_properties(
    kraft: Path, ports: Ports, tls: ServerTLS | None = None
) -> dict[str, object]:
    """The broker's configuration: one node, settings that suit a laptop and tests."""
    listeners: dict[str, tuple[int | None, str]] = {
        "CLIENT": (ports.client, "SASL_SSL" if tls else "PLAINTEXT"),
        "CONTROLLER": (ports.controller, "PLAINTEXT"),
    }
    if tls:
        listeners["INTERNAL"] = (ports.internal, "PLAINTEXT")

    def listed(*names: str) -> str:
        return ",".join(f"{n}://127.0.0.1:{listeners[n][0]}" for n in names)

    config: dict[str, object] = {
        "process.roles": "broker,controller",
        "node.id": 1,
        # Static voters, not a dynamic quorum: the controller's port may change between
        # starts on the same data, as it is picked free each time.
        "controller.quorum.voters": f"1@127.0.0.1:{ports.controller}",
        "controller.listener.names": "CONTROLLER",
        "listeners": listed(*listeners),
        "advertised.listeners": listed(*(n for n in listeners if n != "CONTROLLER")),
        "listener.security.protocol.map": ",".join(f"{n}:{p}" for n, (_, p) in listeners.items()),
        "inter.broker.listener.name": "INTERNAL" if tls else "CLIENT",
        "log.dirs": kraft,
        "num.partitions": 1,
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "min.insync.replicas": 1,
        "group.initial.rebalance.delay.ms": 0,
        # Alert packets reach ~100 KB and AlertView's producers allow 16 MB messages.
        "message.max.bytes": 16 * 1024 * 1024 + 1024,
        "replica.fetch.max.bytes": 16 * 1024 * 1024 + 1024,
    }
    if tls:
        config |= {
            "sasl.enabled.mechanisms": MECHANISM,
            f"listener.name.client.{MECHANISM.lower()}.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": tls.keystore_file,
        }
    return config


def _write_properties(path: Path, config: dict[str, object]) -> None:
    text = "".join(f"{key}={_value(value)}\n" for key, value in config.items())
    write_private(path, text.encode())


def _check_port_free(port: int) -> None:
    """Fail at once, not after a JVM start, when a chosen port is taken."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Java's sockets do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise BrokerError(f"port {port} on 127.0.0.1 is already in use") from None


def _tail_reason(*texts: str) -> str:
    """The line that says why Kafka stopped: its last ERROR, else the last line written."""
    for text in texts:
        errors = [ln for ln in text.splitlines() if " ERROR " in ln or " FATAL " in ln]
        if errors:
            return errors[-1].strip()[:500]
    for text in texts:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if lines:
            return lines[-1][:500]
    return "no output"


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            return stream.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


class KafkaServer:
    """One Apache Kafka process (broker and controller); start it, then read ``bootstrap``.

    ``data``: the folder that keeps topics across restarts (default: a temporary
    folder removed by ``stop``). ``security="sasl_ssl"`` makes the client listener
    SASL_SSL with SCRAM-SHA-512 for one user with a random password, and a
    certificate for localhost/127.0.0.1 signed by a CA made on the first start.
    """

    def __init__(
        self,
        data: Path | None = None,
        port: int = 0,
        security: Security = "plaintext",
        output: Path | None = None,
    ) -> None:
        if security not in SECURITIES:
            raise BrokerError(f"unknown security {security!r}; choose {' or '.join(SECURITIES)}")
        self.data = Path(data) if data is not None else None
        self.port = port
        self.security = security
        self.output = output
        self.username: str | None = None
        self.password: str | None = None
        self.ca_file: Path | None = None
        self._temporary: Path | None = None
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}" if self._process is not None else ""

    @property
    def folder(self) -> Path:
        folder = self.data or self._temporary
        if folder is None:
            raise BrokerError("the kafka engine has no data folder before it starts")
        return folder

    def start(self, timeout: float = 120) -> KafkaServer:
        libs = ensure_jars()
        java = find_java()
        if self.data is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="alertview-kafka-"))
        else:
            self.data.mkdir(parents=True, exist_ok=True)
        try:
            self.folder.chmod(0o700)  # it holds the password and the server's key
            self._launch(java, libs, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, java: str, libs: Path, timeout: float) -> None:
        folder = self.folder
        state = self._read_state()
        tls = self._prepare_security(state is not None)
        if self.port:
            _check_port_free(self.port)
        self.port = self.port or _free_port()
        ports = Ports(self.port, _free_port(), _free_port() if tls else None)
        properties = folder / "server.properties"
        _write_properties(properties, server_properties(folder / "kraft", ports, tls))
        jvm = [
            *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={kafka_dir() / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={folder}",
            "-cp", f"{libs}{os.sep}*",
        ]  # fmt: skip
        if state is None:  # a short run: the quick JIT alone saves ~0.4 s
            self._format([java, "-Xmx256m", "-XX:TieredStopAtLevel=1", *jvm], properties)
        kafka_log, jvm_log = folder / "kafka.log", self.output or folder / "jvm.log"
        offsets = (_size(kafka_log), _size(jvm_log))
        started_at = time.monotonic()
        with jvm_log.open("ab") as output:
            self._process = subprocess.Popen(
                [java, *HEAP, *jvm, "kafka.Kafka", str(properties)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # a process group of its own: the terminal's Ctrl-C goes to the app's
                # group, and the app stops its broker itself, after its clients
                process_group=0,
            )
        self._wait_started(kafka_log, jvm_log, offsets, started_at + timeout)
        if tls is not None:
            self._add_user(ports)
        seconds = time.monotonic() - started_at
        log.info("Apache Kafka %s started in %.1f s", kafka_version(), seconds)

    def _wait_started(
        self, kafka_log: Path, jvm_log: Path, offsets: tuple[int, int], deadline: float
    ) -> None:
        """Until Kafka logs that it serves: an open port alone comes seconds earlier."""
        assert self._process is not None
        while STARTED not in _read_from(kafka_log, offsets[0]):
            if self._process.poll() is not None:
                reason = _tail_reason(
                    _read_from(kafka_log, offsets[0]), _read_from(jvm_log, offsets[1])
                )
                raise BrokerError(
                    f"Apache Kafka exited at start (status {self._process.returncode}): "
                    f"{reason} (logs in {self.folder})"
                )
            if time.monotonic() > deadline:
                raise BrokerError(f"Apache Kafka did not start in time (logs in {self.folder})")
            time.sleep(0.1)

    def _read_state(self) -> dict | None:
        """What the data folder was formatted with; None if it never was (completely)."""
        path = self.folder / STATE_FILE
        if not path.is_file():
            # A format that did not finish leaves a kraft/ without this file: start over.
            shutil.rmtree(self.folder / "kraft", ignore_errors=True)
            return None
        try:
            state = json.loads(path.read_text())
        except ValueError:
            raise BrokerError(f"{path} is damaged; use another --data folder") from None
        if state.get("security") != self.security:
            raise BrokerError(
                f"{self.folder} holds a {state.get('security')} broker; start it with "
                f"--security {state.get('security')}, or use another --data folder"
            )
        return state

    def _prepare_security(self, formatted: bool) -> ServerTLS | None:
        if self.security != "sasl_ssl":
            return None
        password_file = self.folder / "password"
        if not password_file.is_file():
            if formatted:
                raise BrokerError(
                    f"{password_file} is missing, and the broker's SCRAM credentials were made "
                    "with it; use another --data folder"
                )
            # Letters, digits, "-" and "_" only: easy to paste into any client's settings.
            write_private(password_file, secrets.token_urlsafe(24).encode())
        tls = ServerTLS(self.folder / "ca.pem", self.folder / "server.pem")
        if not tls.exists():
            tls = make_server_tls(self.folder)
        self.username = USERNAME
        self.password = password_file.read_text().strip()
        self.ca_file = tls.ca_file
        return tls

    def _add_user(self, ports: Ports) -> None:
        """The SCRAM user, through the Admin API on 127.0.0.1's PLAINTEXT listener.

        StorageTool's ``--add-scram`` would put the password in the process list for
        the second the format takes. KRaft keeps the user in its metadata log, so a
        restart on the same data finds it; it is written again at each start all the
        same (the password file is the truth), which also mends a start that stopped
        between format and user.
        """
        assert self.password is not None and ports.internal is not None
        try:
            add_scram_user(f"127.0.0.1:{ports.internal}", USERNAME, self.password, MECHANISM)
        except AlertViewError as exc:
            raise BrokerError(f"Apache Kafka started, but without its SCRAM user: {exc}") from None

    def _format(self, jvm: list[str], properties: Path) -> None:
        """Format the log dirs once (the SCRAM user comes after the start: ``_add_user``)."""
        cluster = _cluster_id()
        command = [*jvm, "kafka.tools.StorageTool", "format", "-t", cluster, "-c", str(properties)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            reason = _tail_reason(result.stderr, result.stdout)
            raise BrokerError(f"formatting Kafka's storage in {self.folder} failed: {reason}")
        state = {"cluster_id": cluster, "security": self.security, "kafka": kafka_version()}
        if self.username:
            state["username"] = self.username
        (self.folder / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM: Kafka's controlled shutdown (about a second); killed after ``timeout``."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("Apache Kafka did not stop within %g s; killing it", timeout)
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
