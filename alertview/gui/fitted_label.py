"""A word-wrapped label that changes the window's layout only when its line count does.

A ``QLabel`` in a layout invalidates that layout on every ``setText``; Qt then
relayouts up to the main window's splitter, which repaints the whole inspection
pane a second time (the light curve, ~5-10 ms) after each selected alert. Here
the label is placed by hand inside a widget of fixed height, which is changed
only when the new text needs more or fewer lines.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class FittedLabel(QWidget):
    """Rich text across the widget's width, the widget as tall as its lines (none when
    empty and ``hide_empty``). ``text`` is the rich text shown; ``label`` the QLabel."""

    def __init__(self, text: str = "", parent: QWidget | None = None, hide_empty: bool = False):
        super().__init__(parent)
        self.text = ""
        self.hide_empty = hide_empty
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(0)
        self.setVisible(not hide_empty)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.label.setText(text)
            if self.hide_empty:
                self.setVisible(bool(text))
            self._fit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            return True  # the label's size hint changed: _fit has placed it already
        return super().event(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The label across the widget, the widget as tall as the label's lines."""
        height = self.label.heightForWidth(self.width()) if self.text else 0
        if height < 0:  # not laid out yet (no width): one line for now
            height = self.label.sizeHint().height()
        self.label.setGeometry(0, 0, self.width(), height)
        if height != self.height():
            self.setFixedHeight(height)
