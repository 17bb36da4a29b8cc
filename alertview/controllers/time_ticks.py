"""Time on the light curve's x axis: MJD, days since the first detection, or UTC
calendar dates; where the ticks go and what they say, without Qt.

Tick labels are never repeated: the number of decimals follows the tick spacing
(pyqtgraph's default formats values over 10,000 with ``%g``, six significant
digits, so MJD 60000.12 and 60000.14 both read "60000.1"). Rubin times are TAI:
calendar dates are UTC, so TAI-UTC (leap seconds) is taken off first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil, log10

#: The time axes the user can choose, in the order the menu shows them (the saved
#: setting is this index: 0 MJD and 1 relative time, as before).
TIME_MODES = ("mjd", "days", "date")
TIME_MODE_NAMES = ("MJD", "Days since first detection", "Calendar date")

MJD_EPOCH = datetime(1858, 11, 17)
SECOND = 1 / 86400
#: Calendar tick steps in days: seconds, minutes, hours, days, then powers of ten.
DATE_STEPS = (
    *(s * SECOND for s in (1, 2, 5, 10, 15, 30)),
    *(m * 60 * SECOND for m in (1, 2, 5, 10, 15, 30)),
    *(h / 24 for h in (1, 2, 3, 6, 12)),
    *(d * 10**e for e in range(5) for d in (1, 2, 5)),
)


def tai_minus_utc_days(mjd: float) -> float:
    """TAI - UTC at ``mjd`` in days: the leap seconds (37 s since 2017) from ERFA's
    table, so dates before 2017 come out right too."""
    import erfa  # type: ignore[import-untyped]  # (no stubs; comes with astropy)

    when = MJD_EPOCH + timedelta(days=mjd)
    return float(erfa.dat(when.year, when.month, when.day, 0.0)) * SECOND


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


def date_step(span: float, ticks: float) -> tuple[float, float]:
    """(major, minor) calendar steps in days for ``span`` days shown with about
    ``ticks`` labels."""
    wanted = span / max(ticks, 1.0)
    major_index = next((i for i, s in enumerate(DATE_STEPS) if s >= wanted), len(DATE_STEPS) - 1)
    return DATE_STEPS[major_index], DATE_STEPS[max(0, major_index - 1)]


def date_labels(values_utc: list[float], spacing: float) -> list[str]:
    """UTC calendar labels for UTC MJDs ``spacing`` days apart: as fine as the spacing
    (date, then hours and minutes, then seconds), so no two read the same."""
    if spacing >= 0.999:
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
    """The x label of the days axis: where day 0 is."""
    return f"days since first detection (MJD {mjd:.5f} {scale.upper()})"
