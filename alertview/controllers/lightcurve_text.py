"""What hovering a light-curve point says: band and kind, value ± error with its unit,
and when, as MJD in the survey's time scale and as a UTC date."""

from __future__ import annotations

from math import floor, isfinite, log10

from alertview.controllers.time_ticks import utc_datetime, utc_mjd

#: Series kind -> the words for one of its points.
KIND_WORDS = {
    "detections": "detection",
    "upper limits": "upper limit",
    "forced": "forced photometry",
    "DC mag": "apparent (DC) magnitude",
}


def measured(value: float, error: float | None, unit: str) -> str:
    """ "18.253 ± 0.045 mag (AB)", "-19549 ± 556 nJy": the error to two significant
    digits and the value to the same decimals."""
    if error is None or not isfinite(error) or error <= 0:
        places = 3 if unit.startswith("mag") else 1
        return f"{value:.{places}f} {unit} (error unknown)"
    places = max(0, 1 - floor(log10(error)))
    return f"{value:.{places}f} ± {error:.{places}f} {unit}"


def point_text(
    band: str,
    kind: str,
    value: float,
    error: float | None,
    flux_unit: str | None,
    mjd: float,
    scale: str,
    origin: float | None = None,
) -> str:
    """The hover text of one point; ``flux_unit`` None means ``value`` is a magnitude,
    ``origin`` the first detection's MJD when the axis counts days from it."""
    unit = flux_unit or "mag (AB)"
    if kind == "upper limits":
        value_line = f"fainter than {value:.2f} {unit}"
    else:
        value_line = measured(value, error, unit)
    scale = scale.upper()
    when = utc_datetime(utc_mjd(mjd, scale)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"{band} {KIND_WORDS.get(kind, kind)}",
        value_line,
        f"MJD {mjd:.5f} {scale}",
        f"{when} UTC",
    ]
    if origin is not None:
        lines.append(f"{mjd - origin:+.4f} d since first detection")
    return "\n".join(lines)
