"""How `consume` ends: --timeout with nothing assigned, a missing topic, SIGTERM, bad -X."""

from __future__ import annotations

import signal
import time
import uuid

from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import ensure_topic
from tests.stream.commands import Command
from tests.stream.proxy import tansu_behind_proxy


def _consume(*args: str, data) -> Command:
    return Command("consume", *args, env={"ALERTVIEW_DATA_DIR": str(data)})


def _wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_missing_topic_is_named_and_timeout_counts_from_the_start(broker, tmp_path):
    start = time.monotonic()
    with _consume(
        "--bootstrap", broker.bootstrap, "--topic", "no-such-topic", "--timeout", "2",
        data=tmp_path,
    ) as command:  # fmt: skip
        status = command.finish(30)
    assert time.monotonic() - start < 8  # ~2 s, plus the interpreter's start and connection
    errors = command.stderr
    assert f"topic 'no-such-topic' does not exist on {broker.bootstrap}" in errors
    assert errors.count("does not exist") == 1  # said once, not on every poll
    assert status == 1 and "Traceback" not in errors


def test_broker_gone_before_assignment(tmp_path):
    with tansu_behind_proxy() as proxy:
        bootstrap = f"127.0.0.1:{proxy.port}"
        topic = f"gone-{uuid.uuid4().hex[:6]}"
        ensure_topic(KafkaSettings(bootstrap), topic, 2)
        # --timeout ends it although no partition was ever assigned
        connected = proxy.accepted
        start = time.monotonic()
        with _consume("--bootstrap", bootstrap, "--topic", topic, "--timeout", "3",
                      "--group", f"g-{topic}", data=tmp_path) as command:  # fmt: skip
            _wait_until(lambda: proxy.accepted > connected, 20)  # it has met the broker...
            time.sleep(0.3)
            proxy.cut()  # ...which goes before the group is joined (a join takes ~3 s)
            status = command.finish(30)
        assert time.monotonic() - start < 9, command.stderr
        assert status == 0, command.stderr
        assert f"lost contact with Kafka at {bootstrap} (Connect to" in command.stderr
        assert "received 0 alerts" in command.stderr
        # and SIGTERM, in the same state, is honoured within about a second
        proxy.restore()
        connected = proxy.accepted
        with _consume("--bootstrap", bootstrap, "--topic", topic, "--group", f"g2-{topic}",
                      data=tmp_path) as command:  # fmt: skip
            _wait_until(lambda: proxy.accepted > connected, 20)
            time.sleep(0.3)
            proxy.cut()
            command.wait_for("lost contact with Kafka")
            asked = time.monotonic()
            command.process.send_signal(signal.SIGTERM)
            assert command.finish(10) == 0
            assert time.monotonic() - asked < 1.5, command.stderr
        assert "received 0 alerts" in command.stderr


def test_sigterm_while_connecting_to_nothing(tmp_path):
    with _consume("--bootstrap", "127.0.0.1:1", "--topic", "t", data=tmp_path) as command:
        time.sleep(2.5)  # within the 10 s it gives a cluster to answer
        asked = time.monotonic()
        command.process.send_signal(signal.SIGTERM)
        command.finish(30)
        assert time.monotonic() - asked < 1.5, command.stderr
    assert "Traceback" not in command.stderr and "internal error" not in command.stderr


def test_a_librdkafka_setting_without_a_value_is_a_usage_error(tmp_path):
    with _consume("--bootstrap", "127.0.0.1:1", "--topic", "t", "-X", "foo", data=tmp_path) as c:
        assert c.finish(30) == 2
    assert "argument -X: expected KEY=VALUE" in c.stderr
    assert "internal error" not in c.stderr and "Traceback" not in c.stderr


def test_secrets_are_refused_on_the_command_line_and_never_echoed(tmp_path):
    for item in ("sasl.password=hunter22", "sasl.password:hunter22", "ssl.key.password=hunter22"):
        with _consume(
            "--bootstrap", "127.0.0.1:1", "--topic", "t", "-X", item, data=tmp_path
        ) as c:
            assert c.finish(30) == 2
        assert "argument -X" in c.stderr and "hunter22" not in c.stderr
    assert "--password-env" in c.stderr
