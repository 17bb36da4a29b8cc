"""The signals that stop AlertView's processes, and children that leave them to it.

Ctrl-C reaches the terminal's whole foreground process group, a hangup the
whole job. Killed by them, the viewer's stream or import process would stop
under a window that stays open (with a ``KeyboardInterrupt`` traceback on the
terminal); the viewer closes in order instead and stops its children through
their pipes (or the pipe's end, if it dies). SIGTERM still ends a child.
"""

from __future__ import annotations

import signal

#: The terminal's signals: Ctrl-C, and a hangup where there is one (not on Windows).
TERMINAL_SIGNALS: tuple[signal.Signals, ...] = (
    signal.SIGINT,
    *((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()),
)
#: What stops a viewer or a long-running command: those, and SIGTERM.
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, *TERMINAL_SIGNALS)


def ignore_terminal_signals() -> None:
    """Ignore Ctrl-C and a hangup in this (child) process."""
    for number in TERMINAL_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
