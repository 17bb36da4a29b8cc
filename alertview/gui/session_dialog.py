"""File → Open session…: the sessions kept under the data dir, newest first."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.core.session.folder import is_session
from alertview.core.session.listing import SessionSummary, list_sessions
from alertview.core.session.store import default_sessions_dir

HEADERS = ("Session", "Alerts", "Size", "Last received", "Topics")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else ""


class SessionDialog(QDialog):
    """Choose a session: ``chosen`` is its folder once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a session")
        self.chosen: Path | None = None
        self.sessions: list[SessionSummary] = list_sessions()
        self.table = QTableWidget(len(self.sessions), len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, found in enumerate(self.sessions):
            cells = (
                found.name,
                f"{found.alerts:,}",
                human_size(found.size),
                _when(found.last_received),
                found.problem or ", ".join(found.topics),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (1, 2):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                item.setToolTip(str(found.folder))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.doubleClicked.connect(lambda *_: self.accept())
        if self.sessions:
            self.table.selectRow(0)
        where = QLabel(f"Sessions in {default_sessions_dir()}")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        other = QPushButton("Other folder…")
        other.clicked.connect(self._choose_folder)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(other, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.message = QLabel("" if self.sessions else "No session kept yet.")
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a session folder", str(default_sessions_dir())
        )
        if not folder:
            return
        if not is_session(Path(folder)):
            self.message.setText(f"{folder} is not a session (it has no index.sqlite)")
            return
        self.chosen = Path(folder)
        super().accept()

    def accept(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.message.setText("choose a session")
            return
        self.chosen = self.sessions[rows[0].row()].folder
        super().accept()
