"""Exceptions nothing caught, shown in the viewer instead of lost on a terminal.

Python hands an exception nobody caught on the GUI thread to ``sys.excepthook``
(PySide6 does too, for one raised in a slot or an event handler), and one that
ended another thread to ``threading.excepthook``. ``ExceptionHook`` takes both
(napari's ``notification_manager`` does the same): it logs the traceback to the
log file and emits ``caught``, which Qt queues to the GUI thread when it comes
from another one; there the ``UnexpectedErrorDialog`` shows it, with a button
that copies the details for a bug report. Ctrl-C still interrupts.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from alertview import __version__
from alertview.core.logs import current_log_file, redact
from alertview.gui.errors_dialog import UnexpectedErrorDialog

log = logging.getLogger(__name__)


def error_details(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    where: str,
) -> str:
    """What a bug report needs: versions, where it happened, the traceback; redacted
    (an exception's message may quote a URL with a password in it)."""
    import PySide6

    versions = (
        f"AlertView {__version__}, Python {platform.python_version()}, "
        f"PySide6 {PySide6.__version__}, {platform.platform()}"
    )
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    return redact(f"{versions}\nin {where}:\n{text}")


class ExceptionHook(QObject):
    """Installs itself as ``sys.excepthook`` and ``threading.excepthook`` (``install``,
    or ``with``) and puts the previous hooks back (``uninstall``)."""

    #: (one-line summary, details), delivered on the GUI thread.
    caught = Signal(str, str)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self.dialog: UnexpectedErrorDialog | None = None
        self._previous: tuple | None = None
        self.caught.connect(self._show)  # queued when emitted from another thread

    def install(self) -> None:
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
            sys.excepthook = self._sys_hook
            threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def __enter__(self) -> ExceptionHook:
        self.install()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.uninstall()

    def _sys_hook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt) and self._previous is not None:
            self._previous[0](exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb, "the GUI thread")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):  # a thread's way to end, as Python has it
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        where: str,
    ) -> None:
        """Log the exception and show it; from any thread. Never raises: a failing hook
        would hide the very error it was given."""
        try:
            log.error("unexpected error in %s", where, exc_info=(exc_type, exc, tb))
            summary = redact("".join(traceback.format_exception_only(exc_type, exc)).strip())
            self.caught.emit(summary, error_details(exc_type, exc, tb, where))
        except Exception:
            sys.__excepthook__(exc_type, exc or exc_type(), tb)

    def _parent(self) -> QWidget | None:
        """The window given, while it lives; else the window in front (a window moved
        to another session is replaced by a new one, and the first is deleted)."""
        from PySide6.QtWidgets import QApplication
        from shiboken6 import isValid

        widget = self.parent_widget
        if widget is not None and isValid(widget) and widget.isVisible():
            return widget
        return QApplication.activeWindow() or next(
            (w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()), None
        )

    def _show(self, summary: str, details: str) -> None:
        if self.dialog is None:
            self.dialog = UnexpectedErrorDialog(self._parent(), current_log_file())
        self.dialog.add(summary, details)
