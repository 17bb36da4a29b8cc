"""The light-curve pane on real widgets: ZTF forced-photometry epochs and their limits."""

from __future__ import annotations

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.gui.lightcurve import LightcurvePanel
from tests.conftest import FORCED_TEST, raw_records
from tests.core.forced_packets import with_unmeasured_epochs

BANDS = {1: "g", 2: "r", 3: "i"}


@pytest.fixture
def panel(qtbot):
    widget = LightcurvePanel()
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def decode(path):
    (alert,) = read_alerts([path], SchemaCache())
    return alert


def series_counts(panel, series: str) -> dict[str, int]:
    return {
        k.rpartition(" ")[2]: v for k, v in panel.controller.counts.items() if k.startswith(series)
    }


def test_forced_non_detections_are_drawn_as_upper_limits(panel):
    panel.show_alert(decode(FORCED_TEST))
    points = raw_records(FORCED_TEST)[0]["prv_candidates"]
    expected: dict[str, int] = {}
    for p in points:
        if p.get("candid") is None and p.get("diffmaglim") is not None:
            expected[BANDS[p["fid"]]] = expected.get(BANDS[p["fid"]], 0) + 1
    assert not panel.controller.flux and sum(expected.values()) == 18
    assert series_counts(panel, "upper limits") == expected
    for band, n in expected.items():
        assert f"{band} limit ({n})" in panel.controller.legend_lines()
    panel.units.setCurrentIndex(1)  # flux: limits are magnitudes only, forced points drawn
    assert series_counts(panel, "upper limits") == {}
    assert sum(series_counts(panel, "forced").values()) == len(points)
    assert not [
        line for line in panel.controller.legend_lines() if "without a measurement" in line
    ]


def test_legend_says_how_many_forced_epochs_had_no_measurement(panel, tmp_path):
    path, record = with_unmeasured_epochs(tmp_path, 3)
    alert = decode(path)
    panel.show_alert(alert)
    note = "3 forced epochs without a measurement"
    assert note in panel.controller.legend_lines() and note in panel.legend.text
    # the unmeasured epochs keep their limits; only the measured ones are forced points
    assert sum(series_counts(panel, "upper limits").values()) == len(record["prv_candidates"])
    panel.units.setCurrentIndex(1)
    assert note in panel.controller.legend_lines()  # in no view, so named in every view
    assert sum(series_counts(panel, "forced").values()) == len(record["prv_candidates"]) - 3
    panel.forced_box.setChecked(False)  # forced photometry hidden: nothing to explain
    assert (
        note not in panel.controller.legend_lines()
        and "without a measurement" not in panel.legend.text
    )
    panel.forced_box.setChecked(True)
    panel.show_alert(decode(with_unmeasured_epochs(tmp_path, 1)[0]))
    assert "1 forced epoch without a measurement" in panel.controller.legend_lines()


def test_an_empty_plot_says_what_to_do(qtbot):
    """Before any alert the plot was a bare 0-1 grid; now it says "Select an alert",
    without axes, and the message goes when an alert is drawn."""
    from tests.conftest import FINK_ZTF_SINGLE

    panel = LightcurvePanel()
    qtbot.addWidget(panel)
    message = panel._items["empty"]
    axis = panel.plot.getPlotItem().getAxis("left")
    assert message.toPlainText() == "Select an alert" and message.isVisible()
    assert not axis.isVisible()
    (alert,) = read_alerts([FINK_ZTF_SINGLE], SchemaCache())
    panel.show_alert(alert)
    assert not message.isVisible() and axis.isVisible()
    panel.show_alert(None)
    assert message.isVisible()
