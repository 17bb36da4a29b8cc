"""Calendar ticks without Qt: month and year steps on month and year starts, labels that
say no more than the step, and time-scale lookups that neither raise nor warn far from
today (pytest runs with warnings as errors)."""

from __future__ import annotations

import re
import warnings
from datetime import date
from itertools import pairwise

import pytest
from astropy.time import Time

from alertview.controllers.time_ticks import (
    DATE_MJD_RANGE,
    calendar_range,
    date_labels,
    date_ticks,
    tai_minus_utc_days,
    utc_datetime,
)


def day_of(mjd: float) -> date:
    return utc_datetime(mjd).date()


@pytest.mark.parametrize(
    ("start", "years", "ticks"),
    [(58000.0, 5, 7), (29500.0, 6, 7), (59000.3, 1, 7), (59000.3, 2, 3), (40000.0, 80, 8)],
)
def test_long_spans_tick_on_month_or_year_starts_with_distinct_labels(start, years, ticks):
    """A 5-year span read 1941-01-06, 1946-06-29 (steps of 2000 days from MJD 0)."""
    levels = date_ticks(start, start + 365.25 * years, ticks)
    (major_step, major), *minor = levels
    assert 2 <= len(major) <= ticks + 1
    for step, values in levels:
        for mjd in values:
            assert start <= mjd <= start + 365.25 * years
            assert utc_datetime(mjd).time().isoformat() == "00:00:00"
            assert day_of(mjd).day == 1  # a month's first day
            if step >= 365:
                assert day_of(mjd).month == 1  # a year's
        labels = date_labels(values, step)
        assert len(set(labels)) == len(labels)
        pattern = r"\d{4}" if step >= 365 else r"\d{4}-\d\d"
        assert all(re.fullmatch(pattern, t) for t in labels), labels
    for _step, values in minor:  # minor ticks fall between the major ones, never on them
        assert not set(values) & set(major)
    if major_step >= 365:  # whole years apart, on multiples of the step (2020, 2030)
        step_years = round(major_step / 365.2425)
        assert all(day_of(v).year % step_years == 0 for v in major)
        assert {day_of(b).year - day_of(a).year for a, b in pairwise(major)} == {step_years}


def test_five_years_read_as_years():
    levels = date_ticks(58000.0, 58000.0 + 5 * 365.25, 7)
    spacing, values = levels[0]
    assert date_labels(values, spacing) == ["2018", "2019", "2020", "2021", "2022"]


def test_months_start_on_multiples_of_the_step():
    spacing, values = date_ticks(60000.0, 60400.0, 7)[0]
    months = [(day_of(v).year, day_of(v).month) for v in values]
    # every second month from January: 2023-02-25 to 2024-03-31
    assert months == [(2023, 3), (2023, 5), (2023, 7), (2023, 9), (2023, 11), (2024, 1), (2024, 3)]
    assert date_labels(values, spacing)[:2] == ["2023-03", "2023-05"]


def test_short_spans_keep_day_and_hour_steps():
    spacing, values = date_ticks(60000.0, 60003.0, 6)[0]
    assert spacing == 0.5 and values[0] == 60000.0
    spacing, values = date_ticks(60000.0, 60040.0, 6)[0]
    assert spacing == 10 and [day_of(v).day for v in values] == [1, 11, 21, 1]


@pytest.mark.parametrize(
    ("low", "high", "inside"),
    [(-1e6, 3e6, False), (-21504.0, 124593.0, True), (124593.0, 124594.0, False),
     (-21505.0, -21504.0, False), (60000.0, 60001.0, True), (float("nan"), 1.0, False)],
)  # fmt: skip
def test_calendar_range_is_where_dates_are_drawn(low, high, inside):
    assert calendar_range(low, high) is inside
    assert DATE_MJD_RANGE == (-21504.0, 124593.0)  # 1800-01-01 to 2200-01-01


def test_date_labels_outside_the_calendar_range_are_mjd_numbers():
    assert date_labels([-1e6, 0.0, 1e6, 2e6, 3e6], 1e6) == [
        "-1000000", "0", "1000000", "2000000", "3000000",
    ]  # fmt: skip


@pytest.mark.parametrize("mjd", [-1e6, 20000.0, 36933.9, 36934.5, 41000.25, 66000.0, 3e6])
def test_leap_seconds_anywhere_without_error_or_warning(mjd):
    """Before 1960 (no UTC) ERFA warns of a 'dubious year' and gives 0; after its table
    (a few years from its release) it warns too: each draw of a TAI light curve."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        days = tai_minus_utc_days(mjd)
    if mjd < 36934:
        assert days == 0.0
    elif mjd < 124593:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # astropy's own dubious-year note
            utc = Time(mjd, format="mjd", scale="tai").utc.mjd
        assert days == pytest.approx(mjd - utc, abs=1e-8)  # < 1 ms
    else:
        assert days * 86400 == pytest.approx(37.0)
