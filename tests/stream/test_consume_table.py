"""`consume --json` prints from the table-fields decode; whole decodes only when needed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from tests.stream.commands import run_alertview
from tests.stream.test_ingest_pipeline import publish

#: Keys a table-fields summary holds as the whole decode does.
SAME = ("alert_id", "object_id", "survey", "schema", "ra", "dec", "mjd", "band", "mag",
        "mag_err", "flux", "flux_err", "rb", "drb", "topic", "partition", "offset")  # fmt: skip
#: Keys the table fields do not hold: null.
NOT_READ = ("n_upper_limits", "n_forced", "cutouts", "cutout_shapes", "cutout_errors")


@pytest.fixture(scope="module")
def mock_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker("mock") as running:
        yield running


def _lines(bootstrap: str, topic: str, tmp_path, *args: str) -> dict[int, dict]:
    done = run_alertview(
        "consume", "--bootstrap", bootstrap, "--topic", topic, "--from", "earliest",
        "--group", f"g-{uuid.uuid4().hex[:6]}", "--json", "--max", "7", "--no-store", *args,
        env={"ALERTVIEW_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    return {line["alert_id"]: line for line in lines}


def test_json_lines_come_from_the_table_fields_unless_more_is_needed(mock_broker, tmp_path):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"table-{uuid.uuid4().hex[:6]}"
    ids = publish(kafka, topic, 7)
    table = _lines(kafka.bootstrap, topic, tmp_path)
    full = _lines(kafka.bootstrap, topic, tmp_path, "--full")
    assert sorted(table) == sorted(full) == sorted(ids)
    for alert_id, line in table.items():
        whole = full[alert_id]
        assert set(line) - {"detail"} == set(whole)  # the same keys
        assert line["detail"] == "table" and "detail" not in whole
        assert {k: line[k] for k in SAME} == {k: whole[k] for k in SAME}
        assert all(line[k] is None for k in NOT_READ)
        assert whole["cutouts"] and whole["n_upper_limits"] is not None
    # a filter on a field the table does not hold (ZTF's nbad) reads the packets whole
    filtered = _lines(kafka.bootstrap, topic, tmp_path, "--filter", "nbad >= 0")
    assert filtered and all(line["cutouts"] for line in filtered.values())
