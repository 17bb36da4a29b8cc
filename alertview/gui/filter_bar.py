"""The filter bar: the expression, the saved filters and history beside it, and how
many rows match or why it is refused."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QWidget,
)

#: A refused filter's box.
REFUSED_STYLE = "QLineEdit { border: 1px solid #c0392b; }"


class FilterEdit(QLineEdit):
    """The expression box; Down on it lists the history (the completer's popup)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        popup = completer.popup() if completer is not None else None
        if (
            event.key() == Qt.Key.Key_Down
            and completer is not None
            and popup is not None
            and not popup.isVisible()
        ):
            completer.setCompletionPrefix(self.text())
            if completer.completionCount() == 0:
                completer.setCompletionPrefix("")  # the whole history
            completer.complete()
            return
        super().keyPressEvent(event)


class FilterBar(QWidget):
    """``applied`` carries the text on Return, and when the box is cleared.

    The "Saved" button's menu (``filters_menu``) is filled when it opens by whoever
    keeps the saved filters (``gui.watches_view``); the history completes the box.
    """

    applied = Signal(str)
    #: A filter was applied and accepted (its text): the history keeps it.
    accepted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = FilterEdit()
        self.edit.setPlaceholderText(
            'Filter, e.g.  band == "r" and mag < 19 and n_history_detections >= 2'
        )
        self.edit.setClearButtonEnabled(True)
        self.edit.returnPressed.connect(self._return_pressed)
        self.edit.textChanged.connect(lambda text: text or self.applied.emit(text))
        self.edit.setMinimumWidth(220)  # a long error must not squeeze it shut
        #: Why the filter applied last was refused (None: accepted).
        self.refused: str | None = None
        self.history = QStringListModel(self)
        self.completer = QCompleter(self.history, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setMaxVisibleItems(12)
        self.edit.setCompleter(self.completer)
        self.filters_menu = QMenu(self)
        # a push button draws its menu arrow beside the text (a tool button's overlapped it)
        self.filters_button = QPushButton("Saved")
        self.filters_button.setToolTip("Saved filters and watches, save this filter, history")
        self.filters_button.setMenu(self.filters_menu)
        # as wide as its longest text, so a count that grows does not squeeze the box
        self.filters_button.setText("Saved (99999 new)")
        self.filters_button.setMinimumWidth(self.filters_button.sizeHint().width())
        self.filters_button.setText("Saved")
        self.match_label = QLabel()
        self.match_label.setWordWrap(True)  # an error wraps under itself instead
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Filter:"))
        bar.addWidget(self.edit, 3)
        bar.addWidget(self.filters_button)
        bar.addWidget(self.match_label, 2)

    def _return_pressed(self) -> None:
        self.completer.popup().hide()  # Return chose from the history: the box has it
        self.applied.emit(self.edit.text())

    def show_refused(self, message: str | None) -> None:
        """A red border and the reason as tooltip; ``None``: accepted."""
        self.refused = message
        self.edit.setStyleSheet(REFUSED_STYLE if message else "")
        self.edit.setToolTip(message or "")
        if message is None and self.edit.text().strip():
            self.accepted.emit(self.edit.text().strip())

    def set_history(self, expressions: list[str]) -> None:
        """The expressions the box completes from (newest first)."""
        if self.history.stringList() != expressions:
            self.history.setStringList(expressions)

    def set_badge(self, new: int) -> None:
        """How many new watch matches wait (0: none) on the button."""
        self.filters_button.setText(f"Saved ({new} new)" if new else "Saved")
