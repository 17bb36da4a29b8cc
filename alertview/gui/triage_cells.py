"""How the table's Triage column draws a row: a coloured marker and the state, with the
tags and the note in its tooltip."""

from __future__ import annotations

import html
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication

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
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
SIZE_HINT = int(Qt.ItemDataRole.SizeHintRole.value)
TRIAGE_ROLES = frozenset({DISPLAY, DECORATION, TOOLTIP, ALIGNMENT, SIZE_HINT})
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
#: After the state: the row has a note (hover for it).
NOTE_MARK = "✎"
#: The width the column asks for when sized to its contents (most rows are unscanned:
#: sized on them it would cut every state short).
_WIDEST = "follow-up ✎ #spectrum"


def show_triage(state: Any) -> str:
    """The state's name on screen ("" for an unscanned alert)."""
    return STATES[state][0] if state in STATES else ""


@cache
def _marker(state: str | None) -> QIcon:
    """A rounded square in the state's colour, outlined so that it stays visible on a
    selected row (the selection's blue swallowed the plain follow-up square); the same
    pixmap in every mode, so no style tints it away. None: a blank one (alignment)."""
    size = 12
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    if state in STATES:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 1.5))
        painter.setBrush(STATES[state][1])
        painter.drawRoundedRect(QRectF(0.75, 0.75, size - 1.5, size - 1.5), 2.5, 2.5)
        painter.end()
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon


@cache
def _size_hint() -> QSize:
    metrics = QFontMetrics(QApplication.font())  # + the marker and the cell's margins
    return QSize(metrics.horizontalAdvance(_WIDEST) + 16 + 12, metrics.height() + 4)


def triage_cell(columns: AlertColumns, position: int, role: int) -> Any:
    """The Triage cell of the row at ``position`` for ``role`` (None: nothing)."""
    if role == ALIGNMENT:
        return _LEFT
    if role == SIZE_HINT:
        return _size_hint()
    state = columns.value(position, "triage")
    if role == DECORATION and state in STATES:
        return _marker(state)
    tags, note = columns.value(position, "tags"), columns.value(position, "note")
    if role == DECORATION:  # a blank marker keeps an unscanned row's tags in line
        return _marker(None) if tags or note else None
    if role == DISPLAY:
        words = [show_triage(state), NOTE_MARK if note else ""]
        words += [f"#{t}" for t in (tags or "").split(", ") if t]
        return " ".join(w for w in words if w)
    lines = [f"<b>{html.escape(show_triage(state) or 'unscanned')}</b>"]
    if tags:
        lines.append(f"tags: {html.escape(tags)}")
    if note:
        lines.append(html.escape(note).replace("\n", "<br>"))
    return "<br>".join(lines)
