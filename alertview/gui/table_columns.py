"""What the alert table shows: each column's header, field, text format and tip.

Plain data, kept apart from the Qt model that serves it, so a column is added
or reformatted here without reading the sorting and filtering machinery.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alertview.gui.triage_cells import show_triage


def _number(fmt: str) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return format(value, fmt)

    return show


def show_text(value: Any) -> str:
    """A text cell (left-aligned; numbers are right-aligned)."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    show: Callable[[Any], str] = show_text
    tip: str = ""


COLUMNS = (
    # first: the column that stays on screen when the table scrolls sideways names the object
    Column("Object", "object_id"),
    Column("MJD", "mjd", _number(".5f"), "time of the exposure (UTC for ZTF, TAI for Rubin)"),
    Column("Alert id", "alert_id"),
    Column("Triage", "triage", show_triage, "keys I, F, R, N, T (Shift: the whole object)"),
    Column("Survey", "survey"),
    Column("Band", "band"),
    Column("Mag", "mag", _number(".2f"), "AB magnitude (difference image)"),
    Column("Flux [nJy]", "flux", _number(".0f"), "difference flux in nJy"),
    Column("RA", "ra", _number(".5f")),
    Column("Dec", "dec", _number("+.5f")),
    Column("Score", "quality", _number(".3f"), "ZTF drb (or rb), Rubin reliability"),
    Column("Det.", "n_detections", _number("d"), "detections including this one"),
    Column("Topic", "topic"),
)


# -- broker fields (``core.surveys.brokers``): columns made as a session meets them --------
def show_score(value: Any) -> str:
    """A broker's number: whole ones (class codes, counts) as such, scores to 3 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value) if isinstance(value, int) else format(value, ".3f")


def extra_column(name: str, text: bool) -> Column:
    """The column of a broker field (``finkclass``), headed by the name filters use."""
    return Column(name, name, show_text if text else show_score, f"{name}: a broker's field")
