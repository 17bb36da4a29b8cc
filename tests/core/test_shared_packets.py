"""Every real packet decodes, with values checked against the raw Avro records."""

from __future__ import annotations

import dataclasses
import math

import fastavro
import numpy as np
import pytest

from alertview.core.avro.packets import read_records
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.surveys.ztf import schema_label
from tests.conftest import (
    FINK_LSST_TRANSFER,
    FINK_ZTF_MULTI,
    FINK_ZTF_SINGLE,
    FINK_ZTF_TRANSFER,
    FORCED_TEST,
    PROTOTYPE,
    SHARED,
    ZTF_FILES,
    raw_records,
)
from tests.core.forced_packets import with_unmeasured_epochs

AVRO_FILES = sorted(SHARED.rglob("*.avro"))
ZTF_BAND = {1: "g", 2: "r", 3: "i"}


def decode_file(path, cache):
    items = list(read_alerts([path], cache))
    errors = [i for i in items if isinstance(i, DecodeError)]
    assert not errors, errors
    return items


def test_shared_data_is_all_there():
    assert len(AVRO_FILES) == 11


@pytest.mark.parametrize("path", AVRO_FILES, ids=lambda p: p.name)
def test_every_shared_file_decodes_every_record(path, cache):
    alerts = decode_file(path, cache)
    assert len(alerts) == len(raw_records(path))
    assert [a.origin.index for a in alerts] == list(range(len(alerts)))
    for alert in alerts:
        assert alert.survey in ("ztf", "lsst")
        assert -90 <= alert.dec <= 90 and 0 <= alert.ra < 360
        assert set(alert.cutouts) == {"science", "template", "difference"}


def test_whole_shared_folder_reads_recursively_skipping_schema_json(cache):
    items = list(read_alerts([SHARED], cache))
    assert not [i for i in items if isinstance(i, DecodeError)]
    assert len(items) == sum(len(raw_records(p)) for p in AVRO_FILES) == 57


@pytest.mark.parametrize(
    "path",
    [*ZTF_FILES, FINK_ZTF_SINGLE, FINK_ZTF_MULTI, FINK_ZTF_TRANSFER],
    ids=lambda p: p.name,
)
def test_ztf_fields_match_raw_record(path, cache):
    for alert, raw in zip(decode_file(path, cache), raw_records(path), strict=True):
        cand = raw["candidate"]
        expected_id = raw["alertId"] if "alertId" in raw else raw["candid"]
        assert alert.alert_id == expected_id and isinstance(alert.alert_id, int)
        assert alert.object_id == raw.get("objectId")
        assert alert.ra == cand["ra"] and alert.dec == cand["dec"]
        assert alert.mjd == pytest.approx(cand["jd"] - 2400000.5, abs=1e-9)
        assert alert.time_scale == "utc"
        assert alert.band == ZTF_BAND[cand["fid"]]
        assert alert.mag == cand["magpsf"] and alert.mag_err == cand["sigmapsf"]
        assert alert.quality["rb"] == cand["rb"]
        prv = raw["prv_candidates"] or []
        detections = [p for p in prv if p.get("candid") is not None]
        # a non-detection's diffmaglim is a limit, with or without forced flux (3.5 test)
        limits = [p for p in prv if p.get("candid") is None and p.get("diffmaglim") is not None]
        forced = [p for p in prv if "candid" not in p] + (raw.get("fp_hists") or [])
        unmeasured = [p for p in forced if p.get("forcediffimflux") in (None, -99999.0)]
        assert alert.n_history_detections == len(detections)
        assert len(alert.detections) == len(detections) + 1
        assert alert.n_upper_limits == len(limits)
        assert alert.n_forced == len(forced) - len(unmeasured)
        assert alert.n_forced_unmeasured == len(unmeasured)
        assert sorted(alert.upper_limits.mag) == sorted(p["diffmaglim"] for p in limits)
        # the current detection is in the light curve, with its own id
        assert cand["magpsf"] in alert.detections.mag


def test_ztf_known_values_schema_3_3(cache):
    (alert,) = decode_file(SHARED / "ztf" / "472263571115115000.avro", cache)
    assert alert.schema_label == "ztf 3.3"
    assert alert.alert_id == 472263571115115000
    assert alert.object_id == "ZTF17aaajnnn"
    assert alert.ra == 179.6402013 and alert.dec == 52.0297203
    assert alert.mjd == pytest.approx(58226.2635764, abs=1e-7)
    assert alert.band == "r" and alert.is_positive is True
    assert alert.mag == pytest.approx(18.36185646)
    # the derived flux is the AB flux in nJy of magpsf
    assert alert.flux == pytest.approx(10 ** (-0.4 * (18.36185646 - 31.4)), rel=1e-6)
    assert (alert.n_history_detections, alert.n_upper_limits, alert.n_forced) == (0, 11, 0)


def test_ztf_negative_difference_has_negative_flux(cache):
    (alert,) = decode_file(SHARED / "ztf" / "2019_01_10_739260766315010006.avro", cache)
    assert alert.schema_label == "ztf 3.2"
    assert alert.is_positive is False and alert.flux < 0 < alert.mag


def test_ztf_schema_labels(cache):
    labels = {p.name: decode_file(p, cache)[0].schema_label for p in ZTF_FILES}
    assert labels == {
        "1661382530015060001.avro": "ztf 3.5",
        "2019_01_10_739260766315010006.avro": "ztf 3.2",
        "396522680015020000.avro": "ztf 1.7",
        "472263571115090000.avro": "ztf 2.0",
        "472263571115115000.avro": "ztf 3.3",
        "87704463155000.avro": "ztf prototype",
        "forcedphot_test_1660293514215020000.avro": "ztf 3.5",
    }


def named_type_list(alert_schema: dict) -> list:
    """The alert schema as ZTF 1.x simulated packets wrote it: a JSON list of its named
    types (candidate, prv_candidate, cutout), the alert record last."""
    types = []

    def pull(kind):
        if isinstance(kind, dict) and kind.get("type") == "record":
            types.append(kind)
            return f"{kind['namespace']}.{kind['name']}"
        if isinstance(kind, dict) and kind.get("type") == "array":
            return {**kind, "items": pull(kind["items"])}
        return [pull(k) for k in kind] if isinstance(kind, list) else kind

    fields = [{**f, "type": pull(f["type"])} for f in alert_schema["fields"]]
    return [*types, {**alert_schema, "fields": fields}]


def test_ztf_schema_label_of_a_list_schema(cache):
    path = SHARED / "ztf" / "396522680015020000.avro"  # 1.x: no schemavsn in the record
    (decoded,) = read_records(path.read_bytes(), cache)
    listed = named_type_list(dict(decoded.schema.raw))
    fastavro.parse_schema(listed)  # a valid Avro schema, as such packets carry
    assert [t["name"] for t in listed] == ["candidate", "prv_candidate", "cutout", "alert"]

    def label(raw, record=decoded.record):
        schema = dataclasses.replace(decoded.schema, raw=raw)
        packet = dataclasses.replace(decoded.packet, schema=schema)
        return schema_label(dataclasses.replace(decoded, record=record, packet=packet))

    assert label(decoded.schema.raw) == label(listed) == "ztf 1.7"
    first = [{**listed[-1], "version": "1.9"}, *listed[:-1]]
    assert label(first) == "ztf 1.9"  # found by its name, not its place
    unnamed = [*listed[:-1], {**listed[-1], "name": "packet", "version": "1.8"}]
    assert label(unnamed) == "ztf 1.8"  # no record named alert: the last record
    assert label(listed, {**decoded.record, "schemavsn": "3.3"}) == "ztf 3.3"  # record first
    for shapeless in ([], ["string", "null"], [{"type": "enum", "name": "e"}], "string", None):
        assert label(shapeless) == "ztf"


def test_ztf_2017_prototype(cache):
    (alert,) = decode_file(PROTOTYPE, cache)
    raw = raw_records(PROTOTYPE)[0]
    assert alert.alert_id == raw["alertId"] == 87704463155000
    assert alert.object_id is None
    assert alert.band == "g" and alert.is_positive is True  # isdiffpos '1'


def test_ztf_forced_photometry_scaled_to_njy(cache):
    (alert,) = decode_file(FORCED_TEST, cache)
    points = raw_records(FORCED_TEST)[0]["prv_candidates"]
    assert alert.n_forced == 18 == len(points)
    first = min(points, key=lambda p: p["jd"])
    expected = first["forcediffimflux"] * 10 ** (-0.4 * (first["magzpsci"] - 31.4))
    assert alert.forced.flux[0] == pytest.approx(expected)
    assert alert.forced.mjd[0] == pytest.approx(first["jd"] - 2400000.5)
    assert np.all(np.diff(alert.forced.mjd) >= 0)


@pytest.mark.parametrize("path", [FORCED_TEST, SHARED / "ztf" / "1661382530015060001.avro"],
                         ids=lambda p: p.name)  # fmt: skip
def test_ztf_forced_photometry_non_detections_are_upper_limits_too(path, cache):
    (alert,) = decode_file(path, cache)
    points = raw_records(path)[0]["prv_candidates"]
    limits = [p for p in points if p.get("candid") is None and p.get("diffmaglim") is not None]
    # every entry is a non-detection with forced flux and a limit: counted as both
    assert alert.n_upper_limits == len(limits) == len(points) == alert.n_forced > 0
    assert alert.n_forced_unmeasured == 0
    by_time = sorted(limits, key=lambda p: p["jd"])
    np.testing.assert_array_equal(alert.upper_limits.mag, [p["diffmaglim"] for p in by_time])
    np.testing.assert_allclose(alert.upper_limits.mjd, [p["jd"] - 2400000.5 for p in by_time])
    assert alert.upper_limits.band.tolist() == [ZTF_BAND[p["fid"]] for p in by_time]
    assert (alert.upper_limits.source_id == -1).all()


def test_ztf_unmeasured_forced_epochs_are_counted_not_drawn(cache, tmp_path):
    path, record = with_unmeasured_epochs(tmp_path, 3)
    (alert,) = decode_file(path, cache)
    points = record["prv_candidates"]
    assert (alert.n_forced, alert.n_forced_unmeasured) == (len(points) - 3, 3)
    assert np.isfinite(alert.forced.flux).all()
    assert alert.n_upper_limits == len(points)  # an unmeasured epoch still has its limit
    measured = sorted(p["jd"] - 2400000.5 for p in points[3:])
    np.testing.assert_allclose(alert.forced.mjd, measured)


def test_fink_extra_fields_are_kept(cache):
    alerts = decode_file(FINK_ZTF_MULTI, cache)
    assert len(alerts) == 11
    assert all("cdsxmatch" in a.record and "rfscore" in a.record for a in alerts)
    transfer = decode_file(FINK_ZTF_TRANSFER, cache)
    assert {a.schema_label for a in transfer} == {"ztf 4.02"}
    assert {a.publisher for a in transfer} == {"Fink"}
    assert "finkclass" in transfer[0].record


def test_rubin_fields_match_raw_record(cache):
    alerts = decode_file(FINK_LSST_TRANSFER, cache)
    for alert, raw in zip(alerts, raw_records(FINK_LSST_TRANSFER), strict=True):
        src = raw["diaSource"]
        assert alert.survey == "lsst" and alert.schema_label == "lsst 10.0"
        assert alert.alert_id == src["diaSourceId"] == raw["diaSourceId"]
        object_id = src["diaObjectId"]  # else a known asteroid's designation
        designation = (raw.get("ssSource") or {}).get("designation")
        assert alert.object_id == (str(object_id) if object_id else designation)
        assert alert.object_id  # every one of these has an object
        assert (alert.ra, alert.dec) == (src["ra"], src["dec"])
        assert alert.mjd == src["midpointMjdTai"] and alert.time_scale == "tai"
        assert alert.band == src["band"]
        assert alert.flux == src["psfFlux"] and alert.flux_unit == "nJy"
        assert alert.quality == {"reliability": src["reliability"], "snr": src["snr"]}
        if src["psfFlux"] > 0:
            assert alert.mag == pytest.approx(-2.5 * math.log10(src["psfFlux"]) + 31.4)
            expected_err = 1.0857 * src["psfFluxErr"] / src["psfFlux"]
            assert alert.mag_err == pytest.approx(expected_err, rel=1e-4)
        else:
            assert alert.mag is None and alert.mag_err is None
        assert alert.n_history_detections == len(raw["prvDiaSources"] or [])
        assert alert.n_forced == len(raw["prvDiaForcedSources"] or [])
        assert alert.n_upper_limits == 0


def test_rubin_known_values(cache):
    alerts = decode_file(FINK_LSST_TRANSFER, cache)
    first = alerts[0]
    assert first.alert_id == 170094456272322680
    assert first.object_id == "170028485706776685"
    assert first.flux == pytest.approx(-19549.39453125) and first.mag is None
    assert (first.n_history_detections, first.n_forced) == (345, 395)
    # negative difference fluxes have no magnitude but stay in the light curve
    assert np.isnan(first.detections.mag[first.detections.flux <= 0]).all()
    second = alerts[1]
    assert second.mag == pytest.approx(23.10748, abs=1e-5)
    # solar-system-only sources have no diaObject
    assert alerts[4].object_id == "2004 JQ12" and alerts[4].n_history_detections == 0
