"""The light-curve controller with a fake view: which series, legend and notes, no Qt."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from alertview.controllers.lightcurve import LightcurveController, LightcurvePlot
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


def test_days_before_the_alert_moves_the_points_not_the_counts(controller):
    alert = decode(FINK_ZTF_SINGLE)
    controller.show_alert(alert)
    counts = controller.counts
    controller.set_relative_time(True)
    plot = drawn(controller)
    assert controller.counts == counts and plot.x_label == "days relative to this alert"
    xs = [x for s in plot.series for x in s.x]
    assert min(xs) < -1 and max(xs) == 0 and plot.ring[0] == 0


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


def test_hover_text_reads_the_alert_shown(controller):
    alert = decode(FINK_ZTF_SINGLE)
    controller.show_alert(alert)
    text = controller.tip("r", "detection", alert.mjd, 18.25)
    assert text.startswith(f"r detection\nMJD {alert.mjd:.5f} UTC (") and text.endswith("18.250")
