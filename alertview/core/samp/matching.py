"""The alert a tool points at: a sky position -> the nearest alert in the table.

Several alerts of one object sit within an arcsecond of each other; within
``SAME_SOURCE`` the one already selected stays, else the newest is taken. Past that,
the nearest within ``SEARCH_RADIUS``; farther than that nothing is chosen.
"""

from __future__ import annotations

import numpy as np

#: Alerts this close (arcsec) are the same source.
SAME_SOURCE = 2.0
#: Farthest a pointed position may be from the alert it selects (arcsec).
SEARCH_RADIUS = 60.0


def separations(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    """Angular distances (arcsec) from (ra0, dec0), degrees in (haversine: exact at
    arcsecond scales, where the cosine formula loses digits)."""
    ra_r, dec_r = np.radians(ra), np.radians(dec)
    ra0_r, dec0_r = np.radians(ra0), np.radians(dec0)
    half = (
        np.sin((dec_r - dec0_r) / 2) ** 2
        + np.cos(dec_r) * np.cos(dec0_r) * np.sin((ra_r - ra0_r) / 2) ** 2
    )
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(half, 0.0, 1.0)))) * 3600.0


def nearest_alert(
    ra: np.ndarray,
    dec: np.ndarray,
    mjd: np.ndarray,
    ra0: float,
    dec0: float,
    current: int | None = None,
) -> int | None:
    """The index of the alert (ra, dec, mjd arrays) to select for a pointed position:
    ``current`` if within ``SAME_SOURCE``, else the newest within it, else the nearest
    within ``SEARCH_RADIUS``; None if none is that close (NaN positions never are)."""
    if len(ra) == 0:
        return None
    distance = separations(ra, dec, ra0, dec0)
    distance[np.isnan(distance)] = np.inf
    same = np.flatnonzero(distance <= SAME_SOURCE)
    if len(same):
        if current is not None and current in same:
            return current
        times = np.where(np.isnan(mjd[same]), -np.inf, mjd[same])
        return int(same[np.argmax(times)])
    best = int(np.argmin(distance))
    return best if distance[best] <= SEARCH_RADIUS else None
