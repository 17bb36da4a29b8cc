"""The light curve's time axis: a pyqtgraph ``AxisItem`` reading MJD, days since the
first detection, or UTC calendar dates, whose tick labels never repeat."""

from __future__ import annotations

from alertview.controllers.time_ticks import (
    calendar_range,
    date_labels,
    date_ticks,
    number_labels,
    tai_minus_utc_days,
)
from alertview.gui.grid_axis import GridAxis

#: Pixels a calendar label needs, with room between labels ("2026-03-14").
DATE_LABEL_PIXELS = 110


class TimeAxis(GridAxis):
    """Bottom axis of the light curve. The plotted x is MJD in the alert's time scale
    ("mjd" and "date" modes) or days from the first detection ("days" mode); calendar
    ticks fall on round UTC times, days, month or year starts, TAI times shifted by the
    leap seconds first. A view reaching beyond the calendar's range (1800 to 2200)
    reads MJD numbers, not dates."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.mode = "mjd"
        self.scale_name = "utc"
        self._shift = 0.0  # days to take off an x to make it a UTC MJD (date mode)
        self._calendar = False  # the ticks asked for last are calendar dates

    def set_mode(self, mode: str, scale: str) -> None:
        """Read the axis as ``mode`` ("mjd", "days", "date") for times in ``scale``."""
        if (mode, scale) != (self.mode, self.scale_name):
            self.mode, self.scale_name = mode, scale
            self.picture = None  # pyqtgraph's cached drawing of the ticks
            self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):
        minVal, maxVal = sorted((minVal, maxVal))
        shift = tai_minus_utc_days(minVal) if self.scale_name == "tai" else 0.0
        self._shift = shift
        self._calendar = self.mode == "date" and calendar_range(minVal - shift, maxVal - shift)
        if not self._calendar:
            return super().tickValues(minVal, maxVal, size)
        # ticks on round UTC times: place them in UTC, then back in the data's scale
        levels = date_ticks(minVal - shift, maxVal - shift, size / DATE_LABEL_PIXELS)
        return [(step, [v + shift for v in values]) for step, values in levels]

    def tickStrings(self, values: list[float], scale: float, spacing: float):
        if not values:
            return []
        if self._calendar:
            return date_labels([v - self._shift for v in values], spacing)
        return number_labels(list(values), spacing)
