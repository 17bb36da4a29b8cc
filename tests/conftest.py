"""Shared fixtures: the real alert packets in ../shared/data/alerts."""

from __future__ import annotations

import os
from pathlib import Path

import fastavro
import pytest

from alertview.core.avro.schemas import SchemaCache

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ALERTVIEW_SHARED_DATA", REPO.parent / "shared" / "data" / "alerts"))

ZTF_FILES = sorted((SHARED / "ztf").glob("*.avro"))
FINK_ZTF_MULTI = SHARED / "fink" / "avro_multi_alerts.avro"
FINK_ZTF_SINGLE = SHARED / "fink" / "ZTF19acihgng.avro"
FINK_ZTF_TRANSFER = SHARED / "fink" / "ztf-transfer" / "part-3-305711.avro"
ZTF_TRANSFER_SCHEMA = (
    SHARED / "fink" / "ztf-transfer" / "avro_schema_ftransfer_ztf_2026-03-23_11487.json"
)
FINK_LSST_TRANSFER = SHARED / "fink" / "lsst-transfer" / "part-2-918301.avro"
PROTOTYPE = SHARED / "ztf" / "87704463155000.avro"
FORCED_TEST = SHARED / "ztf" / "forcedphot_test_1660293514215020000.avro"


def pytest_sessionstart(session: pytest.Session) -> None:
    # The tests are about real packets: their absence is a failure, never a skip.
    if not (SHARED / "ztf").is_dir():
        raise pytest.UsageError(f"real alert packets not found at {SHARED}")


def raw_records(path: Path) -> list[dict]:
    """Records read independently of AlertView, with plain fastavro."""
    with path.open("rb") as stream:
        return list(fastavro.reader(stream))


@pytest.fixture
def cache() -> SchemaCache:
    return SchemaCache()
