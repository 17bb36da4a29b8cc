"""Time on the light curve's x axis: MJD, days since the first detection, or UTC
calendar dates; where the ticks go and what they say, without Qt.

Tick labels are never repeated: the number of decimals follows the tick spacing
(pyqtgraph's default formats values over 10,000 with ``%g``, six significant
digits, so MJD 60000.12 and 60000.14 both read "60000.1"). Rubin times are TAI:
calendar dates are UTC, so TAI-UTC (leap seconds) is taken off first.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from math import ceil, floor, isfinite, log10

#: The time axes the user can choose, in the order the menu shows them (the saved
#: setting is this index: 0 MJD and 1 relative time, as before).
TIME_MODES = ("mjd", "days", "date")
TIME_MODE_NAMES = ("MJD", "Days since first detection", "Calendar date")

MJD_EPOCH = datetime(1858, 11, 17)
MJD_ORDINAL = MJD_EPOCH.toordinal()  # the proleptic Gregorian day number of MJD 0
SECOND = 1 / 86400
#: UTC MJDs read as calendar dates: 1800-01-01 to 2200-01-01. Python's dates end in
#: year 9999 (OverflowError beyond); a view reaching past these reads MJD instead, and
#: the light curve is not zoomed out beyond them.
DATE_MJD_RANGE = (-21504.0, 124593.0)
#: UTC began in 1960: before it ERFA has no TAI - UTC (0, with a "dubious year" warning).
UTC_START_MJD = 36934.0
#: Calendar tick steps shorter than a month, in seconds: multiples of them from MJD 0
#: are round times of day; 2, 5 and 10 days fall on days of the month (1, 11, 21).
SECOND_STEPS = (
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12)),
    *(86400 * d for d in (1, 2, 5, 10)),
)
#: Steps of a month and more, in months: on the first of a month (1, 2, 3, 6 months)
#: or of a year (1, 2, 5, 10 ... years), counted from year 0.
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400)
DAYS_PER_MONTH = 365.2425 / 12
#: At most this many ticks per level, whatever the axis's length.
MAX_TICKS = 60


def calendar_range(low: float, high: float) -> bool:
    """True if UTC MJDs ``low`` to ``high`` can be labelled as calendar dates."""
    return DATE_MJD_RANGE[0] <= low <= high <= DATE_MJD_RANGE[1]


def _clamped_date(mjd: float) -> date:
    """The UTC date of ``mjd`` (kept inside ``DATE_MJD_RANGE``)."""
    mjd = min(max(mjd, DATE_MJD_RANGE[0]), DATE_MJD_RANGE[1])
    return date.fromordinal(MJD_ORDINAL + floor(mjd))


def tai_minus_utc_days(mjd: float) -> float:
    """TAI - UTC at ``mjd`` in days: the leap seconds (37 s since 2017) from ERFA's
    table, so dates before 2017 come out right too. 0 before UTC began (1960); past
    the table's end its last value, without ERFA's warning on every draw."""
    import erfa  # type: ignore[import-untyped]  # (no stubs; comes with astropy)

    if not isfinite(mjd) or mjd < UTC_START_MJD:
        return 0.0
    when = _clamped_date(mjd)
    fraction = min(max(mjd - floor(mjd), 0.0), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)  # "dubious year": a future date
        return float(erfa.dat(when.year, when.month, when.day, fraction)) * SECOND


def utc_mjd(mjd: float, scale: str) -> float:
    """``mjd`` in time scale ``scale`` ("utc" or "tai") as a UTC MJD."""
    return mjd - tai_minus_utc_days(mjd) if scale.lower() == "tai" else mjd


def utc_datetime(mjd_utc: float, unit: float = 1e-6) -> datetime:
    """A UTC MJD as a (naive, UTC) datetime rounded to ``unit`` seconds: MJD 0 is
    1858-11-17 00:00 UTC. (Whole microseconds: ``timedelta(days=60000.5)`` can come
    out a microsecond short, 11:59:59.999999, and read "11:59".)"""
    step = max(1, round(unit * 1e6))
    microseconds = round(mjd_utc * 86_400_000_000 / step) * step
    return MJD_EPOCH + timedelta(microseconds=microseconds)


def decimals(spacing: float) -> int:
    """Decimals that tell ticks ``spacing`` apart (0.01 -> 2, 0.05 -> 2, 2 -> 0)."""
    if spacing <= 0:
        return 6
    return max(0, ceil(-log10(spacing) - 1e-9))


def number_labels(values: list[float], spacing: float) -> list[str]:
    """Fixed-point labels with as many decimals as the spacing needs, more if two
    would still read the same (never scientific notation on an MJD)."""
    places = decimals(spacing)
    while True:
        labels = [f"{v:.{places}f}" for v in values]
        if len(set(labels)) == len(labels) or places >= 9:
            return ["0" if label.strip("-0.") == "" else label for label in labels]
        places += 1


def date_ticks(low: float, high: float, ticks: float) -> list[tuple[float, list[float]]]:
    """Calendar ticks for UTC MJDs ``low`` to ``high`` (inside ``DATE_MJD_RANGE``) with
    about ``ticks`` labels, as pyqtgraph's ``tickValues`` gives them: [(spacing in days,
    values), ...], major first, the minor level without the major values."""
    wanted = (high - low) / min(max(ticks, 1.0), MAX_TICKS)
    steps = [("s", s) for s in SECOND_STEPS] + [("mo", m) for m in MONTH_STEPS]
    index = next((i for i, st in enumerate(steps) if _length(st) >= wanted), len(steps) - 1)
    major = steps[index]
    # the minor step divides the major one: 5 years -> 1 year, 1 year -> 6 months
    minor = next(
        (st for st in reversed(steps[:index]) if st[0] == major[0] and major[1] % st[1] == 0),
        None,
    )
    major_values = _step_values(low, high, major)
    levels = [(_length(major), major_values)]
    if minor is not None:
        taken = set(major_values)
        levels.append(
            (_length(minor), [v for v in _step_values(low, high, minor) if v not in taken])
        )
    return levels


def _length(step: tuple[str, int]) -> float:
    unit, count = step
    return count * SECOND if unit == "s" else count * DAYS_PER_MONTH


def _mjd(year: int, month: int, day: int) -> float:
    return float(date(year, month, day).toordinal() - MJD_ORDINAL)


def _step_values(low: float, high: float, step: tuple[str, int]) -> list[float]:
    """Tick MJDs from ``low`` to ``high`` on calendar ``step`` (at most ``MAX_TICKS``
    beyond which the level is left empty)."""
    unit, count = step
    if high - low > (MAX_TICKS + 2) * _length(step):
        return []
    if unit == "s" and count <= 86400:  # round times of day: multiples from MJD 0
        spacing = count * SECOND
        first = ceil(low / spacing)
        return [n * spacing for n in range(first, floor(high / spacing) + 1)]
    start, end = _clamped_date(low), _clamped_date(high)
    if unit == "s":  # days of the month: 1, 11, 21 for 10 days (never 31 then 1)
        days = count // 86400
        month_days = [d for d in range(1, 32, days) if d + days <= 32]
        months = [(start.year, start.month)]
        while months[-1] != (end.year, end.month):
            y, m = months[-1]
            months.append((y + m // 12, m % 12 + 1))
        values = [_mjd(y, m, d) for y, m in months for d in month_days if _valid(y, m, d)]
    else:  # first of the month, every ``count`` months counted from January of year 0
        first = start.year * 12 + start.month - 1
        first = -(-first // count) * count
        values = [
            _mjd(n // 12, n % 12 + 1, 1) for n in range(first, end.year * 12 + end.month, count)
        ]
    return [v for v in values if low <= v <= high]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:  # 30 February
        return False
    return True


def date_labels(values_utc: list[float], spacing: float) -> list[str]:
    """UTC calendar labels for UTC MJDs ``spacing`` days apart: as fine as the spacing
    (year, month, date, then hours and minutes, then seconds), so no two read the same.
    Outside ``DATE_MJD_RANGE`` they are MJD numbers."""
    if not values_utc or not calendar_range(min(values_utc), max(values_utc)):
        return number_labels(list(values_utc), spacing)
    if spacing >= 365:
        fmt = "%Y"
    elif spacing >= 28:
        fmt = "%Y-%m"
    elif spacing >= 0.999:
        fmt = "%Y-%m-%d"
    elif spacing >= 60 * SECOND - 1e-9:
        fmt = "%m-%d %H:%M"
    else:
        fmt = "%H:%M:%S"
    # round to the label's resolution first: 23:59:59.9999 is the next day's 00:00:00
    unit = 60.0 if fmt == "%m-%d %H:%M" else 1.0
    labels = [utc_datetime(v, unit).strftime(fmt) for v in values_utc]
    if len(set(labels)) < len(labels):  # finer than a second: say the fraction
        labels = [
            utc_datetime(v).strftime("%H:%M:%S.%f")[: 9 + decimals(spacing / SECOND)]
            for v in values_utc
        ]
    return labels


def first_detection_label(mjd: float, scale: str) -> str:
    """The x label of the days axis: where day 0 is, short enough for a ~600 px pane
    (the full MJD and what it is are in ``first_detection_tip``)."""
    return f"days since MJD {mjd:.3f} ({scale.upper()})"


def first_detection_tip(mjd: float, scale: str) -> str:
    """The days axis' tooltip: day 0 is the first detection, at this MJD."""
    return f"Day 0 is the first detection in the alert: MJD {mjd:.5f} {scale.upper()}"
