"""Shared fixtures: the real alert packets bundled in tests/data/alerts (provenance in
tests/data/README.md); no test reaching the OS keyring or the user's log folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import fastavro
import keyring
import pytest
from keyring.backend import KeyringBackend

from alertview.core.avro.schemas import SchemaCache
from alertview.core.surveys import SURVEY_FIELDS
from tests.fake_keyrings import NO_KEYRING_ENV, NoKeyring

REPO = Path(__file__).resolve().parents[1]
#: The bundled packets (a clean clone has them; nothing outside the repository is read).
DATA = REPO / "tests" / "data" / "alerts"
#: The name the tests import (the packets once came from ../shared/data/alerts).
SHARED = DATA

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

# Child processes (`alertview ...` run by the tests) inherit this: keyring loads the
# backend named here before any it would find on the machine. Forced, not defaulted: a
# developer's own PYTHON_KEYRING_BACKEND may name their real keyring.
os.environ.update(NO_KEYRING_ENV)
# Likewise the log files of the commands the tests run (view, consume, broker, replay):
# one folder for the whole run, never the user's (alertview.core.logs.LOG_DIR_ENV).
LOG_DIR = Path(tempfile.mkdtemp(prefix="alertview-test-logs-"))
os.environ["ALERTVIEW_LOG_DIR"] = str(LOG_DIR)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The tests are about real packets: their absence is a failure, never a skip.
    if not (SHARED / "ztf").is_dir():
        raise pytest.UsageError(f"real alert packets not found at {SHARED}")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(LOG_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def isolated_keyring() -> Iterator[KeyringBackend]:
    """Every test starts with no keyring (keyring's own "fail" backend: nothing is kept,
    as on a machine without one); a test wanting one sets a fake (tests/fake_keyrings.py,
    ``using_keyring``) and must put this one back. The developer's keyring is never
    read nor written."""
    backend = NoKeyring()
    keyring.set_keyring(backend)
    yield backend
    assert keyring.get_keyring() is backend, "a test left another keyring in place"


def raw_records(path: Path) -> list[dict]:
    """Records read independently of AlertView, with plain fastavro."""
    with path.open("rb") as stream:
        return list(fastavro.reader(stream))


@pytest.fixture
def cache() -> SchemaCache:
    """A cache like the viewer's: decodes for the table and light curve are projected."""
    return SchemaCache(fields=SURVEY_FIELDS)


# -- SAMP: a private hub (``tests/samp_hub.py``), for tests/core and tests/gui alike ------
@pytest.fixture
def samp_env(tmp_path, monkeypatch):
    """SAMP_HUB and HOME in ``tmp_path``: a user's real hub is never touched."""
    from tests.samp_hub import private_hub_env

    yield from private_hub_env(tmp_path, monkeypatch)


@pytest.fixture
def hub(samp_env):
    from tests.samp_hub import running_hub

    yield from running_hub(samp_env)


@pytest.fixture
def listener(hub):
    from tests.samp_hub import listening

    yield from listening()


def python_json(script: str, *args: str, env: dict[str, str]) -> dict:
    """Run ``script`` in a fresh Python (what a new process imports and starts, which
    this one has done already); the JSON it printed last."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
