"""Bounded sessions: the free-space guard and the retention policy."""

from __future__ import annotations

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore, DiskFull
from tests.conftest import SHARED


def _segment_sizes(folder):
    return {p.name: p.stat().st_size for p in folder.glob("*.seg")}


def test_full_disk_refuses_the_batch_before_writing_any_of_it(tmp_path, monkeypatch):
    alerts = list(read_alerts([SHARED / "ztf"], SchemaCache()))
    folder = tmp_path / "s"
    with AlertStore(folder) as store:
        store.add(alerts[:2])
        sizes, count = _segment_sizes(folder), len(store)
        monkeypatch.setenv("ALERTVIEW_MIN_FREE_BYTES", str(2**62))
        with pytest.raises(DiskFull) as caught:
            store.add_rows(alerts[2:], sync=False)
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("disk nearly full: ")
        assert "offsets not committed" in message
        assert _segment_sizes(folder) == sizes
        assert len(store) == count
        monkeypatch.delenv("ALERTVIEW_MIN_FREE_BYTES")  # space freed: storing resumes
        assert store.add(alerts[2:]) == len(alerts) - 2
