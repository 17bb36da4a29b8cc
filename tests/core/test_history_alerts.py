"""The earlier alerts rebuilt from a real packet's history decode as that object's alerts."""

from __future__ import annotations

import io
from pathlib import Path

import fastavro
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.history_alerts import earlier_alerts
from alertview.core.surveys import SURVEY_FIELDS

SAMPLES = Path(__file__).parents[2] / "resources" / "samples"


def _rebuilt(path: Path, count: int):
    with path.open("rb") as stream:
        reader = fastavro.reader(stream)
        record = next(reader)
        schema = reader.writer_schema
    out = io.BytesIO()
    fastavro.writer(out, schema, earlier_alerts(record, count))
    cache = SchemaCache(fields=SURVEY_FIELDS)
    latest = next(decode_bytes(path.read_bytes(), cache, origin=Origin(str(path))))
    alerts = list(decode_bytes(out.getvalue(), cache, origin=Origin("rebuilt")))
    return latest, alerts


@pytest.mark.parametrize("name", ["ztf/ZTF19acihgng.avro", "rubin/fink-lsst-2026-03-06.avro"])
def test_each_rebuilt_alert_is_a_step_of_the_real_history(name: str) -> None:
    latest, alerts = _rebuilt(SAMPLES / name, 5)
    assert len(alerts) == 5
    assert {a.object_id for a in alerts} == {latest.object_id}
    times = [a.mjd for a in alerts]
    assert times == sorted(times) and times[-1] < latest.mjd
    assert len({a.alert_id for a in alerts}) == 5 and latest.alert_id not in {
        a.alert_id for a in alerts
    }
    real = dict(zip(latest.detections.source_id, latest.detections.mjd, strict=True))
    for alert in alerts:
        # its detection is one of the real history's, at the same epoch
        assert real[alert.alert_id] == pytest.approx(alert.mjd)
        # and its own history is what came before it
        assert all(t < alert.mjd for t in alert.detections.mjd[:-1])
    counts = [len(a.detections) for a in alerts]
    assert counts == sorted(counts) and counts[0] < counts[-1] < len(latest.detections)


def test_a_packet_without_history_gives_none() -> None:
    assert earlier_alerts({"alertId": 1, "candidate": {}}, 3) == []
    assert earlier_alerts({"other": 1}, 3) == []


def test_history_files_skip_a_damaged_file_and_keep_same_named_ones_apart(tmp_path) -> None:
    from alertview.core.history_alerts import write_history_files

    real = SAMPLES / "ztf" / "ZTF19acihgng.avro"
    for folder in ("a", "b"):  # the same name in two folders
        (tmp_path / folder).mkdir()
        (tmp_path / folder / real.name).write_bytes(real.read_bytes())
    damaged = bytearray(real.read_bytes())
    damaged[len(damaged) // 3 :] = bytes(len(damaged) - len(damaged) // 3)
    (tmp_path / "a" / "damaged.avro").write_bytes(bytes(damaged[: len(damaged) // 2]))
    out = tmp_path / "out"
    out.mkdir()
    written = write_history_files([tmp_path / "a", tmp_path / "b"], out, count=3)
    assert len(written) == 6 == len(set(written)) == len(list(out.iterdir()))
