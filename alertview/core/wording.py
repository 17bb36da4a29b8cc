"""Counts in words, as the window and the command line say them: "1 alert", "2 alerts".

One function, so no message says "1 errors" because its author forgot the singular.
"""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, plural unless one ("1 alert", "2 detections", "59,174
    alerts": thousands separated, as the sky map and the table say them); ``plural`` for
    a noun that does not take an s."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
