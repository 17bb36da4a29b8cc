"""A word-wrapped label that changes the window's layout only when its line count does.

A ``QLabel`` in a layout invalidates that layout on every ``setText``; Qt then
relayouts up to the main window's splitter, which repaints the whole inspection
pane a second time (the light curve, ~5-10 ms) after each selected alert. Here
the label is placed by hand inside a widget of fixed height, which grows when a
new text needs more lines and shrinks only when the width changes: going from
an alert whose summary or legend wraps to one more line and back does not
relayout the pane each time. The plots below then keep their place while the
user goes through the alerts, and are painted once per alert: a Rubin legend of
one line, then two, resized the light curve under it and painted it ~2.7 times
per selected alert (``tests/gui/test_selection_paints.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class FittedLabel(QWidget):
    """Rich text across the widget's width, the widget as tall as the most lines a text
    needed at this width (none when empty and ``hide_empty``). ``text`` is the rich text
    shown; ``label`` the QLabel."""

    def __init__(self, text: str = "", parent: QWidget | None = None, hide_empty: bool = False):
        super().__init__(parent)
        self.text = ""
        self.hide_empty = hide_empty
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._fitted_width = -1  # the width the height was fitted at
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
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _fit(self) -> None:
        """The label across the widget; the widget as tall as the label's lines, or
        taller if an earlier text at this width needed more (an empty text: none)."""
        width = self.width()
        height = self.label.heightForWidth(width) if self.text else 0
        if height < 0:  # not laid out yet (no width): one line for now
            height = self.label.sizeHint().height()
        if self.text and width == self._fitted_width:
            height = max(height, self.height())
        self._fitted_width = width if self.text else -1
        self.label.setGeometry(0, 0, width, height)
        if height != self.height():
            self.setFixedHeight(height)
