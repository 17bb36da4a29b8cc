"""The log: where it goes, --debug, rotation, and no secret in it."""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from alertview import cli
from alertview.core import logs
from alertview.core.avro.registry import BASIC_AUTH, RegistryClient
from alertview.core.errors import SchemaNotFound
from alertview.core.stream.config import KAFKA_LOG, KafkaSettings, kafka_log_settings
from tests.stream.commands import child_env

log = logging.getLogger("alertview.tests")


@pytest.fixture
def log_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(folder))
    return folder


def _handlers() -> list:
    return [*logging.getLogger("alertview").handlers, *KAFKA_LOG.handlers]


def test_the_log_folder_is_the_users_unless_overridden(monkeypatch, tmp_path):
    from platformdirs import user_log_path

    monkeypatch.delenv(logs.LOG_DIR_ENV, raising=False)
    assert logs.log_dir() == user_log_path("AlertView", appauthor=False)
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path))
    assert logs.log_dir() == tmp_path


def test_logging_to_a_file_and_back(log_dir, capsys):
    before, level = _handlers(), logging.getLogger("alertview").level
    with logs.logging_to(file_name="view.log") as path:
        assert path == log_dir / "view.log" and logs.current_log_file() == path
        log.debug("not kept without --debug")
        log.info("kept in the file only")
        log.warning("a warning for the user too")
        KAFKA_LOG.warning("librdkafka says so")
        assert kafka_log_settings()["log_level"] == 4
    text = path.read_text()
    assert "kept in the file only" in text and "a warning for the user too" in text
    assert "not kept" not in text and "alertview.kafka: librdkafka says so" in text
    # stderr: the warning, as Python's last-resort handler printed it; not librdkafka's
    assert capsys.readouterr().err == "a warning for the user too\n"
    assert _handlers() == before and logging.getLogger("alertview").level == level
    assert logs.current_log_file() is None
    assert (log_dir.stat().st_mode & 0o777) == 0o700  # other users may not list it


def test_debug_shows_everything_and_turns_librdkafkas_log_up(log_dir, capsys):
    with logs.logging_to(debug=True, file_name="consume.log") as path:
        log.debug("a debug line")
        KAFKA_LOG.debug("a librdkafka notice")
        assert kafka_log_settings()["log_level"] == 7
    assert kafka_log_settings()["log_level"] == 4  # and back down after --debug
    err = capsys.readouterr().err
    assert "DEBUG alertview.tests: a debug line" in err
    assert "alertview.kafka: a librdkafka notice" in err
    assert "a debug line" in path.read_text()


def test_the_file_rotates_and_keeps_a_few(log_dir, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    with logs.logging_to(file_name="broker.log") as path:
        for n in range(200):
            log.info("line %03d %s", n, "x" * 40)
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == ["broker.log", *(f"broker.log.{n}" for n in range(1, logs.BACKUPS + 1))]
    assert all((log_dir / name).stat().st_size <= 2000 for name in files)
    assert "line 199" in path.read_text()


def test_a_kafka_password_never_reaches_the_log_file(log_dir):
    password = secrets.token_urlsafe(16)
    key_password = secrets.token_urlsafe(16)
    settings = KafkaSettings(
        "broker.example:9096",
        security_protocol="SASL_SSL",
        username="alice",
        password=password,
        key_password=key_password,
    )
    with logs.logging_to(file_name="consume.log") as path:
        settings.client_config()  # as each consumer, producer and admin client is made
        log.warning("connecting with %s", settings.client_config())
        log.info("percent-encoded: %s", quote(password, safe=""))
        try:
            raise RuntimeError(f"login refused for password {password!r}")
        except RuntimeError:
            log.exception("a client failed")
    text = path.read_text()
    assert password not in text and key_password not in text
    assert "'sasl.password': '***'" in text
    assert "RuntimeError: login refused for password '***'" in text


def test_a_registry_password_never_reaches_the_log_file(log_dir):
    password = secrets.token_urlsafe(16)
    url = f"http://alice:{password}@127.0.0.1:1"
    with logs.logging_to(file_name="consume.log") as path:
        log.info("registry %s", url)
        try:
            RegistryClient(url).schema_text(42)
        except SchemaNotFound:
            log.exception("no schema")
    text = path.read_text()
    assert password not in text
    assert "registry http://***@127.0.0.1:1" in text and "SchemaNotFound" in text


def test_a_registry_password_given_as_basic_auth_never_reaches_the_log_file(log_dir):
    """The password set in the connection dialog comes as Basic-auth settings, not in
    the URL: it is masked in every later log line too, wherever it is repeated."""
    password = secrets.token_urlsafe(16)
    with logs.logging_to(file_name="view.log") as path:
        RegistryClient("http://127.0.0.1:1", {BASIC_AUTH: f"alice:{password}"})
        log.warning("a library repeated it: %s", password)
    text = path.read_text()
    assert password not in text
    assert "a library repeated it: ***" in text


def test_consume_with_debug_logs_librdkafka_without_the_password(log_dir, capsys, monkeypatch):
    password = secrets.token_urlsafe(16)
    monkeypatch.setenv("ALERTVIEW_KAFKA_PASSWORD", password)
    args = [
        "consume", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--timeout", "1",
        "--no-store", "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN",
        "--username", "alice",
    ]  # fmt: skip
    assert cli.main(args) == 1
    plain = capsys.readouterr().err
    assert plain.startswith("alertview: cannot reach Kafka at 127.0.0.1:1") and plain[-1] == "\n"
    assert plain.count("\n") == 1  # librdkafka's lines went to the file, not the terminal
    assert "alertview.kafka: FAIL" in (log_dir / "consume.log").read_text()
    with pytest.raises(Exception, match="cannot reach Kafka"):
        cli.main(["--debug", *args])
    assert "alertview.kafka: FAIL" in capsys.readouterr().err  # librdkafka's own log
    assert password not in (log_dir / "consume.log").read_text()


def test_short_commands_keep_no_file(log_dir, capsys):
    assert cli.main(["inspect", str(log_dir / "missing.avro")]) == 1
    assert not log_dir.exists()


@pytest.mark.parametrize("debug", [False, True])
def test_the_viewers_stream_process_logs_beside_the_viewer(tmp_path, debug):
    """The stream's process is spawned: it learns the viewer's log settings from the
    environment, and keeps a file of its own (two processes must not rotate one)."""
    script = (
        "import logging\n"
        "from alertview.core.logs import configure_stream_child, remember_secrets\n"
        "configure_stream_child()\n"
        "remember_secrets('pw-123')\n"
        "logging.getLogger('alertview.core.stream.ingest').debug('a debug line')\n"
        "logging.getLogger('alertview.core.stream.ingest').warning('warned with pw-123')\n"
        "logging.getLogger('alertview.kafka').warning('librdkafka warned')\n"
    )
    env = {"ALERTVIEW_STREAM_LOG": json.dumps({"debug": debug, "dir": str(tmp_path)})}
    done = subprocess.run(
        [sys.executable, "-c", script], env=child_env(env), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "alertview stream: warned with ***" in lines
    assert ("alertview stream: a debug line" in lines) == debug
    assert ("alertview stream: librdkafka warned" in lines) == debug
    text = (tmp_path / "view-stream.log").read_text()
    assert "warned with ***" in text and "librdkafka warned" in text and "pw-123" not in text
    assert ("a debug line" in text) == debug
