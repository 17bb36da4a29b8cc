"""What a session keeps on disk: the retention policy, and the free-space guard.

A full Rubin night is ~10^7 alerts and 1-2 TB of packets: no laptop keeps
that. A ``RetentionPolicy`` (``--keep-packets 50GB,7d``) says which packets a
session keeps; past it the oldest whole segment files are dropped while the
alerts' table rows stay, marked "packet dropped" (``AlertStore``). The guard
refuses to write when the session's file system is nearly full (``DiskFull``;
a stream then holds its Kafka offsets, so nothing is lost silently).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertview.core.alert import Alert
from alertview.core.avro.detail import Detail
from alertview.core.errors import UsageError
from alertview.core.session.segments import SEGMENT_BYTES
from alertview.core.session.store_errors import DiskFull
from alertview.core.table.filter_fields import FieldLookup
from alertview.core.table.filters import AlertFilter

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


#: Sizes and ages a policy is written in (sizes in powers of 1024, as ``df -h`` shows them).
_SIZE_UNITS = {"TB": 1024**4, "GB": 1024**3, "MB": 1024**2, "KB": 1024, "B": 1}
_AGE_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)$", re.IGNORECASE)
#: The smallest packet cap: a segment file is at least 1 MB.
MIN_SEGMENT_BYTES = 1024**2
MIN_CAP_BYTES = 2 * MIN_SEGMENT_BYTES
#: Segments per cap: dropping the oldest of ~8 keeps the session within ~1/8 of its cap.
SEGMENTS_PER_CAP = 8
_EXAMPLES = "e.g. 50GB, 500MB, 7d, 12h, matching, or 50GB,7d"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Which packets a session keeps; rows are always kept.

    ``max_bytes``: packet bytes on disk (the oldest segments go first);
    ``max_age``: seconds a packet is kept after it was stored; ``matching``:
    only the packets of alerts that pass the session's filter are written.
    Parsed from and written as text (``50GB,7d,matching``; ``all`` keeps
    everything), which is what the index stores and the command line takes.
    """

    max_bytes: int | None = None
    max_age: float | None = None
    matching: bool = False

    @classmethod
    def parse(cls, text: str) -> RetentionPolicy:
        """``50GB`` / ``500MB``, ``7d`` / ``12h``, ``matching``, comma-separated; ``all``
        or empty: keep everything. A ``ValueError`` says what is wrong in one line."""
        parts = [p.strip() for p in text.replace("+", ",").split(",")]
        parts = [p for p in parts if p]
        if not parts or [p.lower() for p in parts] == ["all"]:
            return cls()
        size: int | None = None
        age: float | None = None
        matching = False
        for part in parts:
            if part.lower() == "matching":
                if matching:
                    raise ValueError(f"retention {text!r}: 'matching' given twice")
                matching = True
                continue
            found = _PART.match(part)
            if found is None:
                raise ValueError(f"retention {text!r}: cannot read {part!r} ({_EXAMPLES})")
            number, unit = float(found.group(1)), found.group(2)
            if unit.upper() in _SIZE_UNITS:
                if size is not None:
                    raise ValueError(f"retention {text!r}: two sizes given")
                size = int(number * _SIZE_UNITS[unit.upper()])
                if size < MIN_CAP_BYTES:
                    raise ValueError(f"retention {text!r}: {part} is too small (at least 2MB)")
            elif unit.lower() in _AGE_UNITS and unit.lower() == unit:
                if age is not None:
                    raise ValueError(f"retention {text!r}: two ages given")
                age = number * _AGE_UNITS[unit.lower()]
                if age < 1:
                    raise ValueError(f"retention {text!r}: {part} is too short (at least 1s)")
            else:
                raise ValueError(
                    f"retention {text!r}: unknown unit {unit!r} in {part!r} "
                    "(sizes: B, KB, MB, GB, TB; ages: s, m, h, d, w)"
                )
        return cls(size, age, matching)

    def __str__(self) -> str:
        parts = []
        if self.max_bytes is not None:
            parts.append(_in_units(self.max_bytes, _SIZE_UNITS))
        if self.max_age is not None:
            parts.append(_in_units(round(self.max_age), _AGE_UNITS, skip="w"))
        if self.matching:
            parts.append("matching")
        return ",".join(parts) or "all"

    @property
    def keeps_all(self) -> bool:
        return self == RetentionPolicy()

    @property
    def bounded(self) -> bool:
        """Segments are dropped (a size or an age is set)."""
        return self.max_bytes is not None or self.max_age is not None

    def segment_bytes(self) -> int:
        """How large a segment file may grow: small enough that dropping the oldest
        keeps the packets near the cap (1/8 of it), at least 1 MB, at most 512 MB."""
        if self.max_bytes is None:
            return SEGMENT_BYTES
        return max(MIN_SEGMENT_BYTES, min(SEGMENT_BYTES, self.max_bytes // SEGMENTS_PER_CAP))

    def segment_seconds(self) -> float | None:
        """How long one segment is appended to, so that a slow stream's segments
        still age out: 1/8 of the age kept (at least a second)."""
        if self.max_age is None:
            return None
        return max(1.0, self.max_age / SEGMENTS_PER_CAP)


def _in_units(value: int, units: dict[str, int], skip: str = "") -> str:
    for unit, size in units.items():  # the largest unit that holds it exactly
        if unit != skip and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}{list(units)[-1]}"


#: History counts a table-fields decode (``Detail.TABLE``) does not know yet (it gives 0
#: for the last two, None for the first where the packet does not count it up front).
_HISTORY_COUNTS = frozenset({"n_history_detections", "n_upper_limits", "n_forced"})
_COUNTED_LATER = frozenset({"n_upper_limits", "n_forced"})


class _KnownOnly(FieldLookup):
    """Looks names up as a filter does, noting those the decode did not reach."""

    def __init__(self, alert: Alert) -> None:
        super().__init__(alert)
        self.unknown = False

    def get(self, name: str) -> Any:
        try:
            value = super().get(name)
        except KeyError:
            self.unknown = True
            raise
        if name in _COUNTED_LATER or (value is None and name in _HISTORY_COUNTS):
            self.unknown = True
        return value


def keeps_packet(keep_filter: AlertFilter | None, alert: Alert) -> bool:
    """Whether the ``matching`` policy keeps ``alert``'s packet.

    An alert decoded for the table only (``Detail.TABLE``, as a live stream
    does) lacks the fields outside the table and its history counts: a filter
    that needs one of them is not known to fail, so the packet is kept (the
    viewer's filter decides later, from the packet). No filter: all match.
    """
    if keep_filter is None:
        return True
    lookup = _KnownOnly(alert)
    if keep_filter.matches(lookup):
        return True
    return alert.detail is Detail.TABLE and lookup.unknown


def check_keep_packets(text: str | None) -> None:
    """``--keep-packets`` checked before anything runs: a ``UsageError`` in one line."""
    if text is None:
        return
    try:
        RetentionPolicy.parse(text)
    except ValueError as exc:
        raise UsageError(f"--keep-packets: {exc}") from None
