"""A text field for a file's path with a "…" button that fills it from a file dialog.

Paths stay editable as text (pasted from a terminal, or on a machine where the
file dialog is slow to browse a network folder); the button is a convenience.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

PEM_FILTER = "PEM (*.pem *.crt *.key);;All files (*)"


def with_file_picker(parent: QWidget, field: QLineEdit, title: str) -> QHBoxLayout:
    """``field`` and its "…" button in one row, for a form."""
    button = QPushButton("…")
    button.setToolTip(f"Choose the {title.lower()} file")

    def pick() -> None:
        path, _ = QFileDialog.getOpenFileName(parent, title, field.text(), PEM_FILTER)
        if path:
            field.setText(path)

    button.clicked.connect(pick)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row
