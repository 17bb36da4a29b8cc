"""One call off the GUI thread, its answer back as a signal.

A real cluster may take seconds to answer (or 10 s not to): the dialog stays
responsive meanwhile and learns the result, or the one-line reason, by signal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from alertview.core.errors import AlertViewError

log = logging.getLogger(__name__)


class OffThread(QObject):
    """Runs one call off the GUI thread (a real cluster may take seconds to answer):
    ``done`` with its result, or ``failed`` with the one-line reason."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, what: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.what = what

    def start(self, call: Callable[[], Any]) -> None:
        def work() -> None:
            try:
                self.done.emit(call())
            except AlertViewError as exc:
                self.failed.emit(str(exc))
            except Exception as exc:  # whatever the client raised: the dialog must go on
                log.debug("%s failed", self.what, exc_info=True)
                self.failed.emit(f"{self.what} failed: {type(exc).__name__}: {exc}")

        threading.Thread(target=work, name=self.what.replace(" ", "-"), daemon=True).start()
