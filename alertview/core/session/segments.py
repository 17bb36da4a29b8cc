"""A session's packets: raw bytes appended to segment files, read back by position.

Each writing process (the viewer's, a stream's) appends to segment files of
its own, so two processes never interleave bytes; the SQLite index says which
segment and position hold each packet. Not thread-safe: the store locks.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import BinaryIO, NamedTuple

SEGMENT_BYTES = 512 * 1024 * 1024
#: Buffers per writev call (Linux's IOV_MAX).
_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024


class SegmentError(OSError):
    """A segment is shorter than the index says, or missing."""


class OnDisk(NamedTuple):
    """One segment file as the disk has it."""

    number: int
    size: int
    #: When it was last written (seconds since the epoch): its newest packet's age.
    modified: float


class Segments:
    """The ``packets-NNNNNN.seg`` files of one session folder."""

    def __init__(self, folder: Path, last_used: int = 0) -> None:
        self.folder = folder
        #: A new segment is begun past this size (a retention cap makes it smaller) ...
        self.max_bytes = SEGMENT_BYTES
        #: ... or after this many seconds of appending (a retention age sets it).
        self.max_seconds: float | None = None
        self._opened_at = 0.0
        #: The segment being appended to (or the last one used, before the first write).
        self.number = last_used
        self._file: BinaryIO | None = None
        #: Where the segment stood at the last sync (see ``sync``).
        self._synced_to = 0
        #: A segment was created since the last sync: its folder entry needs syncing too.
        self._created = False

    def path(self, number: int) -> Path:
        return self.folder / f"packets-{number:06d}.seg"

    @property
    def current(self) -> int | None:
        """The segment being appended to by this process (None before its first write)."""
        return self.number if self._file is not None else None

    def append(self, packets: list[bytes]) -> list[tuple[int, int]]:
        """Append ``packets``; returns the segment and position of each.

        One ``writev`` per ~1000 packets rather than a write each: the stream's
        writer thread then gives up and takes back the GIL once per batch, not
        once per packet while the decoder thread wants it (measured: with a
        write per packet the two threads together held a ZTF stream to one core).
        A batch that would take a segment past ``max_bytes`` goes on in the
        next one, so a retention cap's small segments stay small.
        """
        places: list[tuple[int, int]] = []
        first = 0
        while first < len(packets):
            file = self._open()
            position = file.tell()
            end = first
            # a packet larger than a whole segment gets one of its own
            while end < len(packets) and (
                position == 0 or position + len(packets[end]) <= self.max_bytes
            ):
                places.append((self.number, position))
                position += len(packets[end])
                end += 1
            if hasattr(os, "writev"):
                _writev_all(file.fileno(), packets[first:end])
            else:  # Windows
                for packet in packets[first:end]:
                    file.write(packet)
            if end < len(packets):
                self._finish()  # full: the rest goes to a new segment
            first = end
        return places

    def sync(self) -> None:
        """Force every packet appended so far to disk.

        Then the operating system is told it need not cache the packets synced
        before the previous call: a live stream writes ~200-500 MB/s that are
        read again only for the few alerts a user selects (the newest stay
        cached). Page-cache pages are reused instead of ever more memory
        being taken, which also costs far less kernel time per byte written
        (measured here: ~0.4 vs ~3 GB/s per core).
        """
        if self._file is None:
            return
        fd = self._file.fileno()
        os.fsync(fd)
        if self._created:  # a new file's name is in the folder, which has its own sync
            fsync_dir(self.folder)
            self._created = False
        if self._synced_to and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, self._synced_to, os.POSIX_FADV_DONTNEED)
        self._synced_to = self._file.tell()

    def size(self, number: int) -> int:
        """Bytes in segment ``number`` as the disk has them (0 if it is missing)."""
        try:
            return self.path(number).stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, number: int, position: int, length: int) -> bytes:
        try:
            with self.path(number).open("rb") as stream:
                stream.seek(position)
                data = stream.read(length)
        except FileNotFoundError:
            raise SegmentError(f"segment {number} is missing") from None
        if len(data) != length:
            raise SegmentError(f"segment {number} is truncated at byte {position}")
        return data

    def on_disk(self) -> list[OnDisk]:
        """Every segment file of the folder (any process's), oldest first."""
        found = []
        for path in self.folder.glob("packets-*.seg"):
            try:
                number = int(path.stem.split("-")[1])
                stat = path.stat()
            except (ValueError, IndexError, FileNotFoundError):
                continue  # not ours, or dropped meanwhile by another process
            found.append(OnDisk(number, stat.st_size, stat.st_mtime))
        return sorted(found)

    def written_elsewhere(self, number: int) -> bool:
        """Whether some writer (another process's store, or another store in this one)
        is appending to segment ``number``: it holds a shared lock on the file while it
        does. Where ``fcntl`` is missing (Windows), only the newest segment is spared."""
        try:
            import fcntl
        except ImportError:
            return False
        try:
            with self.path(number).open("rb") as probe:
                try:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                return False  # (closing the probe lets the lock go)
        except FileNotFoundError:
            return False

    def drop(self, number: int) -> None:
        """Delete a whole segment (a retention policy's oldest); never the one being
        appended to."""
        if number == self.current:
            raise ValueError(f"segment {number} is being written")
        self.path(number).unlink(missing_ok=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _finish(self) -> None:
        """Close the segment being appended to, its packets forced to disk first:
        ``sync`` forces only the segment it finds open."""
        if self._file is None:
            return
        fd = self._file.fileno()
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        self.close()

    def _open(self) -> BinaryIO:
        if self._file is not None and (
            self._file.tell() >= self.max_bytes
            or (self.max_seconds is not None and time.time() - self._opened_at >= self.max_seconds)
        ):
            self._finish()
        if self._file is None:
            # a segment of its own: another process (the stream's) may be appending too
            number = max(self.number, self._last_on_disk()) + 1
            while True:
                try:
                    # unbuffered: packets go out in one writev per batch
                    self._file = self.path(number).open("xb", buffering=0)
                    break
                except FileExistsError:
                    number += 1
            _hold(self._file)  # retention in another process leaves it alone meanwhile
            self.number = number
            self._synced_to = 0
            self._created = True
            self._opened_at = time.time()
        return self._file

    def _last_on_disk(self) -> int:
        numbers = [int(p.stem.split("-")[1]) for p in self.folder.glob("packets-*.seg")]
        return max(numbers, default=0)


def _hold(file: BinaryIO) -> None:
    """A shared lock on a segment being appended to, released when it is closed."""
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(file.fileno(), fcntl.LOCK_SH)


def fsync_dir(folder: Path) -> None:
    """Force a folder's entries (a new file's name) to disk; a no-op where folders
    cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # a file system that cannot sync folders: nothing more to do
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _writev_all(fd: int, packets: list[bytes]) -> None:
    """Write every packet, ~1000 per call, going on after short writes."""
    for first in range(0, len(packets), _IOV_MAX):
        pending = [memoryview(p) for p in packets[first : first + _IOV_MAX] if p]
        done = 0
        while done < len(pending):
            written = os.writev(fd, pending[done:])
            while done < len(pending) and written >= len(pending[done]):
                written -= len(pending[done])
                done += 1
            if written:  # a short write ended inside this packet
                pending[done] = pending[done][written:]
