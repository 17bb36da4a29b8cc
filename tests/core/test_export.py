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
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, SHARED, ZTF_FILES, raw_records


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


# -- units, time scale, whole stamps (issue 15 §3) -----------------------------------------
TABLE_READERS = {"ecsv": "ascii.ecsv", "votable": "votable", "fits": "fits"}


def _read_table(path, fmt):
    return Table.read(path, format=TABLE_READERS[fmt])


@pytest.mark.parametrize("fmt", sorted(TABLE_READERS))
@pytest.mark.parametrize(("packets", "scale"), [(ZTF_FILES, "UTC"), ([FINK_LSST_TRANSFER], "TAI")])
def test_tables_carry_units_and_the_time_scale(tmp_path, fmt, packets, scale):
    selection = list(read_alerts(packets, SchemaCache()))
    (path,) = export_alerts(selection, fmt, tmp_path / f"sel.{fmt}")
    table = _read_table(path, fmt)
    units = {name: str(table[name].unit) for name in ("ra", "dec", "mjd", "mag", "mag_err")}
    assert units == {"ra": "deg", "dec": "deg", "mjd": "d", "mag": "mag", "mag_err": "mag"}
    assert str(table["flux"].unit) == str(table["flux_err"].unit) == "nJy"
    assert scale in table["mjd"].description
    if fmt == "votable":  # a TIMESYS element the mjd field refers to (VOTable 1.4)
        from astropy.io.votable import parse

        votable = parse(str(path))
        (mjd,) = [f for f in votable.get_first_table().fields if f.name == "mjd"]
        assert votable.get_timesys_by_id(mjd.ref).timescale == scale
    else:  # ECSV metadata; in FITS the header keyword of the FITS time standard
        assert table.meta["TIMESYS"] == scale
    if fmt == "fits":
        with fits.open(path) as hdus:
            assert hdus[1].header["TIMESYS"] == scale


@pytest.mark.parametrize("fmt", sorted(TABLE_READERS))
def test_a_table_mixing_surveys_says_the_scale_is_per_row(tmp_path, alerts, fmt):
    (path,) = export_alerts(alerts, fmt, tmp_path / f"all.{fmt}")
    table = _read_table(path, fmt)
    assert "TIMESYS" not in table.meta  # ZTF's UTC and Rubin's TAI: no one scale
    assert "time_scale" in table["mjd"].description
    scales = {(str(s), str(t)) for s, t in zip(table["survey"], table["time_scale"], strict=True)}
    assert scales == {("ztf", "utc"), ("lsst", "tai")}
    assert str(table["mjd"].unit) == "d" and str(table["ra"].unit) == "deg"


def test_a_csv_table_stays_plain_and_names_scale_and_flux_unit_per_row(tmp_path, alerts):
    """A CSV has no place for units: a comment block would break spreadsheets and
    pandas' default reader, so the header is the first line and the columns say it."""
    (path,) = export_alerts(alerts, "csv", tmp_path / "all.csv")
    assert path.read_text().splitlines()[0].startswith("source,index,survey,")
    table = Table.read(path, format="ascii.csv")
    assert set(table["flux_unit"]) == {"nJy"}
    assert {str(v) for v in table["time_scale"][table["survey"] == "lsst"]} == {"tai"}


def test_rubin_cutout_fits_keep_uncert_and_psfimage(tmp_path):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], SchemaCache())))
    export_alerts([alert], "cutouts", tmp_path / "stamps")
    for name, cutout in decode_cutouts(alert).items():
        uncert, psf = cutout.extension("UNCERT"), cutout.extension("PSFIMAGE")
        assert uncert is not None and psf is not None  # the packet's stamp has them
        path = tmp_path / "stamps" / f"lsst_{alert.object_id}_{alert.alert_id}_{name}.fits"
        with fits.open(path) as hdus:
            assert [h.name for h in hdus] == ["PRIMARY", "UNCERT", "PSFIMAGE"]
            np.testing.assert_array_equal(hdus[0].data, cutout.data)
            np.testing.assert_array_equal(hdus["UNCERT"].data.astype(np.float32), uncert)
            np.testing.assert_array_equal(hdus["PSFIMAGE"].data.astype(np.float32), psf)


def test_ztf_cutout_fits_is_standard_and_equal(tmp_path):
    alert = next(iter(read_alerts([ZTF_FILES[-1]], SchemaCache())))
    export_alerts([alert], "cutouts", tmp_path / "stamps")
    cutout = decode_cutouts(alert)["science"]
    path = tmp_path / "stamps" / f"ztf_{alert.object_id}_{alert.alert_id}_science.fits"
    with fits.open(path) as hdus:
        hdus.verify("exception")  # ZTF's 'SIMPLE  =  T' was made standard
        np.testing.assert_array_equal(hdus[0].data, cutout.data)


def _corner_probe(cutout):
    """The stamp with a 2x2 block of a distinct value at each corner, 0 elsewhere."""
    marked = np.zeros_like(cutout.data)
    for value, (r, c) in enumerate([(0, 0), (0, -2), (-2, 0), (-2, -2)], 1):
        marked[r : r + 2 if r >= 0 else None, c : c + 2 if c >= 0 else None] = value
    return type(cutout)(cutout.name, marked, cutout.kind, sky_transform=cutout.sky_transform)


def test_whole_north_up_keeps_the_corners_of_a_turned_stamp():
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], SchemaCache())))
    science = decode_cutouts(alert)["science"]
    assert 10 < abs(science.north_angle) % 90 < 80  # turned, not by a right angle
    probe = _corner_probe(science)
    cropped, whole = probe.north_up(), probe.north_up(whole=True)
    assert set(np.unique(cropped[np.isfinite(cropped)])) < {0, 1, 2, 3, 4}  # corners cut
    assert set(np.unique(whole[np.isfinite(whole)])) == {0, 1, 2, 3, 4}
    assert whole.shape[0] > 30 and whole.shape[1] > 30
    # every pixel once on average: the turned stamp's area, not a clipped one
    assert abs(int(np.isfinite(whole).sum()) - science.data.size) < 0.06 * science.data.size


def test_png_of_a_turned_rubin_stamp_holds_the_whole_stamp(tmp_path):
    from PIL import Image

    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], SchemaCache())))
    export_alerts([alert], "cutouts", tmp_path / "stamps")
    science = decode_cutouts(alert)["science"]
    whole = science.north_up(whole=True)
    path = tmp_path / "stamps" / f"lsst_{alert.object_id}_{alert.alert_id}_science.png"
    with Image.open(path) as png:
        assert png.mode == "LA" and png.size == (whole.shape[1] * 4, whole.shape[0] * 4)
        alpha = np.asarray(png)[:, :, 1]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0  # outside
    opaque = int((alpha == 255).sum()) / 16  # stamp pixels shown (each 4x4)
    assert abs(opaque - science.data.size) < 0.06 * science.data.size


@pytest.mark.parametrize(("packets", "scale"), [(ZTF_FILES, "UTC"), ([FINK_LSST_TRANSFER], "TAI")])
def test_exported_and_samp_votables_describe_shared_columns_alike(tmp_path, packets, scale):
    """One list of units and UCDs (export_units.COLUMNS) for the export and for what SAMP
    sends TOPCAT: a column means the same in both, and both say the time scale."""
    import io

    import numpy as np
    from astropy.io.votable import parse, validate

    from alertview.core.samp.messages import selection_fields, write_votable
    from alertview.core.session.store import AlertStore
    from alertview.core.table.columns import AlertColumns

    selection = list(read_alerts(packets, SchemaCache()))
    (exported,) = export_alerts(selection, "votable", tmp_path / "sel.votable")
    columns = AlertColumns()
    with AlertStore(tmp_path / "store") as store:
        store.add(selection)
        columns.append_rows(store.rows())
    fields = selection_fields(columns, np.arange(len(columns)))
    sent = write_votable(fields, tmp_path / "samp.xml", "av-1", "AlertView selection")
    report = io.StringIO()
    assert validate(str(sent), output=report), report.getvalue()

    def described(path):
        votable = parse(str(path))
        table = votable.get_first_table()
        by_name = {f.name: (str(f.unit) if f.unit else None, f.ucd) for f in table.fields}
        (mjd,) = [f for f in table.fields if f.name == "mjd"]
        return by_name, votable.get_timesys_by_id(mjd.ref).timescale

    export_meta, export_scale = described(exported)
    samp_meta, samp_scale = described(sent)
    shared = sorted(set(export_meta) & set(samp_meta))
    assert {"ra", "dec", "mjd", "mag", "flux", "object_id", "survey", "band"} <= set(shared)
    assert {n: samp_meta[n] for n in shared} == {n: export_meta[n] for n in shared}
    assert samp_meta["flux"] == ("nJy", "phot.flux.density")  # nJy is a flux density
    assert samp_meta["mjd"] == ("d", "time.epoch")
    assert samp_scale == export_scale == scale


def test_samp_votable_of_mixed_time_scales_has_no_timesys(tmp_path, alerts):
    import numpy as np

    from alertview.core.samp.messages import selection_fields, write_votable
    from alertview.core.session.store import AlertStore
    from alertview.core.table.columns import AlertColumns

    columns = AlertColumns()
    with AlertStore(tmp_path / "store") as store:
        store.add([a for a in alerts if not isinstance(a, Exception)])
        columns.append_rows(store.rows())
    fields = selection_fields(columns, np.arange(len(columns)))
    path = write_votable(fields, tmp_path / "samp.xml", "av-1", "mixed")
    text = path.read_text()
    assert "<TIMESYS" not in text and "ref=" not in text  # UTC and TAI rows: per row
    assert "time scale per row in column time_scale" in text  # mjd's description says so
