"""Ctrl-C, SIGTERM and a hangup close the viewer as closing its windows does.

Qt's event loop runs no Python between events: a Python signal handler would wait
for the next mouse move, and Python's default SIGINT handler raises
``KeyboardInterrupt`` inside whichever slot runs next, where PySide prints it and
carries on (the window stayed open). The usual cure (Qt's "Calling Qt Functions
From Unix Signal Handlers"): Python's C-level handler writes the signal's number
to a socket (``signal.set_wakeup_fd``), a ``QSocketNotifier`` on the other end
wakes the event loop, and its slot closes every window. The stream's process is
then told to stop, the stores are closed, and ``app.exec()`` returns 0, so the
demo stops its broker and removes its folder as after a click on the close box.

A second signal while closing ends the process at once, after a SIGTERM to the
embedded brokers it started (they run in process groups of their own, out of the
terminal's reach, and would otherwise outlive it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtWidgets import QApplication

from alertview.core.terminal_signals import STOP_SIGNALS

#: The signals that close the viewer, and the word said for each on stderr.
_WORDS = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}
CLOSING_SIGNALS: dict[int, str] = {number: _WORDS[number.name] for number in STOP_SIGNALS}


class SignalCloser(QObject):
    """Closes all windows on SIGINT, SIGTERM or SIGHUP (one not ignored, as under
    ``nohup``); ``install``/``uninstall``, or ``closing_on_signals``."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        #: the first signal received, None until then
        self.received: int | None = None
        self._closing = False
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)  # set_wakeup_fd needs it; the slot drains without waiting
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)
        self._previous: dict[int, object] = {}
        self._previous_fd = -1

    def install(self) -> SignalCloser:
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        for number in CLOSING_SIGNALS:
            if signal.getsignal(number) is signal.SIG_IGN:
                continue  # nohup: a hangup must not close it
            self._previous[number] = signal.signal(number, self._handler)
        return self

    def uninstall(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        self._previous.clear()
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._read.close()
        self._write.close()

    def _handler(self, number: int, _frame: FrameType | None) -> None:
        """Python's handler, run in the main thread when Python next runs there (the
        wakeup byte makes that soon): it only speaks; the notifier's slot closes."""
        if self.received is not None:  # a second one: at once
            _stop_own_process_groups()
            os._exit(128 + number)
        self.received = number
        with contextlib.suppress(Exception):  # a terminal hung up cannot be written to
            print(f"alertview: {CLOSING_SIGNALS[number]}, closing", file=sys.stderr, flush=True)

    def _woken(self) -> None:
        numbers = b""
        with contextlib.suppress(OSError):  # (BlockingIOError once drained)
            while chunk := self._read.recv(64):
                numbers += chunk
        if self._closing or not any(n in CLOSING_SIGNALS for n in numbers):
            return
        self._closing = True
        self.app.closeAllWindows()  # each window stops its stream and closes its store
        self.app.quit()  # also when no window was shown yet


@contextlib.contextmanager
def closing_on_signals(app: QApplication) -> Iterator[SignalCloser]:
    """SIGINT, SIGTERM and SIGHUP close ``app``'s windows while in the block; the
    handlers before it are back after it (tests run the viewer in pytest's process)."""
    closer = SignalCloser(app).install()
    try:
        yield closer
    finally:
        closer.uninstall()
        closer.deleteLater()


def _stop_own_process_groups() -> None:
    """SIGTERM to this process's children that lead process groups of their own: the
    embedded brokers (Tansu, Kafka's JVM), started so Ctrl-C does not reach them."""
    me = os.getpid()
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
            fields = stat.rpartition(")")[2].split()
            pid = int(entry.name)
            if len(fields) > 2 and int(fields[1]) == me and int(fields[2]) == pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
