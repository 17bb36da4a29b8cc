"""Building real Kafka message bodies from the shared packets, for tests."""

from __future__ import annotations

import numpy as np

from alertview.core.alert import Alert, Photometry

ALERT_FIELDS = (
    "survey", "schema_label", "alert_id", "object_id", "ra", "dec", "mjd", "time_scale",
    "band", "mag", "mag_err", "flux", "flux_err", "flux_unit", "is_positive", "quality",
    "n_history_detections", "cutouts",
)  # fmt: skip


def assert_same_alert(a: Alert, b: Alert) -> None:
    """Two routes to the same packet gave the same alert (physics and ids)."""
    for name in ALERT_FIELDS:
        assert getattr(a, name) == getattr(b, name), name
    for series in ("detections", "upper_limits", "forced"):
        pa: Photometry = getattr(a, series)
        pb: Photometry = getattr(b, series)
        for column in ("mjd", "mag", "mag_err", "flux", "flux_err"):
            np.testing.assert_array_equal(getattr(pa, column), getattr(pb, column))
        np.testing.assert_array_equal(pa.band, pb.band)
        np.testing.assert_array_equal(pa.source_id, pb.source_id)
