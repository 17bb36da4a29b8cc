"""The filter bar: the expression, and beside it how many rows match or why it is refused."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

#: A refused filter's box.
REFUSED_STYLE = "QLineEdit { border: 1px solid #c0392b; }"


class FilterBar(QWidget):
    """``applied`` carries the text on Return, and when the box is cleared."""

    applied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(
            'Filter, e.g.  band == "r" and mag < 19 and n_history_detections >= 2'
        )
        self.edit.setClearButtonEnabled(True)
        self.edit.returnPressed.connect(lambda: self.applied.emit(self.edit.text()))
        self.edit.textChanged.connect(lambda text: text or self.applied.emit(text))
        self.edit.setMinimumWidth(220)  # a long error must not squeeze it shut
        self.match_label = QLabel()
        self.match_label.setWordWrap(True)  # an error wraps under itself instead
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Filter:"))
        bar.addWidget(self.edit, 3)
        bar.addWidget(self.match_label, 2)

    def show_refused(self, message: str | None) -> None:
        """A red border and the reason as tooltip; ``None``: accepted."""
        self.edit.setStyleSheet(REFUSED_STYLE if message else "")
        self.edit.setToolTip(message or "")
