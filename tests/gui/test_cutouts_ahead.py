"""Display limits fitted once per stamp, ahead of the selection: rows are fitted as they
arrive (on the decode thread), and selecting any of them then fits nothing."""

from __future__ import annotations

import pytest

import alertview.controllers.cutouts as cutouts_controller
import alertview.core.stamp_limits as stamp_limits
from alertview.core.cutouts import Cutout, decode_cutouts
from alertview.core.decode import read_alerts
from alertview.core.stamp_limits import LimitsCache, stamp_key, symmetric
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI


@pytest.fixture
def limits(monkeypatch):
    """A cache of its own: what this test fits, counted from zero."""
    fresh = LimitsCache()
    monkeypatch.setattr(stamp_limits, "LIMITS", fresh)
    monkeypatch.setattr(cutouts_controller, "LIMITS", fresh)
    return fresh


def test_new_rows_are_fitted_ahead_and_a_cold_jump_fits_nothing(window, qtbot, limits, cache):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([FINK_ZTF_MULTI, FINK_LSST_TRANSFER])
    rows = window.model.rowCount()
    assert rows == 18
    qtbot.waitUntil(lambda: window.loader.ahead.fitted == rows, timeout=20000)
    assert limits.computed == 3 * rows
    for alert in read_alerts([FINK_ZTF_MULTI, FINK_LSST_TRANSFER], cache):
        for name, cutout in decode_cutouts(alert).items():
            assert isinstance(cutout, Cutout)
            assert (stamp_key(cutout), "zscale", symmetric(name, cutout)) in limits
    window.loader.clear()  # nothing decoded ahead: a cold jump
    with qtbot.waitSignal(window.alert_shown, timeout=10000):
        window.select_row(rows // 2)
    assert limits.computed == 3 * rows  # the stamps were scaled, not fitted again
    assert window.inspection.cutouts.marks["science"].limits.toPlainText().startswith("zscale")


def test_limits_ahead_stop_with_the_window(window, qtbot, limits):
    window.loader.shutdown()
    window.loader.warm([1, 2, 3], ("zscale", "asinh"))  # after shutdown: nothing runs
    qtbot.wait(50)
    assert window.loader.ahead.fitted == 0 and limits.computed == 0
