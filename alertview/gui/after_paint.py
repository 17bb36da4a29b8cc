"""Run something once some widgets have been painted: work that can wait a frame for
what the user is looking at (the table's scroll after a jump waits for the alert).

Qt decides when a window's paint pass runs (a timer of the platform window, posted
events, the order of event sources), so "a zero timer from now" may well run before
the pass it was meant to follow. Watching the widgets' own paint events does not
depend on that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class AfterPaint(QObject):
    """Calls ``then`` once each of ``widgets`` has been painted (from the event loop,
    after the pass that painted the last of them), or after ``timeout_ms`` whatever
    happened (a widget that never paints: hidden, or nothing changed in it)."""

    def __init__(
        self, widgets: Sequence[QWidget], then: Callable[[], None], timeout_ms: int = 250
    ) -> None:
        super().__init__(widgets[0])
        self._waiting = set(widgets)
        self._then: Callable[[], None] | None = then
        for widget in widgets:
            widget.installEventFilter(self)
        QTimer.singleShot(timeout_ms, self, self._done)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched in self._waiting:
            self._waiting.discard(watched)
            watched.removeEventFilter(self)
            if not self._waiting:
                QTimer.singleShot(0, self, self._done)  # once this pass is over
        return False

    def _done(self) -> None:
        then, self._then = self._then, None
        for widget in self._waiting:
            widget.removeEventFilter(self)
        self._waiting.clear()
        if then is not None:
            then()
            self.deleteLater()


def after_paint(widgets: Sequence[QWidget], then: Callable[[], None]) -> None:
    """``then()`` after ``widgets`` on screen have been painted; at once if none is."""
    shown = [w for w in widgets if w.isVisible()]
    if not shown:
        then()
        return
    AfterPaint(shown, then)
