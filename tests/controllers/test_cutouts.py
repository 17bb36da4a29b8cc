"""The cutouts controller with a fake view: scaling, titles, choices, pixel, no Qt."""

from __future__ import annotations

from unittest.mock import MagicMock

import numpy as np
import pytest

from alertview.controllers.cutouts import CutoutsController, prepare
from alertview.controllers.views import CutoutsView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import CutoutError, decode_cutouts
from alertview.core.decode import read_alerts
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, SHARED

ZTF_BLANKS = SHARED / "ztf" / "472263571115090000.avro"  # ZTF18aaxjlwy: masked pixels


@pytest.fixture
def controller():
    return CutoutsController(MagicMock(spec=CutoutsView))


def stamps(path):
    return decode_cutouts(next(iter(read_alerts([path], SchemaCache()))))


def shown(controller) -> dict:
    return {c.args[0]: c.args[1] for c in controller.view.show_stamp.call_args_list}


def test_three_stamps_scaled_titled_and_fitted(controller):
    controller.show_cutouts(stamps(FINK_ZTF_SINGLE))
    assert controller.shapes() == {n: (63, 63) for n in ("science", "template", "difference")}
    drawn = shown(controller)
    assert drawn["science"].title == "Science 63×63"  # noqa: RUF001
    assert drawn["science"].colour_map == "CET-L1" and drawn["difference"].colour_map == "CET-D1A"
    assert all(np.nanmin(s.image) >= 0.0 and np.nanmax(s.image) <= 1.0 for s in drawn.values())
    controller.view.fit.assert_called_once_with(controller.extent)
    assert controller.extent == pytest.approx((31.5, 31.5))


def test_images_scaled_elsewhere_are_used_only_for_the_current_choices(controller):
    cutouts = stamps(FINK_LSST_TRANSFER)
    prepared = prepare(cutouts, controller.display_choices())
    controller.show_cutouts(cutouts, prepared)
    assert shown(controller)["science"].image is prepared[1]["science"][0]
    controller.view.reset_mock()
    controller.show_cutouts(cutouts, prepare(cutouts, ("minmax", "linear")))  # stale choices
    assert shown(controller)["science"].image is not prepared[1]["science"][0]


def test_missing_and_broken_stamps_are_blanks_with_the_reason(controller):
    good = stamps(FINK_LSST_TRANSFER)["science"]
    controller.show_cutouts(
        {"science": good, "difference": CutoutError("difference cutout cannot be decoded")}
    )
    assert controller.shapes() == {"science": (30, 30)}
    drawn = shown(controller)
    assert drawn["template"].title == "Template: template cutout is missing"
    assert drawn["difference"].image is None and drawn["difference"].title_colour is not None


def test_new_choices_redraw_and_describe_the_pixel(controller):
    controller.show_cutouts(stamps(FINK_LSST_TRANSFER))
    before = shown(controller)["science"].image.copy()
    controller.set_display(limits="minmax", stretch="linear", colours="viridis")
    assert controller.display_choices() == ("minmax", "linear")
    after = shown(controller)
    assert after["science"].colour_map == "viridis" and not np.array_equal(
        after["science"].image, before
    )
    text = controller.describe_pixel("science", 14.5, 14.5)
    assert text.startswith("Science pixel (14, 14) = ") and "nJy" in text and "RA " in text
    assert controller.describe_pixel("science", -1, 3) == " "


def test_stamps_carry_their_marks_limits_and_note(controller):
    from alertview.core.stamp_limits import LIMITS

    cutouts = stamps(FINK_LSST_TRANSFER)
    controller.show_cutouts(cutouts)
    drawn = shown(controller)
    science = drawn["science"]
    assert science.overlay is not None and science.overlay.compass is not None
    assert science.overlay.scale_bar is not None and science.overlay.scale_bar.label == "2″"
    lo, hi = LIMITS.limits(cutouts["science"])
    assert science.limits_text == f"zscale {lo:.4g} … {hi:.4g} nJy"
    # the first Rubin alert's difference is negative: said, in its own colour
    assert drawn["difference"].title == "Difference 30×30 (negative)"  # noqa: RUF001
    assert drawn["difference"].tooltip == "negative difference flux"
    assert drawn["difference"].title_colour is not None and science.title_colour is None


def test_a_new_stretch_reuses_the_limits(controller, monkeypatch):
    import alertview.controllers.cutouts as module
    from alertview.core.stamp_limits import LimitsCache

    monkeypatch.setattr(module, "LIMITS", limits := LimitsCache())
    controller.show_cutouts(stamps(FINK_ZTF_SINGLE))
    assert limits.computed == 3
    controller.set_display(stretch="linear", colours="viridis")
    assert limits.computed == 3
    controller.set_display(limits="percentile")
    assert limits.computed == 6


def test_blank_pixels_stay_blank_drawn_and_read(controller):
    """Blank (NaN) pixels reach the view as NaN (it draws them apart from any data
    colour), not as 0: the difference's diverging map drew 0 as strong negative flux."""
    cutouts = stamps(ZTF_BLANKS)
    controller.show_cutouts(cutouts)
    drawn = shown(controller)
    for name in ("science", "template", "difference"):
        blank = np.isnan(cutouts[name].data)
        assert blank.sum() > 1000
        np.testing.assert_array_equal(np.isnan(drawn[name].image), blank)
    row, col = np.argwhere(np.isnan(cutouts["template"].data))[0]
    text = controller.describe_pixel("template", col + 0.5, row + 0.5)
    assert text == f"Template pixel ({col}, {row}) = blank"
    assert "blank" not in controller.describe_pixel("template", 40.5, 30.5)
