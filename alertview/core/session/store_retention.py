"""The retention side of ``AlertStore``: the session's policy, kept in its index,
and the oldest segments dropped past it while their rows stay.

Whole segment files are dropped, never single packets: segments are
append-only, and deleting a file frees its space at once with no rewrite. A
size cap therefore makes segments small (``RetentionPolicy.segment_bytes``),
so the packets on disk stay within the cap plus one segment. The writer
enforces the policy after each ``sync`` and reads it from the index there,
so a policy set in the viewer reaches the stream's process within a sync.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

from alertview.core.alert import Alert
from alertview.core.session.retention import RetentionPolicy, keeps_packet
from alertview.core.session.segments import Segments
from alertview.core.session.store_errors import StoreError
from alertview.core.session.store_tables import DROPPED_OLD, DROPPED_UNMATCHED
from alertview.core.table.filters import AlertFilter, parse_filter

log = logging.getLogger(__name__)

_POLICY, _FILTER = "retention", "retention_filter"
_DROPPED, _DROPPED_BEFORE = "packets_dropped", "dropped_before"


class RetainedPackets:
    """Which packets a session keeps (``RetentionPolicy``), and which it dropped."""

    # provided by AlertStore
    @property
    def _db(self) -> sqlite3.Connection:  # this thread's connection
        raise NotImplementedError

    _lock: threading.RLock
    _segments: Segments

    def _init_retention(self) -> None:
        self._policy_seen: tuple[Any, Any] | None = None
        self._policy = RetentionPolicy()
        self._keep_filter: AlertFilter | None = None
        self._load_retention()

    # -- the policy ---------------------------------------------------------------------
    @property
    def retention(self) -> RetentionPolicy:
        """The session's retention policy (kept in its index: a reopened session keeps it)."""
        self._load_retention()
        return self._policy

    @retention.setter
    def retention(self, policy: RetentionPolicy | str) -> None:
        self.set_retention(policy, self.keep_filter)

    @property
    def keep_filter(self) -> str | None:
        """The filter whose matching alerts keep their packets (``matching``)."""
        self._load_retention()
        return None if self._keep_filter is None else self._keep_filter.expression

    def set_retention(
        self, policy: RetentionPolicy | str, keep_filter: str | None = None, apply: bool = True
    ) -> None:
        """Keep ``policy`` (or its text: ``ValueError`` if unreadable) in the index, with
        the filter ``matching`` keeps by (``FilterError`` if it cannot be used; None:
        every alert matches). With ``apply``, segments past a size or age are dropped
        now, not at the writer's next sync (a session reopened with no stream)."""
        if isinstance(policy, str):
            policy = RetentionPolicy.parse(policy)
        text = keep_filter.strip() if keep_filter and keep_filter.strip() else None
        if text is not None:
            parse_filter(text)  # FilterError before anything is kept
        with self._lock, self._db as db:
            db.executemany(
                "INSERT OR REPLACE INTO settings VALUES (?, ?)",
                [(_POLICY, str(policy)), (_FILTER, text)],
            )
        self._load_retention()
        if apply:
            self.apply_retention()

    def _load_retention(self) -> None:
        """The policy as the index has it now (another process may have set it)."""
        found = dict(
            self._db.execute(
                "SELECT key, value FROM settings WHERE key IN (?, ?)", (_POLICY, _FILTER)
            )
        )
        seen = (found.get(_POLICY), found.get(_FILTER))
        if seen == self._policy_seen:
            return
        self._policy_seen = seen
        try:
            self._policy = RetentionPolicy.parse(seen[0] or "")
        except ValueError as exc:  # written by a later version: keep every packet
            log.warning("session retention not understood, keeping every packet: %s", exc)
            self._policy = RetentionPolicy()
        try:
            self._keep_filter = parse_filter(seen[1]) if seen[1] else None
        except Exception as exc:  # FilterError: a filter a later version accepts
            log.warning("session filter not understood, keeping every packet: %s", exc)
            self._keep_filter = None
        self._segments.max_bytes = self._policy.segment_bytes()
        self._segments.max_seconds = self._policy.segment_seconds()

    def _keeps(self, alert: Alert) -> bool:
        """Whether ``alert``'s packet is written (``matching``: it passes the filter)."""
        return not self._policy.matching or keeps_packet(self._keep_filter, alert)

    # -- dropping -----------------------------------------------------------------------
    def apply_retention(self, now: float | None = None, incoming: int = 0) -> int:
        """Drop the oldest whole segments while the packets on disk (and ``incoming``
        bytes about to be written) exceed the size kept, or are older than the age
        kept; returns how many packets were dropped.

        Never the segment this store appends to, nor the newest on disk, nor one
        another writer holds open (``Segments.written_elsewhere``). Rows stay,
        marked dropped, before the file goes: the mark is made durable first, so
        a power cut never leaves a row pointing at a deleted file unmarked
        (``_drop_lost_rows`` would take it for a lost write and delete it).
        ``now``: for tests of the age.
        """
        with self._lock:
            self._load_retention()
            policy = self._policy
            if not policy.bounded:
                return 0
            now = time.time() if now is None else now
            segments = self._segments.on_disk()
            spared = {self._segments.current, segments[-1].number if segments else None}
            total = sum(s.size for s in segments) + incoming
            doomed = []
            for segment in segments:
                too_big = policy.max_bytes is not None and total > policy.max_bytes
                too_old = policy.max_age is not None and segment.modified < now - policy.max_age
                if segment.number in spared or not (too_big or too_old):
                    break  # oldest first: the ones after it are newer
                if self._segments.written_elsewhere(segment.number):
                    break  # another writer's open segment: its rows are still coming
                doomed.append(segment.number)
                total -= segment.size
            return self._drop_segments(doomed) if doomed else 0

    def _drop_segments(self, numbers: list[int]) -> int:
        db = self._db
        db.execute("PRAGMA synchronous=FULL")  # the marks reach the disk before the files go
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                before = db.total_changes
                marks = ",".join("?" * len(numbers))
                db.execute(
                    f"UPDATE alerts SET dropped = {DROPPED_OLD} "
                    f"WHERE segment IN ({marks}) AND dropped IS NULL",
                    numbers,
                )
                dropped = db.total_changes - before
                # error rows stay; only their bytes go
                db.execute(
                    "UPDATE errors SET segment = NULL, position = NULL, length = NULL "
                    f"WHERE segment IN ({marks})",
                    numbers,
                )
                (last,) = db.execute(
                    f"SELECT MAX(row) FROM alerts WHERE segment IN ({marks})", numbers
                ).fetchone()
                self._count_dropped(dropped)
                if last is not None:
                    db.execute(
                        "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) "
                        "DO UPDATE SET value = MAX(value, excluded.value)",
                        (_DROPPED_BEFORE, last + 1),
                    )
        finally:
            db.execute("PRAGMA synchronous=NORMAL")
        for number in numbers:
            self._segments.drop(number)
        log.info("retention %s: dropped segments %s (%d packets)", self._policy, numbers, dropped)
        return dropped

    def _count_dropped(self, count: int) -> None:
        """Add to the session's count of dropped packets (inside a write transaction)."""
        if count:
            self._db.execute(
                "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = value + excluded.value",
                (_DROPPED, count),
            )

    # -- what the table shows -----------------------------------------------------------
    def packets_dropped(self) -> int:
        """How many alerts of the session have no packet any more (for the status bar)."""
        found = self._db.execute("SELECT value FROM settings WHERE key = ?", (_DROPPED,))
        row = found.fetchone()
        return int(row[0]) if row else 0

    def dropped_before(self) -> int:
        """No row from this number on lost its packet to a size or an age (0: none
        lost). With one writer, every row before it did; ``packet_kept`` is exact,
        and ``matching`` drops rows anywhere."""
        found = self._db.execute("SELECT value FROM settings WHERE key = ?", (_DROPPED_BEFORE,))
        row = found.fetchone()
        return int(row[0]) if row else 0

    def packet_kept(self, row: int) -> bool:
        """Whether ``row``'s packet is still on disk (False for an unknown row too)."""
        found = self._db.execute("SELECT dropped FROM alerts WHERE row = ?", (row,)).fetchone()
        return found is not None and found[0] is None

    def _dropped_message(self, row: int, alert_id: int | str, why: int) -> str:
        """One line saying why a row has no packet (``AlertStore.read``)."""
        self._load_retention()
        if why == DROPPED_UNMATCHED:
            rule = f" {self._keep_filter.expression!r}" if self._keep_filter else ""
            return (
                f"alert {alert_id} (row {row}): packet not kept: it did not match the "
                f"session's filter{rule} (retention: {self._policy})"
            )
        return (
            f"alert {alert_id} (row {row}): packet dropped by the session's retention "
            f"({self._policy})"
        )

    def _missing_packet(self, row: int, alert_id: int | str, exc: OSError) -> StoreError:
        """The error for a packet that could not be read: dropped meanwhile by the
        writer's retention (another process), or really lost."""
        found = self._db.execute("SELECT dropped FROM alerts WHERE row = ?", (row,)).fetchone()
        if found is not None and found[0] is not None:
            return StoreError(self._dropped_message(row, alert_id, found[0]))
        return StoreError(f"row {row}: {exc}")
