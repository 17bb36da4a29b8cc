"""What went wrong, as the store keeps it: its own error, and the decode failures
a stream or a file reported, with the message bytes where they were kept.

A message whose schema was unknown when it arrived is kept bytes and all, so
it can be decoded once the schema is known (``error_packet``); the errors
panel shows one row per unknown schema id (``unknown_schema_counts``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alertview.core.errors import AlertViewError
from alertview.core.session.segments import SegmentError, Segments

if TYPE_CHECKING:
    from alertview.core.session.retention import DiskGuard


class StoreError(AlertViewError):
    """The store cannot be opened or written."""


class DiskFull(StoreError):
    """The session's file system is nearly full: a batch was refused before any of it
    was written (``AlertStore.add_rows``).

    A stream that meets it keeps its Kafka offsets uncommitted and tries again
    later, so nothing is lost silently; the message is one line for the status
    bar and the errors panel. ``free`` and ``keep`` are bytes, ``folder`` the
    session's folder.
    """

    def __init__(self, message: str, free: int = 0, keep: int = 0, folder: str = "") -> None:
        super().__init__(message)
        self.free = free
        self.keep = keep
        self.folder = folder


@dataclass(frozen=True, slots=True)
class StoredError:
    topic: str | None
    partition: int | None
    offset: int | None
    source: str | None
    reason: str
    #: The unknown Confluent schema id the message named, else None.
    schema_id: int | None = None
    #: Another message with the same unknown ``schema_id`` was reported first.
    repeat: bool = False
    #: Its number, for ``error_packet`` (None where no bytes were kept).
    row: int | None = None


class ErrorRecords:
    """The error records of ``AlertStore``: its ``errors`` table and their bytes."""

    # provided by AlertStore
    @property
    def _db(self) -> sqlite3.Connection:  # this thread's connection
        raise NotImplementedError

    _lock: threading.RLock
    _segments: Segments
    _guard: DiskGuard

    def add_errors(self, errors: Iterable[object]) -> None:
        """Keep decode failures (ErrorRecord or DecodeError) with where they came from,
        and the message's bytes where the record holds them (``error_packet``): a
        message whose schema was unknown can be decoded once it is known."""
        errors = list(errors)
        if not errors:
            return
        now = time.time()
        with self._lock:
            packets = [p for e in errors if (p := getattr(e, "packet", None))]
            self._guard.check(sum(len(p) for p in packets))  # DiskFull: nothing written
            at = iter(self._segments.append(packets))
            rows = []
            for e in errors:
                packet = getattr(e, "packet", None)
                segment, position = next(at) if packet else (None, None)
                rows.append(
                    (
                        getattr(e, "topic", None),
                        getattr(e, "partition", None),
                        getattr(e, "offset", None) if hasattr(e, "topic") else None,
                        getattr(e, "source", None),
                        getattr(e, "reason", str(e)),
                        now,
                        getattr(e, "schema_id", None),
                        int(bool(getattr(e, "repeat", False))),
                        segment,
                        position,
                        len(packet) if packet else None,
                    )
                )
            with self._db:
                self._db.executemany(
                    "INSERT INTO errors (topic, partition, kafka_offset, source, reason, "
                    "received, schema_id, repeat, segment, position, length) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )

    def errors(self) -> list[StoredError]:
        query = (
            "SELECT topic, partition, kafka_offset, source, reason, schema_id, repeat, "
            "CASE WHEN segment IS NULL THEN NULL ELSE rowid END FROM errors ORDER BY rowid"
        )
        return [
            StoredError(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7])
            for r in self._db.execute(query)
        ]

    def unknown_schema_counts(self) -> dict[int, int]:
        """Messages stored per unknown schema id (the errors panel's one row per id)."""
        query = (
            "SELECT schema_id, COUNT(*) FROM errors WHERE schema_id IS NOT NULL "
            "GROUP BY schema_id ORDER BY schema_id"
        )
        return dict(self._db.execute(query))

    def error_packet(self, row: int) -> bytes:
        """The bytes of the message behind the error ``row`` (``StoredError.row``)."""
        found = self._db.execute(
            "SELECT segment, position, length FROM errors WHERE rowid = ?", (row,)
        ).fetchone()
        if found is None or found[0] is None:
            raise StoreError(f"no message bytes kept for error {row}")
        try:
            return self._segments.read(*found)
        except SegmentError as exc:
            raise StoreError(f"error {row}: {exc}") from None

    def error_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM errors").fetchone()[0]
