"""`alertview replay --loop --renumber` into a real (embedded) broker: every pass new alerts."""

from __future__ import annotations

import math
import uuid

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.stream.config import KafkaSettings
from tests.conftest import SHARED
from tests.stream.commands import run_alertview
from tests.stream.conftest import read_all

SHARED_ALERTS = 57
PASSES = 3


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


def test_a_renumbered_loop_delivers_distinct_alerts(mock_broker):
    topic = f"renumber-{uuid.uuid4().hex[:8]}"
    total = PASSES * SHARED_ALERTS
    replayed = run_alertview(
        "replay", SHARED, "--bootstrap", mock_broker.bootstrap, "--topic", topic,
        "--interval", "0", "--loop", "--renumber", "--limit", total,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    assert f"{total} delivered, 0 failed" in replayed.stderr
    batches = read_all(KafkaSettings(mock_broker.bootstrap), topic, total)
    assert not [e for b in batches for e in b.errors]
    alerts = [a for b in batches for a in b.alerts]
    assert len(alerts) == total
    assert len({(a.survey, a.alert_id) for a in alerts}) == total  # no id twice
    # the same objects, every alert once per pass, each pass D whole days later
    real = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, DecodeError)]
    days = math.floor(max(a.mjd for a in real) - min(a.mjd for a in real)) + 1
    expected = sorted((a.object_id or "", a.mjd + k * days) for k in range(PASSES) for a in real)
    got = sorted((a.object_id or "", a.mjd) for a in alerts)
    assert [o for o, _ in got] == [o for o, _ in expected]
    assert [m for _, m in got] == pytest.approx([m for _, m in expected], abs=1e-6)


def test_without_loop_renumber_is_a_one_line_usage_error():
    replayed = run_alertview(
        "replay", SHARED, "--bootstrap", "127.0.0.1:1", "--topic", "t", "--renumber"
    )
    assert replayed.returncode == 1
    assert replayed.stderr.strip().splitlines() == [
        "alertview: --renumber needs --loop: only a loop's later passes are renumbered"
    ]
