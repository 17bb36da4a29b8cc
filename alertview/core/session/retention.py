"""What a session keeps on disk: the free-space guard, and the retention policy.

A full Rubin night is ~10^7 alerts and 1-2 TB of packets: no laptop keeps
that. The guard refuses to write when the session's file system is nearly
full (``DiskFull``; a stream then holds its Kafka offsets, so nothing is lost
silently).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from alertview.core.session.store_errors import DiskFull

log = logging.getLogger(__name__)

#: Free bytes AlertView leaves on a session's file system unless told otherwise.
DEFAULT_MIN_FREE = 2 * 1024**3
MIN_FREE_ENV = "ALERTVIEW_MIN_FREE_BYTES"
#: The free space is asked again after this long, or after this many bytes were written.
PROBE_EVERY_S = 1.0
PROBE_EVERY_BYTES = 64 * 1024**2


def min_free_bytes() -> int:
    """The free space to keep: ``ALERTVIEW_MIN_FREE_BYTES`` (read each time), else 2 GB."""
    text = os.environ.get(MIN_FREE_ENV, "").strip()
    if not text:
        return DEFAULT_MIN_FREE
    try:
        return max(0, int(float(text)))
    except ValueError:
        log.warning("%s=%r is not a number of bytes: keeping 2 GB free", MIN_FREE_ENV, text)
        return DEFAULT_MIN_FREE


def human_bytes(count: float) -> str:
    """``1.2 GB``, ``512 MB``: sizes for one-line messages (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"


def mount_point(folder: Path) -> Path:
    """The mount point holding ``folder``: what the user knows the disk by."""
    path = folder.resolve()
    while not path.is_mount() and path != path.parent:
        path = path.parent
    return path


class DiskGuard:
    """Refuses a write that would leave less than ``min_free_bytes()`` on the disk.

    ``shutil.disk_usage`` is a system call: it is asked before the first
    write, then at most once a second or every 64 MB written; in between the
    bytes written are taken off the last answer. Not thread-safe: the store locks.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._mount: Path | None = None
        self._free = 0  # at the last probe, less what was written since
        self._probed_at: float | None = None
        self._written = 0  # since the last probe

    def check(self, nbytes: int) -> None:
        """Raise ``DiskFull`` if writing ``nbytes`` now would go below the free space kept."""
        keep = min_free_bytes()
        now = time.monotonic()
        stale = (
            self._probed_at is None
            or now - self._probed_at >= PROBE_EVERY_S
            or self._written >= PROBE_EVERY_BYTES
            or self._free - nbytes < keep  # looks full: ask again before refusing
        )
        if stale:
            self._free = shutil.disk_usage(self.folder).free
            self._probed_at = now
            self._written = 0
        if self._free - nbytes < keep:
            raise DiskFull(self.message(self._free, keep), self._free, keep, str(self.folder))
        self._free -= nbytes
        self._written += nbytes

    def message(self, free: int, keep: int) -> str:
        if self._mount is None:
            self._mount = mount_point(self.folder)
        return (
            f"disk nearly full: {human_bytes(free)} free on {self._mount} "
            f"(AlertView keeps {human_bytes(keep)} free): packets are not stored "
            "and offsets not committed until space is freed"
        )
