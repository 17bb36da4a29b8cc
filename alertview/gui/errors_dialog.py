"""The errors panel: every message that could not be decoded, and where it was."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.core.session.store import StoredError

HEADERS = ("Topic / file", "Partition", "Offset", "Reason", "Messages")


def error_rows(stored: Iterable[StoredError]) -> list[tuple]:
    """One row per error, except an unknown schema id: one row for all the messages
    that named it (a stream written with it fails alike on each), with their count,
    placed where the first of them was."""
    rows: list[list] = []
    by_id: dict[int, list] = {}
    for e in stored:
        if e.schema_id is not None and e.schema_id in by_id:
            by_id[e.schema_id][4] += 1
            continue
        row = [e.topic or e.source or "", e.partition, e.offset, e.reason, 1]
        if e.schema_id is not None:
            by_id[e.schema_id] = row
        rows.append(row)
    return [tuple(row) for row in rows]


def show_errors_dialog(
    parent: QWidget, stored: Iterable[StoredError], messages: Iterable[str]
) -> QDialog:
    """A non-modal table of stored decode errors and stream messages."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Errors")
    table = QTableWidget(0, len(HEADERS), dialog)
    table.setHorizontalHeaderLabels(list(HEADERS))
    rows = error_rows(stored)
    rows += [("", None, None, message, None) for message in messages]
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(
        HEADERS.index("Reason"), QHeaderView.ResizeMode.Stretch
    )
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    dialog.resize(900, 400)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
