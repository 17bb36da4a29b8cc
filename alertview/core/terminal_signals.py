"""Child processes leave the terminal's Ctrl-C and hangup to the viewer.

Ctrl-C reaches the terminal's whole foreground process group, a hangup the
whole job. Killed by them, the viewer's stream or import process would stop
under a window that stays open (with a ``KeyboardInterrupt`` traceback on the
terminal); the viewer closes in order instead and stops its children through
their pipes (or the pipe's end, if it dies). SIGTERM still ends a child.
"""

from __future__ import annotations

import signal


def ignore_terminal_signals() -> None:
    """Ignore SIGINT and SIGHUP in this (child) process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # (not on Windows)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
