"""Colours and symbols shared by the panels (one place, so bands look alike everywhere)."""

from __future__ import annotations

#: Per-band colours (ZTF g r i, Rubin u g r i z y), readable on light and dark.
BAND_COLOURS = {
    "u": "#7b3fb5",
    "g": "#2ca02c",
    "r": "#d62728",
    "i": "#e08a1e",
    "z": "#8c564b",
    "y": "#555555",
}
BAND_SYMBOLS = {"u": "s", "g": "o", "r": "o", "i": "d", "z": "h", "y": "star"}
DEFAULT_COLOUR = "#1f77b4"
BAND_ORDER = "ugrizy"


def band_colour(band: str) -> str:
    return BAND_COLOURS.get(band, DEFAULT_COLOUR)


def band_symbol(band: str) -> str:
    return BAND_SYMBOLS.get(band, "o")
