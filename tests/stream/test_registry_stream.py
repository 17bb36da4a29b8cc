"""The schema registry is asked on every path that decodes a stream's alerts.

Rubin alerts framed with schema id 9999 (a copy of v10 that lsst-alert-packet
lacks) decode only by asking the registry: through AlertConsumer, `alertview
consume`, the viewer's stream process and `alertview export`. Without the
registry each such message is an error record, said once per id.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
import uuid

import pytest

from alertview.core.alert import Origin
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import decode_bytes
from alertview.core.session.store import AlertStore
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import AlertConsumer, ConsumerSettings
from alertview.core.stream.ingest import IngestProcess, SchemaSource
from alertview.core.stream.messages import Command, Failed, RowsStored
from alertview.core.stream.producer import AlertProducer
from alertview.core.urls import redact_url
from tests.conftest import FINK_LSST_TRANSFER, raw_records
from tests.registry_server import UNKNOWN_TO_PACKAGE, TestRegistry
from tests.stream.conftest import consume_until

ALERTVIEW = [sys.executable, "-m", "alertview"]
COUNT = 3
PASSWORD = "pw-not-to-be-seen"


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


@pytest.fixture(scope="module")
def messages() -> list[bytes]:
    """Rubin alerts written with v10, framed under an id only the registry knows."""
    v10 = SchemaCache().by_id(1000)
    records = raw_records(FINK_LSST_TRANSFER)[:COUNT]
    return [
        confluent_frame(schemaless_body(rubin_native_record(raw), v10), UNKNOWN_TO_PACKAGE)
        for raw in records
    ]


@pytest.fixture
def topic(mock_broker, messages) -> str:
    name = f"registry-{uuid.uuid4().hex[:8]}"
    producer = AlertProducer(KafkaSettings(mock_broker.bootstrap))
    for value in messages:
        producer.send(name, value, b"one partition")
    assert producer.flush(20).delivered == COUNT
    return name


def _with_credentials(url: str, user: str = "alice", password: str = PASSWORD) -> str:
    return f"http://{user}:{password}@{url.removeprefix('http://')}"


def _settings(bootstrap: str, topic: str) -> ConsumerSettings:
    return ConsumerSettings(
        KafkaSettings(bootstrap), (topic,), f"g-{uuid.uuid4().hex[:6]}", "earliest"
    )


def _consume(bootstrap: str, topic: str, cache: SchemaCache) -> tuple[list, list, dict]:
    with AlertConsumer(_settings(bootstrap, topic), cache) as consumer:
        batches = consume_until(
            consumer, lambda b: sum(len(x.alerts) + len(x.errors) for x in b) >= COUNT
        )
        unknown = consumer.unknown_schema_ids
    alerts = [a for b in batches for a in b.alerts]
    errors = [e for b in batches for e in b.errors]
    return alerts, errors, unknown


# -- (a) AlertConsumer ------------------------------------------------------------------
def test_consumer_asks_the_registry(mock_broker, topic, messages):
    with TestRegistry() as registry:
        alerts, errors, unknown = _consume(
            mock_broker.bootstrap, topic, SchemaCache(registry_url=registry.url)
        )
    assert errors == [] and unknown == {}
    assert len(alerts) == COUNT and {a.survey for a in alerts} == {"lsst"}
    assert [a.packet.data for a in alerts] == messages
    assert registry.asked == [UNKNOWN_TO_PACKAGE]  # asked once, then cached
    assert {a.packet.schema.origin for a in alerts} == {registry.url}


def test_consumer_authenticates_with_credentials_in_the_url(mock_broker, topic):
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = _with_credentials(registry.url)
        alerts, errors, _ = _consume(mock_broker.bootstrap, topic, SchemaCache(registry_url=url))
    assert len(alerts) == COUNT and errors == []
    assert registry.refused == 0 and UNKNOWN_TO_PACKAGE in registry.asked
    assert {a.packet.schema.origin for a in alerts} == {redact_url(url)}
    assert PASSWORD not in redact_url(url)


def test_consumer_with_wrong_credentials_is_refused_and_says_no_password(mock_broker, topic):
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = _with_credentials(registry.url, password="wrong-one")
        alerts, errors, _ = _consume(mock_broker.bootstrap, topic, SchemaCache(registry_url=url))
    assert alerts == [] and len(errors) == COUNT and registry.refused >= 1
    assert all("wrong-one" not in str(e) for e in errors)


def test_consumer_without_registry_gives_one_error_per_id(mock_broker, topic, messages):
    alerts, errors, unknown = _consume(mock_broker.bootstrap, topic, SchemaCache())
    assert alerts == [] and len(errors) == COUNT
    assert unknown == {UNKNOWN_TO_PACKAGE: COUNT}
    assert [e.repeat for e in errors] == [False] + [True] * (COUNT - 1)
    assert all(e.schema_id == UNKNOWN_TO_PACKAGE for e in errors)
    assert errors[0].reason.startswith(f"unknown schema id {UNKNOWN_TO_PACKAGE} (looked in: ")
    assert [e.packet for e in errors] == messages  # nothing received is lost


# -- (b) alertview consume ----------------------------------------------------------------
def _run(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ALERTVIEW, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def _consume_command(bootstrap: str, topic: str, tmp_path, *extra: str):
    return _run(
        "consume", "--bootstrap", bootstrap, "--topic", topic, "--from", "earliest",
        "--group", f"g-{uuid.uuid4().hex[:6]}", "--json", "--timeout", "4", *extra,
        env={"ALERTVIEW_DATA_DIR": str(tmp_path)},
    )  # fmt: skip


def test_consume_command_asks_the_registry_with_basic_auth(mock_broker, topic, tmp_path):
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = _with_credentials(registry.url)
        result = _consume_command(
            mock_broker.bootstrap, topic, tmp_path, "--registry", url, "--max", str(COUNT)
        )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == COUNT
    assert f"received {COUNT} alerts" in result.stderr
    assert registry.asked == [UNKNOWN_TO_PACKAGE] and registry.refused == 0
    assert PASSWORD not in result.stdout + result.stderr


def test_consume_command_without_registry_says_an_unknown_id_once(mock_broker, topic, tmp_path):
    result = _consume_command(mock_broker.bootstrap, topic, tmp_path, "--session", "s")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    full = [line for line in lines if f"unknown schema id {UNKNOWN_TO_PACKAGE} (looked" in line]
    assert len(full) == 1, result.stderr
    assert f"alertview: unknown schema id {UNKNOWN_TO_PACKAGE}: {COUNT} messages" in lines
    assert f"{COUNT} undecodable messages" in result.stderr
    with AlertStore(tmp_path / "sessions" / "s") as store:  # every message is kept
        stored = store.errors()
        assert len(stored) == COUNT and store.unknown_schema_counts() == {9999: COUNT}
        assert all(store.error_packet(e.row)[1:5] == b"\0\0'\x0f" for e in stored)


# -- (c) the viewer's stream process -------------------------------------------------------
def _ingest(bootstrap: str, topic: str, folder, schemas: SchemaSource) -> tuple[int, int]:
    process = IngestProcess(_settings(bootstrap, topic), folder, schemas)
    rows = errors = 0
    deadline = time.monotonic() + 40
    try:
        while rows + errors < COUNT:
            assert time.monotonic() < deadline and process.alive, (rows, errors)
            for news in process.receive(0.2):
                assert not isinstance(news, Failed), news
                if isinstance(news, RowsStored):
                    rows += len(news.rows)
                    errors += news.errors
    finally:
        process.command(Command.STOP)
        while process.alive and not process.finished:
            list(process.receive(0.2))
        process.join()
    return rows, errors


def test_stream_process_asks_the_registry(mock_broker, topic, tmp_path):
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = _with_credentials(registry.url)
        counts = _ingest(mock_broker.bootstrap, topic, tmp_path / "s", SchemaSource(url))
    assert counts == (COUNT, 0)
    assert registry.asked == [UNKNOWN_TO_PACKAGE] and registry.refused == 0
    with AlertStore(tmp_path / "s") as store:
        assert len(store) == COUNT and store.errors() == []
        (use,) = store.schema_summary()
        assert (use.topic, use.schema_id, use.alerts) == (topic, UNKNOWN_TO_PACKAGE, COUNT)
        assert use.origin == redact_url(url) and PASSWORD not in use.origin


def test_stream_process_without_registry_keeps_the_messages(mock_broker, topic, tmp_path):
    counts = _ingest(mock_broker.bootstrap, topic, tmp_path / "s", SchemaSource())
    assert counts == (0, COUNT)
    with AlertStore(tmp_path / "s") as store:
        stored = store.errors()
        assert [e.repeat for e in stored] == [False] + [True] * (COUNT - 1)
        assert store.unknown_schema_counts() == {UNKNOWN_TO_PACKAGE: COUNT}
        # the kept bytes decode once the registry is there
        with TestRegistry() as registry:
            cache = SchemaCache(registry_url=registry.url)
            decoded = [
                alert
                for e in stored
                for alert in decode_bytes(store.error_packet(e.row), cache, origin=Origin("s"))
            ]
        assert len(decoded) == COUNT and {a.survey for a in decoded} == {"lsst"}


# -- (d) alertview export -------------------------------------------------------------------
def _saved(messages: list[bytes], tmp_path):
    folder = tmp_path / "messages"
    folder.mkdir()
    for number, value in enumerate(messages):
        (folder / f"message-{number}.bin").write_bytes(value)
    return folder


def test_export_asks_the_registry(messages, tmp_path):
    folder = _saved(messages, tmp_path)
    out = tmp_path / "alerts.csv"
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = _with_credentials(registry.url)
        result = _run("export", folder, "--format", "csv", "--out", out, "--registry", url)
    assert result.returncode == 0, result.stderr
    assert registry.asked == [UNKNOWN_TO_PACKAGE] and registry.refused == 0
    with out.open() as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == COUNT
    assert PASSWORD not in result.stdout + result.stderr + out.read_text()


def test_export_without_registry_reports_the_unknown_id(messages, tmp_path):
    folder = _saved(messages, tmp_path)
    result = _run("export", folder, "--format", "csv", "--out", tmp_path / "alerts.csv")
    assert result.returncode == 1
    assert f"unknown schema id {UNKNOWN_TO_PACKAGE}" in result.stderr
