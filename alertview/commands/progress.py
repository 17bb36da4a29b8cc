"""A one-line progress display on stderr (only on a terminal)."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """Rewrites one status line at most ~5 times a second; silent when not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0
        self._width = 0

    def show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        padded = text.ljust(self._width)
        self._width = len(text)
        sys.stderr.write(f"\r{padded}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
