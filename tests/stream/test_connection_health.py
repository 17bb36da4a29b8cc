"""A broker that goes away and comes back, failed commits, a certificate refused: said so.

librdkafka reconnects by itself and nothing is lost, but a stream that stands
still for half a minute must say so, and say when it flows again.
"""

from __future__ import annotations

import datetime
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alertview.core.stream.admin import list_topics
from alertview.core.stream.config import BrokerHealth, KafkaSettings, _tidy
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.producer import AlertProducer, ensure_topic
from tests.conftest import ZTF_FILES
from tests.stream.commands import Command
from tests.stream.conftest import consume_until, n_alerts
from tests.stream.proxy import tansu_behind_proxy

ALERTVIEW = [sys.executable, "-m", "alertview"]


def _send(kafka: KafkaSettings, topic: str, paths) -> None:
    producer = AlertProducer(kafka)
    for path in paths:
        producer.send(topic, path.read_bytes())
    assert producer.flush(20).delivered == len(paths)


def _poll_for(consumer: AlertConsumer, text: str, timeout: float, seen: list[str]) -> float:
    """Poll until a warning holds ``text``; returns when it came (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        consumer.poll()
        seen += consumer.take_warnings()
        if any(text in line for line in seen):
            return time.monotonic()
    raise AssertionError(f"no {text!r} within {timeout} s; said: {seen}")


def _committed(kafka: KafkaSettings, group: str, topic: str) -> int:
    (info,) = list_topics(kafka, group=group, topics=[topic])
    return sum(p.committed or 0 for p in info.partitions)


def test_outage_and_failed_commits_are_reported_and_recovered(tmp_path):
    with tansu_behind_proxy() as proxy:
        kafka = KafkaSettings(f"127.0.0.1:{proxy.port}")
        topic = f"outage-{uuid.uuid4().hex[:6]}"
        group = f"g-{topic}"
        ensure_topic(kafka, topic, 1)
        _send(kafka, topic, ZTF_FILES[:3])
        settings = ConsumerSettings(kafka, (topic,), group, "earliest")
        with AlertConsumer(settings) as consumer:
            batches = consume_until(consumer, lambda b: n_alerts(b) >= 3, 30, commit=False)
            seen: list[str] = []
            cut = time.monotonic()
            proxy.cut()
            said = _poll_for(consumer, f"lost contact with Kafka at {kafka.bootstrap}", 10, seen)
            assert said - cut < 2 and "Connection refused" in seen[-1]
            for batch in batches:  # stored, say: their offsets go out during the outage
                consumer.commit(batch)
            asked = time.monotonic()
            assert "unreachable" in consumer.commit_sync(timeout=5)  # no waiting in vain
            assert time.monotonic() - asked < 0.5
            _poll_for(consumer, "committing offsets failed", 20, seen)
            proxy.restore()
            _poll_for(consumer, f"Kafka at {kafka.bootstrap} is reachable again", 20, seen)
            assert sum("lost contact" in line for line in seen) == 1  # once per outage
            # the offsets whose commit failed are committed again, unasked
            deadline = time.monotonic() + 20
            while _committed(kafka, group, topic) < 3:
                assert time.monotonic() < deadline, seen
                consumer.poll()
            # and the stream goes on
            _send(kafka, topic, ZTF_FILES[3:5])
            later = consume_until(consumer, lambda b: n_alerts(b) >= 2, 20)
            assert n_alerts(later) == 2


def test_consume_says_when_the_broker_goes_and_comes_back(tmp_path):
    with tansu_behind_proxy() as proxy:
        kafka = KafkaSettings(f"127.0.0.1:{proxy.port}")
        topic = f"cli-outage-{uuid.uuid4().hex[:6]}"
        ensure_topic(kafka, topic, 1)
        _send(kafka, topic, ZTF_FILES[:2])
        with Command(
            "consume", "--bootstrap", kafka.bootstrap, "--topic", topic, "--group", f"g-{topic}",
            "--json", "--no-store",
        ) as command:  # fmt: skip
            command.wait_lines(2)
            proxy.cut()
            command.wait_for("alertview: lost contact with Kafka")
            proxy.restore()
            command.wait_for("is reachable again")
            _send(kafka, topic, ZTF_FILES[2:4])
            lines = command.wait_lines(4)
            assert all(line.startswith("{") for line in lines)
            proxy.cut()  # gone again: SIGTERM must not wait for it
            command.wait_for("lost contact", 10)
            asked = time.monotonic()
            command.process.send_signal(signal.SIGTERM)
            assert command.finish(10) == 0
            assert time.monotonic() - asked < 1.5
        assert "received 4 alerts" in command.stderr
        assert command.stderr.count("lost contact") == 2  # once per outage
        assert command.stderr.count("is reachable again") == 1


def _self_signed(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_a_refused_certificate_is_named(tmp_path):
    """A TLS endpoint whose certificate no CA vouches for: the reason, not "transport
    failure", and at once rather than after the 10 s the connection is given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(client, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                client.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        start = time.monotonic()
        result = subprocess.run(
            [*ALERTVIEW, "consume", "--bootstrap", f"127.0.0.1:{port}", "--topic", "t",
             "--security-protocol", "SSL"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "ALERTVIEW_DATA_DIR": str(tmp_path)},
        )  # fmt: skip
    finally:
        server.close()
    assert result.returncode == 1
    assert result.stderr.startswith("alertview: certificate not trusted (")
    assert "Broker transport failure" not in result.stderr
    assert time.monotonic() - start < 6


@pytest.mark.parametrize(
    "text",
    [
        "GroupCoordinator: 127.0.0.1:40851: Connect to ipv4#127.0.0.1:40851 failed: "
        "Connection refused (after 0ms in state CONNECT)",
        "127.0.0.1:40851/bootstrap: Connect to ipv4#127.0.0.1:40851 failed: Connection refused",
        "sasl_ssl://127.0.0.1:40851/1: Connect to ipv4#127.0.0.1:40851 failed: "
        "Connection refused (after 3ms in state CONNECT)",
        "Connect to ipv4#127.0.0.1:40851 failed: Connection refused",
    ],
)
def test_the_reason_shown_is_librdkafkas_without_its_connection_names(text):
    """Whichever connection saw it first (the CI saw the group coordinator's), the
    user reads one reason."""
    assert _tidy(text) == "Connect to ipv4#127.0.0.1:40851 failed: Connection refused"


def _stats(**states: str) -> dict:
    """librdkafka's statistics, their brokers' states only."""
    return {"brokers": {name: {"state": state} for name, state in states.items()}}


def test_an_outage_librdkafka_never_reports_is_seen_in_its_statistics():
    """The bootstrap address left in INIT once the cluster named its brokers: librdkafka
    never reported all brokers down (a CI run waited 15 s for the line). Two reports
    with none up, after one was, are an outage; one up again ends it."""
    health = BrokerHealth("127.0.0.1:9092")
    before = {"127.0.0.1:9092/bootstrap": "INIT", "GroupCoordinator": "INIT"}
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "CONNECT"}))
    assert not health.down  # never up yet: a first connection, not an outage
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "CONNECT"}))
    assert not health.down
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "UP"}))
    idle = {"127.0.0.1:9092/bootstrap": "INIT", "GroupCoordinator": "UP"}
    for _ in range(3):  # the coordinator's connection up: the group is alive
        health.saw_statistics(_stats(**idle, **{"localhost:9092/1": "DOWN"}))
    assert not health.down
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "DOWN"}))
    assert not health.down  # one report: a reconnect may be under way
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "CONNECT"}))
    assert health.down
    (line,) = health.news()
    assert line.startswith("lost contact with Kafka at 127.0.0.1:9092")
    assert health.news() == []  # said once
    health.saw_statistics(_stats(**before, **{"localhost:9092/1": "UP"}))
    (line,) = health.news()
    assert "reachable again" in line and not health.down
