"""The light-curve controller with a fake view: which series, legend and notes, no Qt."""

from __future__ import annotations

from unittest.mock import MagicMock

import numpy as np
import pytest
from astropy.time import Time

from alertview.controllers.lightcurve import LightcurveController, LightcurvePlot
from alertview.controllers.time_ticks import date_labels, number_labels, utc_mjd
from alertview.controllers.views import LightcurveView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, FORCED_TEST, raw_records
from tests.core.forced_packets import with_unmeasured_epochs

BANDS = {1: "g", 2: "r", 3: "i"}


def decode(path, index=0):
    return list(read_alerts([path], SchemaCache()))[index]


@pytest.fixture
def controller():
    return LightcurveController(MagicMock(spec=LightcurveView))


def drawn(controller) -> LightcurvePlot:
    """What the view was last asked to draw (and it is what the controller reports)."""
    plot = controller.view.draw.call_args.args[0]
    assert plot is controller.plot
    return plot


def test_ztf_detections_and_limits_by_band_in_magnitudes(controller):
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    controller.show_alert(decode(FINK_ZTF_SINGLE))
    controller.view.set_units.assert_called_once_with(False)
    detections = [p for p in raw["prv_candidates"] if p["candid"]] + [raw["candidate"]]
    limits = [p for p in raw["prv_candidates"] if p["candid"] is None]
    expected: dict[str, int] = {}
    for points, kind in ((detections, "detections"), (limits, "upper limits")):
        for p in points:
            key = f"{kind} {BANDS[p['fid']]}"
            expected[key] = expected.get(key, 0) + 1
    assert controller.counts == expected
    plot = drawn(controller)
    assert not plot.flux and plot.y_label == "magnitude (AB)"
    assert plot.ring == (
        raw["candidate"]["jd"] - 2400000.5,
        pytest.approx(raw["candidate"]["magpsf"]),
    )
    assert [s.legend for s in plot.series] == controller.legend_lines()
    ids = {int(i) for s in plot.series if s.kind == "detections" for i in s.ids}
    assert raw["candidate"]["candid"] in ids  # a click on a point names its alert


def test_rubin_defaults_to_flux_until_the_user_chooses(controller):
    raw = raw_records(FINK_LSST_TRANSFER)[1]
    controller.show_alert(decode(FINK_LSST_TRANSFER, 1))
    assert controller.flux and drawn(controller).y_label.startswith("flux [")
    bands = [s["band"] for s in [*raw["prvDiaSources"], raw["diaSource"]]]
    for band in set(bands):
        assert controller.counts[f"detections {band}"] == bands.count(band)
        assert f"{band} ({bands.count(band)})" in controller.legend_lines()
    forced = sum(v for k, v in controller.counts.items() if k.startswith("forced"))
    assert forced == len(raw["prvDiaForcedSources"])
    controller.set_forced(False)
    assert not [k for k in controller.counts if k.startswith("forced")]
    # the user picks magnitudes: the next alert keeps them, even a Rubin one
    controller.set_flux(False, by_user=True)
    controller.view.set_units.reset_mock()
    controller.show_alert(decode(FINK_LSST_TRANSFER, 0))
    assert not controller.flux and not controller.view.set_units.called


def test_days_since_first_detection_moves_the_points_not_the_counts(controller):
    raw = raw_records(FINK_ZTF_SINGLE)[0]
    alert = decode(FINK_ZTF_SINGLE)
    controller.show_alert(alert)
    counts = controller.counts
    controller.set_time_mode("days")
    plot = drawn(controller)
    first = min(p["jd"] for p in [*raw["prv_candidates"], raw["candidate"]] if p["candid"])
    first -= 2400000.5
    assert controller.counts == counts and plot.time_mode == "days"
    assert plot.x_label == f"days since MJD {first:.3f} (UTC)"
    assert plot.x_tip.endswith(f"first detection in the alert: MJD {first:.5f} UTC")
    detections = [x for s in plot.series if s.kind == "detections" for x in s.x]
    assert min(detections) == 0 and plot.ring[0] == pytest.approx(alert.mjd - first)
    controller.set_time_mode("date")  # dates: MJD plotted, the axis reads it as dates
    plot = drawn(controller)
    assert plot.x_label == "date (UTC)" and plot.ring[0] == alert.mjd
    with pytest.raises(ValueError, match="time axis 'jd'"):
        controller.set_time_mode("jd")


def test_range_fits_the_detections_and_forced_outliers_fall_outside(controller):
    """Rubin's forced photometry has points far off the light curve: by default the
    range fits the detections and the ring, those points are counted in a note; the
    user asks for all points and the range fits every point's value."""
    controller.show_alert(decode(FINK_LSST_TRANSFER, 1))
    plot = drawn(controller)
    low, high = plot.y_range
    detections = [s for s in plot.series if s.kind == "detections"]
    for s in detections:  # values inside, error bars up to 3 robust spreads
        assert (s.y >= low).all() and (s.y <= high).all()
    assert low <= plot.ring[1] <= high
    x_low, x_high = plot.x_range
    assert all(((s.x >= x_low) & (s.x <= x_high)).all() for s in plot.series)
    forced = np.concatenate([s.y for s in plot.series if s.kind == "forced"])
    outside = int(((forced < low) | (forced > high)).sum())
    assert outside > 0  # the alert has forced points far off the light curve
    note = f"{outside} forced points beyond the range: see All points"
    assert note in controller.legend_lines()
    controller.set_fit_all(True)
    plot = drawn(controller)
    low, high = plot.y_range
    assert all(((s.y >= low) & (s.y <= high)).all() for s in plot.series)
    assert not [n for n in controller.legend_lines() if "beyond the range" in n]


def test_limits_in_magnitudes_forced_points_in_flux(controller):
    points = raw_records(FORCED_TEST)[0]["prv_candidates"]
    controller.show_alert(decode(FORCED_TEST))
    limits = sum(1 for p in points if p.get("candid") is None and p.get("diffmaglim") is not None)
    assert sum(v for k, v in controller.counts.items() if k.startswith("upper limits")) == limits
    controller.set_flux(True)
    assert not [k for k in controller.counts if k.startswith("upper limits")]
    assert sum(v for k, v in controller.counts.items() if k.startswith("forced")) == len(points)


def test_points_no_view_can_draw_are_named(controller, tmp_path):
    path, _ = with_unmeasured_epochs(tmp_path, 3)
    controller.show_alert(decode(path))
    note = "3 forced epochs without a measurement"
    assert note in controller.legend_lines()
    controller.set_flux(True)
    assert note in controller.legend_lines()
    controller.set_forced(False)  # nothing forced shown: nothing to explain
    assert note not in controller.legend_lines()


def test_no_alert_draws_nothing_but_says_what_to_do(controller):
    controller.show_alert(None)
    assert drawn(controller) == LightcurvePlot(flux=False, empty="Select an alert")
    assert controller.legend_lines() == []


def test_hover_text_gives_value_error_unit_and_time_scale(controller):
    raw = raw_records(FINK_ZTF_SINGLE)[0]["candidate"]
    alert = decode(FINK_ZTF_SINGLE)
    controller.show_alert(alert)
    key = f"detections {alert.band}"
    text = controller.tip(key, alert.mjd, alert.mag)
    error = raw["sigmapsf"]
    places = 3 if error < 0.1 else 2
    assert text.splitlines() == [
        f"{alert.band} detection",
        f"{raw['magpsf']:.{places}f} ± {error:.{places}f} mag (AB)",
        f"MJD {alert.mjd:.5f} UTC",
        Time(alert.mjd, format="mjd", scale="utc").strftime("%Y-%m-%d %H:%M:%S UTC"),
    ]
    limits = next(s for s in controller.plot.series if s.kind == "upper limits")
    text = controller.tip(limits.key, limits.x[0], limits.y[0]).splitlines()
    assert text[:2] == [f"{limits.band} upper limit", f"fainter than {limits.y[0]:.2f} mag (AB)"]
    # Rubin: a flux in nJy, times in TAI shown as UTC (37 leap seconds off)
    rubin = decode(FINK_LSST_TRANSFER, 1)
    controller.show_alert(rubin)
    source = raw_records(FINK_LSST_TRANSFER)[1]["diaSource"]
    text = controller.tip(f"detections {rubin.band}", rubin.mjd, rubin.flux).splitlines()
    assert text[0] == f"{rubin.band} detection"
    value, error = text[1].removesuffix(" nJy").split(" ± ")
    assert float(value) == pytest.approx(source["psfFlux"], abs=float(error))
    assert float(error) == pytest.approx(source["psfFluxErr"], rel=0.05)
    utc = Time(rubin.mjd, format="mjd", scale="tai").utc
    assert text[2:] == [f"MJD {rubin.mjd:.5f} TAI", utc.strftime("%Y-%m-%d %H:%M:%S UTC")]
    forced = next(s for s in controller.plot.series if s.kind == "forced")
    text = controller.tip(forced.key, forced.x[0], forced.y[0]).splitlines()
    assert text[0] == f"{forced.band} forced photometry" and " ± " in text[1]
    assert text[1].endswith(" nJy") and float(text[1].split(" ± ")[1][:-4]) > 0
    controller.set_time_mode("days")
    last = controller.tip(f"detections {rubin.band}", rubin.mjd - controller.x0, rubin.flux)
    assert last.endswith(f"{rubin.mjd - controller.x0:+.4f} d since first detection")
    assert controller.tip("detections nowhere", 0, 0) == ""


@pytest.mark.parametrize("span", [1e-4, 0.003, 0.02, 0.05, 0.4, 3, 70, 2000])
def test_mjd_labels_are_distinct_and_read_back_as_the_ticks(span):
    step = 10 ** np.floor(np.log10(span / 4))
    values = list(61105.0 + step * np.arange(5))
    labels = number_labels(values, step)
    assert len(set(labels)) == len(labels)
    assert [float(t) for t in labels] == pytest.approx(values, abs=step / 10)


def test_date_labels_are_utc_and_as_fine_as_the_spacing():
    days = [61100.0, 61101.0]
    assert date_labels(days, 1.0) == [
        Time(d, format="mjd", scale="utc").strftime("%Y-%m-%d") for d in days
    ]
    hours = [61100.5, 61100.5 + 1 / 24]  # 12:00 exactly, not 11:59:59.999999
    assert date_labels(hours, 1 / 24) == ["03-01 12:00", "03-01 13:00"]
    seconds = [61100.5 + k * 0.2 / 86400 for k in range(3)]
    assert date_labels(seconds, 0.2 / 86400) == ["12:00:00.0", "12:00:00.2", "12:00:00.4"]


@pytest.mark.parametrize("mjd", [50000.3, 57000.7, 61105.09364])
def test_tai_to_utc_agrees_with_astropy(mjd):
    expected = Time(mjd, format="mjd", scale="tai").utc.mjd
    assert utc_mjd(mjd, "tai") == pytest.approx(expected, abs=1e-9)  # < 0.1 ms
    assert utc_mjd(mjd, "utc") == mjd


def test_magnitude_range_leaves_out_huge_errors_and_counts_what_falls_beyond(controller):
    """Issue 15 §3: Rubin detections at ~2 nJy have ±70-100 mag errors (S/N ~0.01):
    their magnitudes do not set the range, their bars do not widen it."""
    alert = decode(FINK_LSST_TRANSFER, 2)
    controller.show_alert(alert)
    controller.set_flux(False)
    plot = drawn(controller)
    low, high = plot.y_range
    assert high - low < 6
    detections = [s for s in plot.series if s.kind == "detections"]
    y = np.concatenate([s.y for s in detections])
    error = np.concatenate([s.error for s in detections])
    assert error.max() > 50 and len(y) == int((alert.detections.flux > 0).sum())
    measured = y[error <= 1]
    assert low <= measured.min() and measured.max() <= high
    beyond = int(((y < low) | (y > high)).sum())
    assert beyond and f"{beyond} detections beyond the range: see All points" in plot.notes
    controller.set_fit_all(True)
    low, high = drawn(controller).y_range
    assert low <= y.min() and y.max() <= high and high - low < 15
