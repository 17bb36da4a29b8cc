"""Display limits and stretches for cutouts, on astropy.visualization.

Every function is safe on stamps that are all NaN or constant: limits then
fall back to a valid (lo, hi) pair instead of raising or returning NaN.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Limits = Literal["zscale", "minmax", "percentile"]
Stretch = Literal["linear", "asinh", "log"]


def display_limits(
    data: np.ndarray,
    method: Limits = "zscale",
    percentile: float = 99.5,
    symmetric: bool = False,
) -> tuple[float, float]:
    """Lower and upper display limits of the finite pixels.

    ``symmetric`` centres the limits on zero (for difference images shown
    with a diverging colour map).
    """
    from astropy.visualization import MinMaxInterval, PercentileInterval, ZScaleInterval

    finite = np.asarray(data, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return (-1.0, 1.0) if symmetric else (0.0, 1.0)
    interval = {
        "zscale": ZScaleInterval(),
        "minmax": MinMaxInterval(),
        "percentile": PercentileInterval(percentile),
    }[method]
    lo, hi = (float(v) for v in interval.get_limits(finite))
    if symmetric:
        half = max(abs(lo), abs(hi))
        lo, hi = -half, half
    if not hi > lo:  # constant image
        spread = abs(lo) * 0.01 or 1.0
        lo, hi = lo - spread, hi + spread
    return lo, hi


def display_image(
    data: np.ndarray,
    method: Limits = "zscale",
    stretch: Stretch = "asinh",
    difference: bool = False,
) -> np.ndarray:
    """A stamp ready to show in [0, 1]: limits then stretch; a difference image gets
    limits symmetric about zero and a linear stretch (zero must stay "no change").

    Pure numpy, so the viewer computes it beside the decoding, off the GUI thread
    (zscale on a Rubin stamp takes ~7 ms).
    """
    limits = display_limits(data, method, symmetric=difference)
    shown = stretch_image(data, limits, "linear" if difference else stretch)
    return np.nan_to_num(shown, nan=0.0)


def stretch_image(
    data: np.ndarray, limits: tuple[float, float], stretch: Stretch = "linear"
) -> np.ndarray:
    """Pixels mapped into [0, 1] (NaN stays NaN) with the chosen stretch."""
    from astropy.visualization import AsinhStretch, LinearStretch, LogStretch

    lo, hi = limits
    scaled = (np.asarray(data, dtype=np.float32) - lo) / np.float32(hi - lo)
    scaled = np.clip(scaled, 0.0, 1.0)
    func = {"linear": LinearStretch(), "asinh": AsinhStretch(), "log": LogStretch()}[stretch]
    with np.errstate(invalid="ignore", divide="ignore"):
        return func(scaled, clip=False).astype(np.float32)
