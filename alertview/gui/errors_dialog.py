"""The errors panels: every message that could not be decoded, and where it was; and
an exception nothing caught (a bug), with its details to copy into a report."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
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


class UnexpectedErrorDialog(QDialog):
    """A bug met at run time: what it was, that the viewer goes on, and the details
    (tracebacks, versions) behind a "Copy details" button for a bug report. One
    dialog gathers the errors that come while it is open (a bug in a paint event
    repeats on every paint)."""

    def __init__(self, parent: QWidget | None = None, log_file: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unexpected error")
        self.log_file = log_file
        self.count = 0
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def add(self, summary: str, details: str) -> None:
        """Show one more error: ``summary`` one line, ``details`` its traceback."""
        if not self.isVisible():  # closed since the last one: start afresh
            self.count = 0
            self.details.clear()
        self.count += 1
        what = (
            summary if self.count == 1 else f"{self.count} unexpected errors; the last: {summary}"
        )
        where = f" They are also in the log file {self.log_file}." if self.log_file else ""
        self.summary.setText(
            f"{what}\n\nAlertView goes on, but what it shows may be incomplete. This is a "
            f"bug: please report it with the details below.{where}"
        )
        self.details.appendPlainText(details)
        self.show()
        self.raise_()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
