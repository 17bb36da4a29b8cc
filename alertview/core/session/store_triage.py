"""The triage side of ``AlertStore``: what the user decided about each alert.

One row of the ``triage`` table per alert row that has a state, a note or tags
(an alert with none has no row: most of a night is never triaged). Each change
commits at once and synced (``synchronous=FULL``): a decision is a user's
work, rare next to the stream's writes, and must survive a crash or a power
cut. The write transaction is ``BEGIN IMMEDIATE``, so it waits its turn
against a stream writing alerts into the same session from another process.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from alertview.core.table.triage import (
    TRIAGE_STATES,
    UNSCANNED,
    Triage,
    check_state,
    normalise_tags,
)

__all__ = ["TRIAGE_STATES", "UNSCANNED", "Triage", "TriageRecords"]

log = logging.getLogger(__name__)

#: Rows per SQL statement (SQLite's older builds allow 999 parameters).
_CHUNK = 500
#: How the ``tags`` column joins a row's tags (they never hold a comma).
_JOIN = ","
#: Triage records whose alert row is gone (``_drop_lost_triage``).
_LOST_ROWS = "row NOT IN (SELECT row FROM alerts)"
_LOST = f"DELETE FROM triage WHERE {_LOST_ROWS}"


def _chunks(rows: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(rows), _CHUNK):
        yield list(rows[start : start + _CHUNK])


def _triage(row: int, state: str | None, note: str, tags: str) -> Triage:
    return Triage(row, state, note, tuple(t for t in tags.split(_JOIN) if t))


class TriageRecords:
    """The triage of a session's alerts, kept in its index (survives a reopen)."""

    # provided by AlertStore
    @property
    def _db(self) -> sqlite3.Connection:  # this thread's connection
        raise NotImplementedError

    _lock: threading.RLock

    # -- reading ------------------------------------------------------------------------
    def triage(self, rows: Sequence[int] | None = None) -> dict[int, Triage]:
        """The triage of ``rows`` (None: every row) that have any; the others are unscanned."""
        query = "SELECT row, state, note, tags FROM triage"
        if rows is None:
            return {r[0]: _triage(*r) for r in self._db.execute(query + " ORDER BY row")}
        found: dict[int, Triage] = {}
        for chunk in _chunks(_unique(rows)):
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(f"{query} WHERE row IN ({marks})", chunk):
                found[r[0]] = _triage(*r)
        return dict(sorted(found.items()))

    def triage_by_alert(self, rows: Sequence[int] | None = None) -> dict[tuple[str, int], Triage]:
        """``triage(rows)`` by (survey, alert id), what an export of decoded alerts needs."""
        query = (
            "SELECT a.survey, a.alert_id, t.row, t.state, t.note, t.tags "
            "FROM triage t JOIN alerts a ON a.row = t.row"
        )
        chunks: Iterable[list[int] | None] = [None] if rows is None else _chunks(_unique(rows))
        found: dict[tuple[str, int], Triage] = {}
        for chunk in chunks:
            if chunk is None:
                selected = self._db.execute(query)
            else:
                marks = ",".join("?" * len(chunk))
                selected = self._db.execute(f"{query} WHERE t.row IN ({marks})", chunk)
            for survey, alert_id, *triage in selected:
                found[(survey, int(alert_id))] = _triage(*triage)
        return found

    def triage_counts(self) -> dict[str, int]:
        """Alerts per state (``UNSCANNED`` included), for a scanned / left counter."""
        counts = dict.fromkeys((*TRIAGE_STATES, UNSCANNED), 0)
        query = "SELECT state, COUNT(*) FROM triage WHERE state IS NOT NULL GROUP BY state"
        for state, count in self._db.execute(query):
            if state in counts:
                counts[state] = count
        (total,) = self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()
        counts[UNSCANNED] = total - sum(counts[s] for s in TRIAGE_STATES)
        return counts

    # -- writing ------------------------------------------------------------------------
    @staticmethod
    def _drop_lost_triage(db: sqlite3.Connection) -> None:
        """Forget the triage of rows the index no longer holds, in the caller's transaction.

        A row dropped after a power cut (``AlertStore._drop_lost_rows``) frees its
        number, and the next alert stored takes it (MAX(row) + 1): a triage record
        left behind would be read as that new alert's.
        """
        db.execute(_LOST)

    def _drop_lost_triage_at_open(self) -> None:
        """``_drop_lost_triage`` for a session an older AlertStore left with such records
        (checked first: opening a clean session writes nothing)."""
        db = self._db
        if db.execute(f"SELECT EXISTS (SELECT 1 FROM triage WHERE {_LOST_ROWS})").fetchone()[0]:
            with self._lock, db:
                self._drop_lost_triage(db)
            log.info("triage of alert rows no longer in the session forgotten")

    def set_triage(self, rows: Sequence[int], state: str | None) -> list[Triage]:
        """Give ``rows`` the triage ``state`` (one of ``TRIAGE_STATES``; None clears it);
        returns each row's new triage. ValueError for another state or an unknown row."""
        check_state(state)
        return self._change(rows, lambda t: Triage(t.row, state, t.note, t.tags))

    def set_note(self, rows: Sequence[int], note: str) -> list[Triage]:
        """Replace the note of ``rows`` ("" removes it)."""
        if not isinstance(note, str):
            raise ValueError(f"a note must be text, not {type(note).__name__}")
        text = note.replace("\r\n", "\n").strip()
        return self._change(rows, lambda t: Triage(t.row, t.state, text, t.tags))

    def add_tags(self, rows: Sequence[int], tags: Iterable[str]) -> list[Triage]:
        """Add ``tags`` to ``rows`` (normalised: ValueError for a tag that is not a word)."""
        added = normalise_tags(tags)
        return self._change(
            rows, lambda t: Triage(t.row, t.state, t.note, tuple(sorted({*t.tags, *added})))
        )

    def remove_tags(self, rows: Sequence[int], tags: Iterable[str]) -> list[Triage]:
        """Remove ``tags`` from ``rows`` (those a row has not are ignored)."""
        removed = set(normalise_tags(tags))
        return self._change(
            rows,
            lambda t: Triage(t.row, t.state, t.note, tuple(x for x in t.tags if x not in removed)),
        )

    def _change(self, rows: Sequence[int], change: Callable[[Triage], Triage]) -> list[Triage]:
        """Apply ``change`` to each row's triage in one durable write transaction."""
        wanted = _unique(rows)
        if not wanted:
            return []
        now = time.time()
        result: list[Triage] = []
        with self._lock:
            db = self._db
            db.execute("PRAGMA synchronous=FULL")  # this commit reaches the disk
            try:
                with db:
                    if not db.in_transaction:  # a stream's process may be writing
                        db.execute("BEGIN IMMEDIATE")
                    for chunk in _chunks(wanted):
                        result += self._change_chunk(db, chunk, change, now)
            finally:
                db.execute("PRAGMA synchronous=NORMAL")
        log.debug("triage of %d rows changed", len(result))
        return result

    @staticmethod
    def _change_chunk(
        db: sqlite3.Connection, rows: list[int], change: Callable[[Triage], Triage], now: float
    ) -> list[Triage]:
        marks = ",".join("?" * len(rows))
        present = {
            r for (r,) in db.execute(f"SELECT row FROM alerts WHERE row IN ({marks})", rows)
        }
        missing = [r for r in rows if r not in present]
        if missing:
            raise ValueError(f"no alert row {missing[0]} in this session")
        old = {
            r[0]: _triage(*r)
            for r in db.execute(
                f"SELECT row, state, note, tags FROM triage WHERE row IN ({marks})", rows
            )
        }
        new = [change(old.get(row) or Triage(row, None)) for row in rows]
        db.executemany(
            "INSERT OR REPLACE INTO triage (row, state, note, tags, changed) "
            "VALUES (?, ?, ?, ?, ?)",
            [(t.row, t.state, t.note, _JOIN.join(t.tags), now) for t in new if not t.empty],
        )
        db.executemany(
            "DELETE FROM triage WHERE row = ?", [(t.row,) for t in new if t.empty and t.row in old]
        )
        return new


def _unique(rows: Sequence[int] | Iterable[int]) -> list[int]:
    """``rows`` as Python ints, each once, in their order (numpy integers are welcome)."""
    return list(dict.fromkeys(int(r) for r in rows))
