"""The errors panel: every message that could not be decoded, and where it was."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from alertview.core.store import StoredError


def show_errors_dialog(
    parent: QWidget, stored: Iterable[StoredError], messages: Iterable[str]
) -> QDialog:
    """A non-modal table of stored decode errors and stream messages."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Errors")
    table = QTableWidget(0, 4, dialog)
    table.setHorizontalHeaderLabels(["Topic / file", "Partition", "Offset", "Reason"])
    rows = [(e.topic or e.source or "", e.partition, e.offset, e.reason) for e in stored]
    rows += [("", None, None, message) for message in messages]
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
    table.horizontalHeader().setStretchLastSection(True)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    dialog.resize(900, 400)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
