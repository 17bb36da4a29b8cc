"""How the table's Triage column draws a row: a coloured marker and the state, with the
tags and the note in its tooltip."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

if TYPE_CHECKING:
    from alertview.core.table.columns import AlertColumns

#: Each state's name on screen and its marker's colour (traffic-light order).
STATES = {
    "interesting": ("interesting", QColor(39, 174, 96)),
    "followup": ("follow-up", QColor(41, 128, 185)),
    "reject": ("reject", QColor(192, 57, 43)),
}
#: The roles the Triage column answers itself.
DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
TRIAGE_ROLES = frozenset({DISPLAY, DECORATION, TOOLTIP})
#: Beside the state: the row also has tags or a note (hover for them).
EXTRAS_MARK = " ✎"


def show_triage(state: Any) -> str:
    """The state's name on screen ("" for an unscanned alert)."""
    return STATES[state][0] if state in STATES else ""


def triage_cell(columns: AlertColumns, position: int, role: int) -> Any:
    """The Triage cell of the row at ``position`` for ``role`` (None: nothing)."""
    state = columns.value(position, "triage")
    if role == DECORATION:
        return STATES[state][1] if state in STATES else None
    tags, note = columns.value(position, "tags"), columns.value(position, "note")
    if role == DISPLAY:
        return show_triage(state) + (EXTRAS_MARK if tags or note else "")
    lines = [f"<b>{html.escape(show_triage(state) or 'unscanned')}</b>"]
    if tags:
        lines.append(f"tags: {html.escape(tags)}")
    if note:
        lines.append(html.escape(note).replace("\n", "<br>"))
    return "<br>".join(lines)
