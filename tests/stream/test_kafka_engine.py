"""The ``kafka`` broker engine: real Apache Kafka over TCP, real packets, real clients."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.broker.kafka_jars import java_major
from alertview.core.decode import read_alerts
from alertview.core.errors import AlertViewError, DecodeError
from alertview.core.private_files import write_private
from alertview.core.replay import Cadence, MessageFramer, replay
from alertview.core.stream.admin import list_topics
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic
from tests.conftest import SHARED, ZTF_FILES
from tests.stream.commands import ALERTVIEW, run_alertview

#: librdkafka before 2.6.1 sends a SCRAM nonce that Kafka 4 rejects (librdkafka #4895).
SCRAM_FIXED = (2, 6, 1)


def file_alerts(paths: list[Path]) -> list:
    return [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, DecodeError)]


def publish(kafka: KafkaSettings, topic: str, paths: list[Path]) -> list[bytes]:
    """Replay ``paths`` into ``topic`` as fast as the broker takes them; the bytes sent."""
    ensure_topic(kafka, topic, 2)
    producer = AlertProducer(kafka)
    sent: list[bytes] = []

    def send(key: bytes | None, value: bytes) -> None:
        sent.append(value)
        producer.send(topic, value, key)

    replay(paths, send, MessageFramer("native", SchemaCache()), Cadence(0.0))
    stats = producer.flush(30)
    assert stats.failed == 0 and stats.delivered == len(sent)
    return sent


def consume(kafka: KafkaSettings, topic: str, expected: int, timeout: float = 40) -> list:
    """Alerts read from the start of ``topic`` by a new group, until ``expected`` or timeout."""
    settings = ConsumerSettings(kafka, (topic,), f"g-{uuid.uuid4().hex[:6]}", "earliest")
    alerts = []
    deadline = time.monotonic() + timeout
    with AlertConsumer(settings) as consumer:
        while len(alerts) < expected and time.monotonic() < deadline:
            batch = consumer.poll()
            assert not batch.errors
            alerts += batch.alerts
    return alerts


def start_broker(*args: object, env: dict | None = None) -> tuple[subprocess.Popen, dict]:
    """``alertview broker --engine kafka ARGS``; its key=value lines up to ``engine=``."""
    process = subprocess.Popen(
        [*ALERTVIEW, "broker", "--engine", "kafka", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines = {}
    order = []
    for line in process.stdout:
        key, _, value = line.strip().partition("=")
        order.append(key)
        lines[key] = value
        if key == "engine":
            break
    else:
        process.wait(30)
        pytest.fail(f"the broker did not start: {process.stderr.read()}")
    assert order[0] == "bootstrap", order  # the first line, whatever follows
    return process, lines


def stop_broker(process: subprocess.Popen) -> str:
    """SIGTERM, as a service manager stops it: exit status 0. Returns its stderr."""
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(45) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    return stderr


def test_broker_command_serves_kcat_and_cleans_up(tmp_path):
    """Without --data, the broker lives in a temporary folder that is gone after SIGTERM."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port_file = tmp_path / "port"
    process, lines = start_broker("--port-file", port_file, env={"TMPDIR": str(tmp)})
    try:
        bootstrap = lines["bootstrap"]
        assert re.fullmatch(r"127\.0\.0\.1:\d+", bootstrap)
        assert port_file.read_text().strip() == bootstrap
        assert "security_protocol" not in lines and "Apache Kafka" in lines["engine"]
        assert len(list(tmp.glob("alertview-kafka-*"))) == 1
        # Debian's kcat, an independent client, sees one broker at the advertised address
        listing = subprocess.run(
            ["kcat", "-b", bootstrap, "-L", "-m", "15"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert listing.returncode == 0, listing.stderr
        assert f"broker 1 at {bootstrap}" in listing.stdout
    finally:
        stop_broker(process)
    assert not list(tmp.glob("alertview-kafka-*"))


def test_replay_then_consume_over_plaintext(real_kafka):
    topic = f"plain-{uuid.uuid4().hex[:8]}"
    kafka = real_kafka.kafka_settings()
    assert kafka.security_protocol == "PLAINTEXT" and real_kafka.username is None
    sent = publish(kafka, topic, [SHARED])
    expected = file_alerts([SHARED])
    assert len(sent) == len(expected) > 50
    received = consume(kafka, topic, len(sent))
    assert sorted(a.alert_id for a in received) == sorted(a.alert_id for a in expected)
    assert sorted(a.packet.data for a in received) == sorted(sent)  # byte for byte


def test_replay_then_consume_over_sasl_ssl(secured_kafka):
    kafka = secured_kafka.kafka_settings()
    assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert kafka.username == "alertview" and len(kafka.password or "") >= 24
    assert Path(kafka.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")
    topic = f"secure-{uuid.uuid4().hex[:8]}"
    sent = publish(kafka, topic, ZTF_FILES)
    received = consume(kafka, topic, len(sent))
    assert sorted(a.packet.data for a in received) == sorted(sent) and len(sent) == len(ZTF_FILES)


def test_wrong_password_receives_nothing(secured_kafka):
    kafka = secured_kafka.kafka_settings()
    topic = f"locked-{uuid.uuid4().hex[:8]}"
    publish(kafka, topic, ZTF_FILES[:2])
    wrong = dataclasses.replace(kafka, password="not-" + (kafka.password or ""))
    received = []
    with contextlib.suppress(AlertViewError):  # refused: its message is tested elsewhere
        received = consume(wrong, topic, 2, timeout=8)
    assert received == []


def _librdkafka_version(kcat_version: str) -> tuple[int, ...]:
    found = re.search(r"librdkafka (\d+)\.(\d+)\.(\d+)", kcat_version)
    assert found, kcat_version
    return tuple(int(part) for part in found.groups())


def _wheel_librdkafka() -> str | None:
    """The newer librdkafka inside the confluent-kafka wheel (found, not imported)."""
    spec = importlib.util.find_spec("confluent_kafka")
    libs = Path(spec.origin).parents[1] / "confluent_kafka.libs" if spec and spec.origin else None
    found = sorted(libs.glob("librdkafka*.so*")) if libs and libs.is_dir() else []
    return str(found[0]) if found else None


def test_kcat_and_openssl_trust_the_generated_ca_and_user(secured_kafka):
    """Independent clients: OpenSSL verifies the chain and the names, kcat logs in.

    Debian 12's kcat links librdkafka 2.0.2, whose SCRAM client-final nonce Kafka 4
    refuses (fixed in librdkafka 2.6.1): with it, kcat gets through TLS and is refused
    at the SASL step. The login itself is then checked with the same kcat binary on the
    librdkafka of the confluent-kafka wheel (LD_PRELOAD).
    """
    bootstrap, ca_file = secured_kafka.bootstrap, str(secured_kafka.ca_file)
    for name, flag in (("localhost", "-verify_hostname"), ("127.0.0.1", "-verify_ip")):
        handshake = subprocess.run(
            ["openssl", "s_client", "-connect", bootstrap, "-CAfile", ca_file, flag, name,
             "-verify_return_error", "-brief"],
            input="", capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert handshake.returncode == 0 and "Verification: OK" in handshake.stderr, (
            handshake.stderr
        )
    kcat = [
        "kcat", "-b", bootstrap, "-m", "10",
        "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
        "-X", f"sasl.username={secured_kafka.username}",
        "-X", f"sasl.password={secured_kafka.password}",
        "-X", f"ssl.ca.location={ca_file}",
        "-L",
    ]  # fmt: skip
    version = subprocess.run(["kcat", "-V"], capture_output=True, text=True, check=False)
    env = dict(os.environ)
    if _librdkafka_version(version.stdout + version.stderr) < SCRAM_FIXED:
        # three seconds are plenty to be refused (it keeps retrying until -m runs out)
        quick = [*kcat[:3], "-m", "3", *kcat[5:]]
        old = subprocess.run(quick, capture_output=True, text=True, timeout=60, check=False)
        assert old.returncode != 0
        assert "SASL authentication error" in old.stderr, old.stderr  # past TLS, then refused
        assert not re.search(r"SSL handshake failed|certificate verify failed", old.stderr)
        newer = _wheel_librdkafka()
        assert newer, "no librdkafka >= 2.6.1 to check the SCRAM login with"
        env["LD_PRELOAD"] = newer
    listing = subprocess.run(
        kcat, capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert listing.returncode == 0, listing.stderr
    assert f"broker 1 at {bootstrap}" in listing.stdout


def test_sasl_ssl_broker_command_keeps_messages_and_credentials_across_a_restart(tmp_path):
    data, password_file = tmp_path / "broker", tmp_path / "password"
    port_file = tmp_path / "port"
    process, lines = start_broker(
        "--data", data, "--security", "sasl_ssl", "--password-file", password_file,
        "--port-file", port_file,
    )  # fmt: skip
    try:
        bootstrap = lines["bootstrap"]
        assert port_file.read_text().strip() == bootstrap
        assert lines["security_protocol"] == "SASL_SSL"
        assert lines["sasl_mechanism"] == "SCRAM-SHA-512"
        assert lines["username"] == "alertview"
        assert Path(lines["ca_file"]).parent == data
        password = password_file.read_text().strip()
        assert len(password) >= 24 and password not in "".join(lines.values())
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        # the printed lines are the client options of the same names
        options = [
            "--bootstrap", bootstrap, "--security-protocol", lines["security_protocol"],
            "--sasl-mechanism", lines["sasl_mechanism"], "--username", lines["username"],
            "--ca-file", lines["ca_file"],
        ]  # fmt: skip
        env = {"ALERTVIEW_KAFKA_PASSWORD": password}
        topic = f"kept-{uuid.uuid4().hex[:8]}"
        replayed = run_alertview(
            "replay", *ZTF_FILES, "--topic", topic, "--interval", "0", *options, env=env
        )
        assert replayed.returncode == 0, replayed.stderr
        assert f"{len(ZTF_FILES)} delivered, 0 failed" in replayed.stderr
    finally:
        stderr = stop_broker(process)
    assert password not in stderr
    ca = Path(lines["ca_file"]).read_bytes()

    started = time.monotonic()
    process, again = start_broker(
        "--data", data, "--security", "sasl_ssl", "--port", bootstrap.rsplit(":", 1)[1]
    )
    restart_seconds = time.monotonic() - started
    try:
        assert again["bootstrap"] == bootstrap
        assert Path(again["ca_file"]).read_bytes() == ca
        consumed = run_alertview(
            "consume", "--topic", topic, "--from", "earliest", "--max", len(ZTF_FILES),
            "--timeout", 60, "--json", "--no-store", "--group", f"g-{topic}", *options,
            env=env,
        )  # fmt: skip
        assert consumed.returncode == 0, consumed.stderr
        assert len(consumed.stdout.splitlines()) == len(ZTF_FILES)
    finally:
        stop_broker(process)
    assert restart_seconds < 60


def test_java_versions_are_read_from_java_dash_version():
    assert java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert java_major('java version "1.8.0_392"') == 8
    assert java_major('openjdk version "21" 2023-09-19') == 21
    assert java_major("bash: java: command not found") is None


def test_missing_maven_is_one_clear_line(tmp_path):
    """No jars cached and no mvn on PATH: one line saying what to install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = Path(shutil.which("java")).resolve()
    (bin_dir / "java").symlink_to(java)
    result = run_alertview(
        "broker", "--engine", "kafka",
        env={"PATH": str(bin_dir), "ALERTVIEW_CACHE_DIR": str(tmp_path / "cache"),
             "JAVA_HOME": ""},
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("alertview: the kafka engine needs Maven (mvn) once")
    assert "apt-get install maven" in result.stderr and "Traceback" not in result.stderr


def _command_lines(seen: set[str], done: threading.Event) -> None:
    """Every process's command line, read over and over until ``done``."""
    while not done.is_set():
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                seen.add(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        time.sleep(0.01)


def test_sasl_ssl_password_never_on_a_command_line(tmp_path):
    """The SCRAM user is made through the Admin API, not StorageTool's --add-scram."""
    data = tmp_path / "broker"
    data.mkdir(mode=0o700)
    password = "pw-" + uuid.uuid4().hex
    write_private(data / "password", password.encode())
    seen: set[str] = set()
    done = threading.Event()
    scanner = threading.Thread(target=_command_lines, args=(seen, done), daemon=True)
    scanner.start()
    try:
        with EmbeddedBroker("kafka", data=data, security="sasl_ssl") as broker:
            done.set()
            scanner.join(5)
            # the scan saw the short format run and the broker, so it could have seen the
            # password; the user exists, with this password
            assert any("StorageTool format" in line for line in seen)
            assert any("kafka.Kafka" in line for line in seen)
            assert broker.password == password
            assert list_topics(broker.kafka_settings()) is not None
    finally:
        done.set()
    assert not [line for line in seen if password in line]


def test_cluster_ids_never_look_like_an_option():
    """A base64url id starts with "-" once in 64 draws; Kafka's storage tool would take
    it for an option (seen failing a CI run)."""
    from alertview.core.broker.kafka_engine import _cluster_id

    ids = [_cluster_id() for _ in range(2000)]
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids) and len(set(ids)) == len(ids)
