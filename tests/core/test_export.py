"""Exports round-trip: read back with fastavro and astropy, ids and values equal."""

from __future__ import annotations

import subprocess
import sys

import fastavro
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import read_alerts
from alertview.core.export import export_alerts
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, SHARED, raw_records


@pytest.fixture(scope="module")
def alerts():
    return list(read_alerts([SHARED], SchemaCache()))


def test_avro_one_file_readable_by_fastavro_and_alertview(tmp_path):
    selection = list(read_alerts([FINK_ZTF_MULTI], SchemaCache()))
    (path,) = export_alerts(selection, "avro", tmp_path / "sel.avro")
    with path.open("rb") as stream:
        records = list(fastavro.reader(stream))
    assert [r["candid"] for r in records] == [r["candid"] for r in raw_records(FINK_ZTF_MULTI)]
    again = list(read_alerts([path], SchemaCache()))
    assert [(a.alert_id, a.mag, a.n_upper_limits) for a in again] == [
        (a.alert_id, a.mag, a.n_upper_limits) for a in selection
    ]


def test_avro_with_mixed_schemas_writes_one_file_per_schema(tmp_path, alerts):
    written = export_alerts(alerts, "avro", tmp_path / "all.avro")
    back = [a for path in written for a in read_alerts([path], SchemaCache())]
    assert len(written) > 1 and sorted(a.alert_id for a in back) == sorted(
        a.alert_id for a in alerts
    )


@pytest.mark.parametrize("fmt", ["ecsv", "csv", "votable", "fits"])
def test_tables_keep_64_bit_ids_exact(tmp_path, alerts, fmt):
    (path,) = export_alerts(alerts, fmt, tmp_path / f"alerts.{fmt}")
    table = Table.read(path, format={"csv": "ascii.csv", "ecsv": "ascii.ecsv"}.get(fmt, fmt))
    assert [int(v) for v in table["alert_id"]] == [a.alert_id for a in alerts]
    assert max(int(v) for v in table["alert_id"]) == 3367537290415015010  # > 2**53
    mags = np.array([np.nan if a.mag is None else a.mag for a in alerts])
    np.testing.assert_allclose(np.array(table["mag"], dtype=float), mags, rtol=1e-12)
    assert [str(v) for v in table["survey"]] == [a.survey for a in alerts]


def test_lightcurve_csv_has_every_point(tmp_path, alerts):
    (path,) = export_alerts(alerts, "lightcurve-csv", tmp_path / "lc.csv")
    table = Table.read(path, format="ascii.csv")
    expected = sum(len(a.detections) + a.n_upper_limits + a.n_forced for a in alerts)
    assert len(table) == expected
    rubin = raw_records(FINK_LSST_TRANSFER)[0]
    mine = table[table["alert_id"] == rubin["diaSourceId"]]
    assert sum(mine["kind"] == "forced") == len(rubin["prvDiaForcedSources"])
    assert sum(mine["kind"] == "detection") == len(rubin["prvDiaSources"]) + 1


def test_cutouts_as_fits_and_png(tmp_path):
    (alert,) = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))[:1]
    export_alerts([alert], "cutouts", tmp_path / "stamps")
    stem = f"lsst_{alert.object_id}_{alert.alert_id}"
    for name, cutout in decode_cutouts(alert).items():
        with fits.open(tmp_path / "stamps" / f"{stem}_{name}.fits") as hdus:
            np.testing.assert_array_equal(hdus[0].data, cutout.data)
            assert hdus[0].header["BUNIT"] == "nJy"
        assert (tmp_path / "stamps" / f"{stem}_{name}.png").stat().st_size > 500


def test_export_command_with_filter(tmp_path):
    out = tmp_path / "r.ecsv"
    result = subprocess.run(
        [sys.executable, "-m", "alertview", "export", str(SHARED), "--format", "ecsv",
         "--out", str(out), "--filter", 'band == "r" and mag < 19'],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = Table.read(out, format="ascii.ecsv")
    assert len(table) > 0 and all(table["band"] == "r") and all(table["mag"] < 19)
