"""Objects across alerts: the vectorised per-object table equals a plain-Python groupby
of the same rows, and the merged light curve (with ZTF's DC magnitude) equals the
packets' points computed by hand."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from alertview.core.alert import Photometry
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_stored, read_alerts
from alertview.core.object_lightcurve import dc_photometry, merge_lightcurve
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from alertview.core.table.objects import object_table
from alertview.core.table.objects_triage import triage_counts, triage_sort_key, triage_text
from alertview.core.table.rows import ROW_FIELDS
from alertview.core.table.triage import Triage
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, SHARED, raw_records
from tests.core.object_packets import OBJECT_ID, earlier_records, write_object_alerts

FIELD = {name: i for i, name in enumerate(ROW_FIELDS)}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The bundled packets and four earlier alerts of ZTF19acihgng, stored."""
    folder = tmp_path_factory.mktemp("objects")
    paths = [SHARED, *write_object_alerts(folder, 4)[1:]]
    alerts = [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, Exception)]
    store = AlertStore(folder / "session")
    store.add(alerts)
    yield store
    store.close()


def synthetic_rows(template: tuple, start: int) -> list[tuple]:
    """Rows of made-up objects: several bands and epochs, a negative difference, a
    missing magnitude, two alerts of one epoch, alerts without an object id."""
    plan = [  # object, band, mjd, mag, flux, mag_err
        ("SYN-A", "g", 60000.0, 19.0, 1.0, 0.1),
        ("SYN-A", "g", 60002.0, 18.0, 1.0, 0.1),
        ("SYN-A", "g", 60004.0, 17.5, 1.0, 0.1),
        ("SYN-A", "r", 60001.0, 18.5, 1.0, 0.1),
        ("SYN-A", "r", 60003.0, 16.0, -1.0, 0.1),  # a negative difference: no brightness
        ("SYN-A", "r", 60005.0, 18.9, None, 0.1),  # no flux given: the magnitude stands
        ("SYN-B", "i", 60010.0, None, None, None),  # no magnitude at all
        ("SYN-B", "i", 60011.0, 20.0, 5.0, 0.2),
        ("SYN-C", "r", 60020.0, 19.5, 2.0, 0.1),  # two alerts of one epoch: no rate
        ("SYN-C", "r", 60020.0, 19.4, 2.0, 0.1),
        (None, "g", 60030.0, 15.0, 9.0, 0.1),
        ("", "g", 60031.0, 15.0, 9.0, 0.1),
        ("SYN-A", "z", 60001.5, 21.0, 1.0, 0.3),
        # the walk-through's Rubin object: two g points 1.5 h apart, noise, no rate
        ("SYN-D", "g", 60040.0, 25.0, 1.0, 0.6),
        ("SYN-D", "g", 60040.0625, 26.7, 1.0, 2.1),
        # a precise fading and a noisy outlier: the weights follow the precise points;
        # one point without an error takes the band's median
        ("SYN-E", "g", 60050.0, 20.0, 1.0, 0.05),
        ("SYN-E", "g", 60051.0, 18.0, 1.0, 1.0),
        ("SYN-E", "g", 60052.0, 20.2, 1.0, 0.05),
        ("SYN-E", "g", 60053.0, 20.3, 1.0, None),
        # only negative differences: latest magnitudes as the Alerts table's, no peak
        ("SYN-F", "r", 60060.0, 16.5, -3.0, 0.05),
        ("SYN-F", "r", 60061.0, 16.6, -2.0, 0.05),
    ]
    rows = []
    for number, (object_id, band, mjd, mag, flux, mag_err) in enumerate(plan):
        row = list(template)
        row[FIELD["row"]] = start + number
        row[FIELD["alert_id"]] = 10**12 + number
        row[FIELD["object_id"]] = object_id
        row[FIELD["band"]] = band
        row[FIELD["mjd"]] = mjd
        row[FIELD["mag"]] = mag
        row[FIELD["mag_err"]] = mag_err
        row[FIELD["flux"]] = flux
        row[FIELD["ra"]] = 10.0 + number
        rows.append(tuple(row))
    return rows


@pytest.fixture(scope="module")
def columns(stored):
    rows = stored.rows()
    columns = AlertColumns()
    columns.append_rows(rows[:20])
    columns.append_rows(rows[20:])
    columns.append_rows(synthetic_rows(rows[0], rows[-1][0] + 1))
    return columns


def weighted_slope(points: list[dict], median_err: float | None) -> float:
    """mag/day by weighted least squares (1/err², a missing error the band's median),
    NaN under two points or half a day of baseline."""
    if len(points) < 2 or max(r["mjd"] for r in points) - min(r["mjd"] for r in points) < 0.5:
        return math.nan
    errs = [r["mag_err"] if r["mag_err"] else median_err for r in points]
    ws = [1.0 if e is None else 1 / e**2 for e in errs]
    x0 = points[0]["mjd"]
    xs, ys = [r["mjd"] - x0 for r in points], [r["mag"] for r in points]
    total = sum(ws)
    mx = sum(w * x for w, x in zip(ws, xs, strict=True)) / total
    my = sum(w * y for w, y in zip(ws, ys, strict=True)) / total
    sxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs, strict=True))
    sxy = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs, ys, strict=True))
    return sxy / sxx


def python_groupby(columns: AlertColumns, positions) -> dict:
    """Per (object, survey): the aggregates by plain Python over the rows."""
    groups = defaultdict(list)
    errors = defaultdict(list)  # per band: the errors of the measurements (for the median)
    for p in positions:
        row = dict(zip(ROW_FIELDS, columns.row_tuple(p), strict=True))
        if row["object_id"]:
            groups[(row["object_id"], row["survey"])].append((p, row))
            positive = row["flux"] is None or row["flux"] >= 0
            if row["mag"] is not None and row["mjd"] is not None and positive and row["mag_err"]:
                errors[row["band"]].append(row["mag_err"])
    medians = {band: float(np.median(e)) for band, e in errors.items()}
    found = {}
    for key, members in groups.items():
        members.sort(key=lambda m: (m[1]["mjd"], m[0]))
        rows = [r for _, r in members]
        position = {id(r): p for p, r in members}
        with_mag = [r for r in rows if r["mag"] is not None]
        measured = [r for r in with_mag if not (r["flux"] is not None and r["flux"] < 0)]
        by_band, shown = defaultdict(list), defaultdict(list)
        for r in measured:
            by_band[r["band"]].append(r)
        for r in with_mag:
            shown[r["band"]].append(r)
        rates = {}
        for band in shown:
            rates[band] = weighted_slope(by_band.get(band, []), medians.get(band))
        # the brightest; of equal ones, the first to arrive
        peak = min(measured, key=lambda r: (r["mag"], position[id(r)])) if measured else None
        found[key] = {
            "n_alerts": len(rows),
            "first_mjd": rows[0]["mjd"],
            "last_mjd": rows[-1]["mjd"],
            "latest": members[-1][0],
            "ra": rows[-1]["ra"],
            "peak_mag": peak["mag"] if peak else math.nan,
            "peak_band": peak["band"] if peak else None,
            "latest_mag": {b: points[-1]["mag"] for b, points in shown.items()},
            "rate": rates,
        }
    return found


def vectorised(columns: AlertColumns, mask=None) -> dict:
    table = object_table(columns, mask)
    found = {}
    for i in range(len(table)):
        found[(table.object_id[i], table.survey[i])] = {
            "n_alerts": int(table.n_alerts[i]),
            "first_mjd": float(table.first_mjd[i]),
            "last_mjd": float(table.last_mjd[i]),
            "latest": int(table.latest[i]),
            "ra": float(table.ra[i]),
            "peak_mag": float(table.peak_mag[i]),
            "peak_band": table.peak_band[i],
            "latest_mag": {
                b: float(m[i]) for b, m in table.latest_mag.items() if not np.isnan(m[i])
            },
            "rate": {
                b: float(r[i])
                for b, r in table.rate.items()
                if not np.isnan(table.latest_mag[b][i])
            },
        }
        assert list(table.positions(i)) == sorted(
            table.positions(i), key=lambda p: (columns.numbers["mjd"].values[p], p)
        )
    return found


def assert_same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        have = got[key]
        for name in ("n_alerts", "latest", "peak_band"):
            assert have[name] == want[name], (key, name)
        for name in ("first_mjd", "last_mjd", "ra", "peak_mag"):
            assert have[name] == pytest.approx(want[name], nan_ok=True), (key, name)
        assert have["latest_mag"] == pytest.approx(want["latest_mag"]), key
        assert have["rate"] == pytest.approx(want["rate"], nan_ok=True, abs=1e-9), key


def test_object_table_equals_a_python_groupby(columns):
    expected = python_groupby(columns, range(len(columns)))
    assert_same(vectorised(columns), expected)
    assert expected[(OBJECT_ID, "ztf")]["n_alerts"] == 5
    # the made-up objects: what each rule gives
    a = expected[("SYN-A", "ztf")]
    assert a["n_alerts"] == 7 and a["peak_mag"] == 17.5  # 16.0 was a negative difference
    assert a["latest_mag"] == {"g": 17.5, "r": 18.9, "z": 21.0}
    assert a["rate"]["g"] == pytest.approx(-0.375)  # brightening: negative
    assert math.isnan(a["rate"]["z"])  # one point
    assert math.isnan(expected[("SYN-C", "ztf")]["rate"]["r"])  # one epoch
    # 1.5 h apart: no rate (it was 1.133 mag/h = 27.2 mag/day of noise)
    assert math.isnan(expected[("SYN-D", "ztf")]["rate"]["g"])
    # fading by 0.1 mag/day: the noisy 18.0 hardly moves it (unweighted: -0.16)
    assert 0.08 < expected[("SYN-E", "ztf")]["rate"]["g"] < 0.12
    # only negative differences: the Alerts table's magnitude, no peak, no rate
    f = expected[("SYN-F", "ztf")]
    assert f["latest_mag"] == {"r": 16.6} and math.isnan(f["peak_mag"])
    assert math.isnan(f["rate"]["r"])
    assert expected[("SYN-B", "ztf")]["n_alerts"] == 2
    # alerts without an object id are not an object
    assert not any(not key[0] for key in expected)


def test_object_table_of_the_rows_a_filter_passes(columns):
    mask = np.random.default_rng(7).random(len(columns)) < 0.6
    expected = python_groupby(columns, np.flatnonzero(mask))
    assert_same(vectorised(columns, mask), expected)
    assert len(object_table(columns, np.zeros(len(columns), bool))) == 0
    # a mask shorter than the columns (rows not yet filtered): those rows fail
    short = vectorised(columns, mask[:30])
    assert_same(short, python_groupby(columns, np.flatnonzero(mask[:30])))


def test_object_table_sorts_with_missing_values_last(columns):
    table = object_table(columns)
    for descending in (False, True):
        order = table.order("peak_mag", descending)
        values = table.peak_mag[order]
        finite = values[~np.isnan(values)]
        assert np.isnan(values[len(finite) :]).all()
        assert (np.diff(finite) <= 0).all() if descending else (np.diff(finite) >= 0).all()
    names = table.object_id[table.order("object_id")]
    assert list(names) == sorted(names)
    assert table.index_of("SYN-B") is not None and table.index_of("nothing") is None


def test_an_alert_without_a_time_does_not_spoil_its_objects_aggregates(columns):
    """An alert with no MJD has no place on the light curve: it counts as an alert of
    its object, but not in its times, its latest alert, its peak or its rates."""
    template = columns.row_tuple(0)
    plan = [  # object, band, mjd, mag
        ("UNTIMED-A", "g", 60000.0, 19.0),
        ("UNTIMED-A", "g", 60001.0, 19.5),
        ("UNTIMED-A", "g", None, 18.0),  # no time
        ("UNTIMED-B", "r", None, 17.0),  # an object seen only without a time
    ]
    rows = []
    for number, (object_id, band, mjd, mag) in enumerate(plan):
        row = list(template)
        row[FIELD["row"]], row[FIELD["alert_id"]] = number, 10**13 + number
        row[FIELD["object_id"]], row[FIELD["band"]] = object_id, band
        row[FIELD["mjd"]], row[FIELD["mag"]], row[FIELD["flux"]] = mjd, mag, 1.0
        rows.append(tuple(row))
    untimed = AlertColumns()
    untimed.append_rows(rows)
    table = object_table(untimed)
    a, b = table.index_of("UNTIMED-A"), table.index_of("UNTIMED-B")
    assert a is not None and b is not None
    assert table.n_alerts[a] == 3
    assert (table.first_mjd[a], table.last_mjd[a]) == (60000.0, 60001.0)
    assert table.latest[a] == 1  # the newest alert with a time
    assert table.rate["g"][a] == pytest.approx(0.5)  # from the two timed points
    assert table.latest_mag["g"][a] == 19.5
    assert table.peak_mag[a] == 19.0 and table.peak_band[a] == "g"
    assert list(table.positions(a)) == [0, 1, 2]  # the untimed alert last
    # only untimed alerts: the object is listed, with no times and no measurement
    assert table.n_alerts[b] == 1 and table.latest[b] == 3
    assert np.isnan([table.first_mjd[b], table.last_mjd[b], table.peak_mag[b]]).all()
    assert table.peak_band[b] is None
    assert all(np.isnan(table.rate[band][b]) for band in table.bands)


def hand_dc(p: dict) -> tuple[float, float]:
    """The DC magnitude of one ZTF detection, by hand."""
    reference, difference = 10 ** (-0.4 * p["magnr"]), 10 ** (-0.4 * p["magpsf"])
    flux = reference + difference if p["isdiffpos"] in ("t", "1") else reference - difference
    if flux <= 0:
        return math.nan, math.nan
    error = math.sqrt(
        (0.4 * math.log(10) * reference * p["sigmagnr"]) ** 2
        + (0.4 * math.log(10) * difference * p["sigmapsf"]) ** 2
    )
    return -2.5 * math.log10(flux), 2.5 / math.log(10) * error / flux


def test_dc_magnitude_of_a_real_ztf_history_equals_the_formula():
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    detections = [p for p in raw["prv_candidates"] if p["candid"]] + [raw["candidate"]]
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    dc = merge_lightcurve([alert]).dc
    assert len(dc) == len(detections) == 33
    for p in detections:
        (i,) = np.flatnonzero(dc.source_id == p["candid"])
        mag, err = hand_dc(p)
        assert dc.mag[i] == pytest.approx(mag, rel=1e-12)
        assert dc.mag_err[i] == pytest.approx(err, rel=1e-9)
        assert dc.mjd[i] == pytest.approx(p["jd"] - 2400000.5)
    assert (np.diff(dc.mjd) >= 0).all()
    # a negative difference brighter than its reference source: no positive flux
    fading = {**detections[0], "isdiffpos": "f", "magpsf": detections[0]["magnr"] - 0.1}
    # a reference source 5" away is another source; none measured: no DC magnitude
    far = {**detections[0], "distnr": 5.0}
    missing = {**detections[0], "magnr": None}
    dimmer = {**detections[0], "isdiffpos": "f", "magpsf": detections[0]["magnr"] + 1.0}
    points = dc_photometry([fading, far, missing, dimmer])
    assert np.isnan(points.mag[:3]).all()
    assert points.mag[3] == pytest.approx(hand_dc(dimmer)[0], rel=1e-12)
    assert points.mag[3] > dimmer["magnr"]  # fainter than the reference: it faded


def test_merged_light_curve_counts_each_point_once(stored):
    rows = [r[0] for r in stored.rows() if r[FIELD["object_id"]] == OBJECT_ID]
    alerts = [decode_stored(stored, r, SchemaCache(), Detail.LIGHT_CURVE) for r in rows]
    assert len(alerts) == 5
    merged = merge_lightcurve(alerts)
    newest = max(alerts, key=lambda a: a.mjd)
    assert merged.alert.alert_id == newest.alert_id and merged.n_alerts == 5
    # each earlier alert's history is part of the newest one's: the union is the newest's
    for series in ("detections", "upper_limits", "forced"):
        got, want = getattr(merged.alert, series), getattr(newest, series)
        np.testing.assert_array_equal(got.mjd, want.mjd)
        np.testing.assert_array_equal(got.source_id, want.source_id)
    assert len(merged.dc) == len(newest.detections)


def test_merge_joins_histories_that_do_not_overlap():
    """An alert whose 30-day window lost the early points, and an early alert that has
    them: the merged light curve has every detection and limit once."""
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    early = earlier_records(20)[0]  # the alert of the 13th detection
    cut = early["candidate"]["jd"] - 3.0
    late = {**raw, "prv_candidates": [p for p in raw["prv_candidates"] if p["jd"] > cut]}
    from alertview.core.avro.encode import container_file

    schema = alert.packet.schema
    alerts = [
        next(iter(read_alerts_bytes(container_file([r], schema), name)))
        for r, name in ((late, "late"), (early, "early"))
    ]
    merged = merge_lightcurve(alerts)
    everything = raw["prv_candidates"] + [raw["candidate"]]
    detected = {p["candid"] for p in everything if p["candid"]}
    assert set(merged.alert.detections.source_id.tolist()) == detected
    assert len(merged.alert.detections) == len(detected)
    limits = {(p["jd"], p["fid"]) for p in everything if p["candid"] is None}
    assert len(merged.alert.upper_limits) == len(limits)
    assert len(merged.dc) == len(detected)
    assert merged.alert.mjd == alerts[0].mjd  # the newest alert carries it


def read_alerts_bytes(data: bytes, name: str):
    from alertview.core.alert import Origin
    from alertview.core.decode import decode_bytes

    return decode_bytes(data, SchemaCache(), origin=Origin(name))


def test_a_rubin_object_merges_without_dc_magnitudes():
    alerts = [a for a in read_alerts([FINK_LSST_TRANSFER], SchemaCache()) if a.object_id]
    merged = merge_lightcurve([alerts[0]])
    assert merged.dc is Photometry.empty() or len(merged.dc) == 0
    assert len(merged.alert.detections) == len(alerts[0].detections)
    assert len(merged.alert.forced) == len(alerts[0].forced)
    assert merge_lightcurve([]) is None


def test_triage_counts_per_object_equal_a_python_count(stored):
    rows = stored.rows()
    columns = AlertColumns()
    columns.append_rows(rows)
    states = ["interesting", "followup", "reject", None]
    columns.set_triage([Triage(r[0], states[i % 4]) for i, r in enumerate(rows[::3])])
    mask = np.random.default_rng(3).random(len(columns)) < 0.7
    table = object_table(columns, mask)
    counts = triage_counts(table, columns.triage)
    for i in range(len(table)):
        positions = table.positions(i)
        want = [sum(columns.triage[int(p)] == s for p in positions) for s in states]
        assert counts[i].tolist() == want
    ours = table.index_of(OBJECT_ID)
    assert ours is not None and counts[ours].sum() == table.n_alerts[ours]
    assert triage_text(np.array([0, 3, 1, 2])) == "3 follow-up, 1 reject, 2 unscanned"
    assert triage_text(np.array([0, 0, 0, 5])) == ""
    key = triage_sort_key(np.array([[0, 1, 0, 0], [5, 0, 9, 0], [0, 0, 0, 1]]))
    assert list(np.argsort(-key, kind="stable")) == [0, 1, 2]  # follow-up first


def test_a_vanishing_error_does_not_spoil_the_rate() -> None:
    """An error of 1e-170 mag weighed without bound: the sums became inf and the rate
    NaN; errors below a millimag weigh as one."""
    from alertview.core.table.rows import ROW_FIELDS

    def row(number: int, mjd: float, mag: float, err: float) -> tuple:
        fields = dict.fromkeys(ROW_FIELDS)
        fields.update(row=number, survey="ztf", alert_id=number, object_id="A", band="g")
        fields.update(mjd=mjd, mag=mag, mag_err=err, flux=1.0)
        return tuple(fields[name] for name in ROW_FIELDS)

    columns = AlertColumns()
    columns.append_rows([row(1, 60000.0, 18.0, 1e-170), row(2, 60001.0, 18.5, 0.1),
                         row(3, 60002.0, 19.0, 0.1)])  # fmt: skip
    assert object_table(columns).rate["g"][0] == pytest.approx(0.5)
