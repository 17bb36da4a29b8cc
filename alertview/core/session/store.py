"""Where received alerts live: packets on disk, table fields in SQLite.

A session folder holds append-only segment files with the raw packet bytes
and an SQLite index of the fields the table shows, so a night of ZTF
(10^5-10^6 alerts, ~60 KB each) never sits in RAM. Packets are written
before their index rows commit, and a stream commits Kafka offsets only after
``sync`` forced the packets and then the index rows to disk: at least once,
even across a power cut. (survey, alert id) is unique: a re-delivered alert
is recognised and kept once.

A session is bounded: its retention policy (``store_retention``) drops the
oldest packets while every row stays, and nothing is written on a nearly
full disk (``DiskFull``). Its memory is too: SQLite's page cache is capped per
connection and the schema refs grow with the distinct writer schemas only
(measured flat over a million alerts: docs/performance.md, Bounded sessions).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from alertview.core.alert import Alert
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import Packet
from alertview.core.session.retention import DiskGuard, RetentionPolicy
from alertview.core.session.segments import Segments, fsync_dir
from alertview.core.session.store_errors import DiskFull, ErrorRecords, StoredError, StoreError
from alertview.core.session.store_reading import SchemaUse, StoredAlerts
from alertview.core.session.store_retention import RetainedPackets
from alertview.core.session.store_tables import DROPPED_UNMATCHED, create_tables
from alertview.core.session.store_triage import TriageRecords
from alertview.core.surveys.brokers import broker_fields, present
from alertview.core.table.rows import ROW_FIELDS

# the store's public names; StoreError, StoredError, DiskFull (store_errors) and SchemaUse
# (store_reading) are defined there and imported from here as before
__all__ = [
    "AlertStore",
    "DiskFull",
    "SchemaUse",
    "StoreError",
    "StoredError",
    "default_sessions_dir",
]

_INT64_MAX = 2**63 - 1
#: The alerts table's columns in the order ``_row`` gives them.
_COLUMNS = (
    "row", "survey", "alert_id", "object_id", "schema", "ra", "dec", "mjd", "time_scale",
    "band", "mag", "mag_err", "flux", "flux_err", "rb", "drb", "reliability", "snr",
    "n_detections", "n_upper_limits", "n_forced", "topic", "partition", "kafka_offset",
    "source", "record_index", "framing", "schema_ref", "segment", "position", "length",
    "received", "dropped", "extras",
)  # fmt: skip
#: Where a row's broker fields (JSON text in the index, a dict in a row) are in ``ROW_FIELDS``.
_EXTRAS = ROW_FIELDS.index("extras")
_INSERT = (
    f"INSERT OR IGNORE INTO alerts ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_COLUMNS))})"
)
#: SQLite's page cache per connection (KiB): the index's recent pages, not the session.
_CACHE_KIB = 8192
#: The write-ahead log is cut back to this after a checkpoint (it counts in the folder's size).
_WAL_LIMIT = 64 * 1024**2


def default_sessions_dir() -> Path:
    """Per-user data folder for sessions (``ALERTVIEW_DATA_DIR`` overrides it)."""
    override = os.environ.get("ALERTVIEW_DATA_DIR")
    if override:
        return Path(override) / "sessions"
    from platformdirs import user_data_path

    return user_data_path("AlertView", appauthor=False) / "sessions"


def _extras_text(record: Mapping[str, Any]) -> str | None:
    """A record's broker fields (``surveys.brokers``) as the index keeps them: JSON, no nulls."""
    fields = present(broker_fields(record))
    return json.dumps(fields, separators=(",", ":")) if fields else None


def _extras(text: str | None) -> dict | None:
    """A row's broker fields from the index's JSON text (None: it has none)."""
    if not text:
        return None
    try:
        fields = json.loads(text)
    except ValueError:  # damaged by hand: the row shows without them
        return None
    return fields if isinstance(fields, dict) and fields else None


def _db_id(alert_id: int) -> int | str:
    # SQLite integers are signed 64-bit; a larger unsigned id is kept exactly as text.
    return alert_id if -_INT64_MAX - 1 <= alert_id <= _INT64_MAX else str(alert_id)


def _wal_mode(db: sqlite3.Connection, patience: float = 10.0) -> None:
    """Put ``db`` in WAL mode. Several processes opening one new session at once (a
    consumer per group on one topic) race for the switch, and SQLite answers the loser
    "database is locked" without waiting for its busy timeout: try again a while."""
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class AlertStore(RetainedPackets, ErrorRecords, StoredAlerts, TriageRecords):
    """A session's alerts on disk. Thread-safe; one writer at a time.

    ``retention`` (a ``RetentionPolicy`` or its text, ``50GB,7d``) and
    ``keep_filter`` (what ``matching`` keeps) are kept in the index: None
    leaves the session's own (a new session keeps every packet).
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        retention: RetentionPolicy | str | None = None,
        keep_filter: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        try:
            if not self.folder.is_dir():
                # another process may make it meanwhile (consumers started together)
                self.folder.mkdir(parents=True, exist_ok=True)
                fsync_dir(self.folder.parent)  # a new session survives a power cut too
        except OSError as exc:
            raise StoreError(f"cannot open store {self.folder}: {exc}") from None
        # one SQLite connection per thread: in WAL mode the viewer reads rows while the
        # stream's thread writes, without either waiting for the other's fsync
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.RLock()  # writers, and the list of connections
        db = self._db
        with self._lock:
            create_tables(db)
        self._schema_refs: dict[tuple[str, int | None, str | None], int] = {
            (text, schema_id, origin): ref
            for ref, text, schema_id, origin in db.execute(
                "SELECT ref, json, schema_id, origin FROM schemas"
            )
        }
        last = db.execute("SELECT MAX(segment) FROM alerts").fetchone()[0] or 0
        self._segments = Segments(self.folder, last)
        self._guard = DiskGuard(self.folder)
        self._drop_lost_rows()
        self._init_retention()
        if retention is not None:
            self.set_retention(retention, keep_filter)
        elif keep_filter is not None:
            self.set_retention(self.retention, keep_filter)

    def _drop_lost_rows(self, recent: int = 100_000) -> None:
        """Forget the newest rows whose packets are not in their segment.

        A power cut can keep an index commit yet lose the packets written just
        before it (the page cache writes back in any order). Those alerts' Kafka
        offsets were not committed (``sync`` comes first), so they are delivered
        again, and without their rows they are stored again instead of being
        taken for duplicates.
        """
        db = self._db
        ends = db.execute(
            "SELECT segment, MAX(position + length) FROM alerts WHERE dropped IS NULL "
            "AND row > (SELECT MAX(row) FROM alerts) - ? GROUP BY segment",
            (recent,),
        ).fetchall()
        for segment, end in ends:
            size = self._segments.size(segment)
            if size < end:
                with self._lock, db:
                    db.execute(
                        "DELETE FROM alerts WHERE segment = ? AND position + length > ? "
                        "AND dropped IS NULL",
                        (segment, size),
                    )
                    self._drop_lost_triage(db)  # their numbers go to the next alerts
        self._drop_lost_triage_at_open()  # a session an older version left

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.folder / "index.sqlite", check_same_thread=False)
                _wal_mode(db)
                # commits reach the WAL without an fsync each; ``sync`` makes them durable
                db.execute("PRAGMA synchronous=NORMAL")
                # memory and disk stay flat over a night's stream
                db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
                db.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open store {self.folder}: {exc}") from None
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @classmethod
    def session(cls, name: str) -> AlertStore:
        """The named session under the user data folder, created if new."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "session"
        return cls(default_sessions_dir() / safe)

    # -- writing ------------------------------------------------------------------------
    def _schema_ref(self, packet: Packet) -> int | None:
        schema = packet.detached_schema
        if schema is None:  # the bytes hold it
            return None
        # one row per (text, id, origin): a v10 copy under a registry's own id is not v10.0
        key = (schema.json, schema.schema_id, schema.origin or None)
        ref = self._schema_refs.get(key)
        if ref is None:
            self._db.execute(
                "INSERT OR IGNORE INTO schemas (json, schema_id, origin) VALUES (?, ?, ?)", key
            )
            (ref,) = self._db.execute(
                "SELECT ref FROM schemas WHERE json = ? AND schema_id IS ? AND origin IS ?", key
            ).fetchone()
            self._schema_refs[key] = ref
        return ref

    def _present(self, alerts: Sequence[Alert]) -> set[tuple[str, int | str]]:
        keys = {(a.survey, _db_id(a.alert_id)) for a in alerts}
        found: set[tuple[str, int | str]] = set()
        by_survey: dict[str, list] = {}
        for survey, alert_id in keys:
            by_survey.setdefault(survey, []).append(alert_id)
        for survey, ids in by_survey.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT alert_id FROM alerts WHERE survey = ? AND alert_id IN ({marks})"
                found.update((survey, r[0]) for r in self._db.execute(query, [survey, *chunk]))
        return found

    def add(self, alerts: Iterable[Alert], sync: bool = True) -> int:
        """Store the alerts not seen before; returns how many were new."""
        return len(self.add_rows(alerts, sync))

    def add_rows(self, alerts: Iterable[Alert], sync: bool = True) -> list[tuple]:
        """Store the alerts not seen before; returns their rows (as ``rows`` gives them).

        With ``sync=False`` the packets and rows reach the operating system but
        are not yet forced to disk: call ``sync`` before committing their Kafka
        offsets. A live stream syncs every ~0.5 s rather than every batch,
        because an fsync per batch caps a ZTF stream's 60 KB packets at ~600
        MB/s here.

        Raises ``DiskFull`` before anything of the batch is written when the
        session's disk has less than ``ALERTVIEW_MIN_FREE_BYTES`` (default 2 GB)
        free: the caller keeps the batch's offsets uncommitted and tries later.
        """
        rows = self._add_rows(list(alerts))
        if sync:
            self.sync()
        return rows

    def _add_rows(self, alerts: list[Alert]) -> list[tuple]:
        if not alerts:
            return []
        now = time.time()
        with self._lock:
            seen = self._present(alerts)
            kept: list[Alert] = []
            for alert in alerts:
                key = (alert.survey, _db_id(alert.alert_id))
                if key in seen:
                    continue
                seen.add(key)
                kept.append(alert)
            if not kept:
                return []
            self._load_retention()  # the viewer may have changed it
            keep = [self._keeps(alert) for alert in kept]
            packets = [a.packet.data for a, k in zip(kept, keep, strict=True) if k]
            incoming = sum(len(p) for p in packets)
            if self._policy.max_bytes is not None:  # room first: a sync may be 0.5 s away
                self.apply_retention(incoming=incoming)
            # nothing of the batch is written on a nearly full disk
            self._guard.check(incoming)
            places = iter(self._segments.append(packets))
            rows = [
                self._row(
                    a, *(next(places) if k else (0, 0)), now, None if k else DROPPED_UNMATCHED
                )
                for a, k in zip(kept, keep, strict=True)
            ]
            db = self._db
            with db:
                # row numbers are taken inside the write transaction: another process
                # (a stream's) may be adding rows to this session at the same time
                if not db.in_transaction:  # (a new schema's insert may have begun one)
                    db.execute("BEGIN IMMEDIATE")
                first = (db.execute("SELECT MAX(row) FROM alerts").fetchone()[0] or 0) + 1
                before = db.total_changes
                db.executemany(_INSERT, [(first + i, *row) for i, row in enumerate(rows)])
                inserted = db.total_changes - before
                if not all(keep):  # (a row the other writer stored first is not counted)
                    unmatched = f"row >= ? AND row < ? AND dropped = {DROPPED_UNMATCHED}"
                    (count,) = db.execute(
                        f"SELECT COUNT(*) FROM alerts WHERE {unmatched}",
                        (first, first + len(rows)),
                    ).fetchone()
                    self._count_dropped(count)
            table_rows = [
                (first + i, alert.survey, alert.alert_id, *row[2:25], _extras(row[-1]))
                for i, (alert, row) in enumerate(zip(kept, rows, strict=True))
            ]
            if inserted != len(rows):  # the other writer stored some of them first
                numbers = {r[0] for r in table_rows}
                held = {
                    n
                    for (n,) in db.execute(
                        "SELECT row FROM alerts WHERE row >= ? AND row < ?",
                        (first, first + len(rows)),
                    )
                }
                table_rows = [r for r in table_rows if r[0] in held & numbers]
        return table_rows

    def sync(self) -> None:
        """Force everything stored so far to disk; then its Kafka offsets may be committed.

        The packets first (``Segments.sync``), then the index: rows commit with
        synchronous=NORMAL, which in WAL mode leaves the WAL unsynced, so a power
        cut could roll back rows whose offsets Kafka already holds. One small
        commit with synchronous=FULL syncs the WAL, and with it every commit
        before it: one fsync per sync, not per batch.

        Then the session's retention policy drops the oldest segments past it
        (``apply_retention``): only packets already on disk with their rows.
        """
        with self._lock:
            self._segments.sync()
            db = self._db
            db.execute("PRAGMA synchronous=FULL")
            try:
                with db:
                    db.execute("INSERT OR REPLACE INTO synced VALUES (1, ?)", (time.time(),))
            finally:
                db.execute("PRAGMA synchronous=NORMAL")
            self.apply_retention()

    def _row(
        self, alert: Alert, segment: int, position: int, now: float, dropped: int | None
    ) -> tuple:
        origin, quality = alert.origin, alert.quality
        counts: tuple[int | None, int | None, int | None]
        if alert.detail is not Detail.TABLE:
            counts = (len(alert.detections), alert.n_upper_limits, alert.n_forced)
        else:  # filled in by set_history
            previous = alert.n_history_detections
            counts = (None if previous is None else previous + 1, None, None)
        return (
            alert.survey, _db_id(alert.alert_id), alert.object_id, alert.schema_label,
            alert.ra, alert.dec, alert.mjd, alert.time_scale, alert.band,
            alert.mag, alert.mag_err, alert.flux, alert.flux_err,
            quality.get("rb"), quality.get("drb"), quality.get("reliability"), quality.get("snr"),
            *counts, origin.topic, origin.partition, origin.offset, origin.source, origin.index,
            str(alert.packet.framing), self._schema_ref(alert.packet),
            segment, position, len(alert.packet.data), now, dropped,
            _extras_text(alert.record),
        )  # fmt: skip

    def history_pending(self, after: int = 0, limit: int = 64) -> list[int]:
        """Rows after ``after`` stored from their table fields only (``Detail.TABLE``):
        their counts wait for ``set_history``. Not those whose packet was dropped:
        their counts stay unknown."""
        query = (
            "SELECT row FROM alerts WHERE n_forced IS NULL AND row > ? AND dropped IS NULL "
            "ORDER BY row LIMIT ?"
        )
        return [row for (row,) in self._db.execute(query, (after, limit))]

    def set_history(self, done: Sequence[tuple]) -> None:
        """Fill in the counts of rows stored from their table fields only: (row,
        n_detections, n_upper_limits, n_forced, schema label) each. The label too:
        Fink names the Rubin schema version in a field after the history."""
        if done:
            with self._lock, self._db:
                self._db.executemany(
                    "UPDATE alerts SET n_detections = ?, n_upper_limits = ?, n_forced = ?, "
                    "schema = ? WHERE row = ?",
                    [(d, u, f, s, r) for r, d, u, f, s in done],
                )

    # -- reading ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]

    def rows(
        self, after: int = 0, limit: int | None = None, with_kept: bool = False
    ) -> list[tuple]:
        """Table fields (``ROW_FIELDS``) of the alerts stored after row ``after``;
        ``with_kept`` adds one more at the end: whether the packet is still kept
        (False: dropped by the session's retention)."""
        fields = [*ROW_FIELDS, "dropped IS NULL"] if with_kept else ROW_FIELDS
        query = f"SELECT {', '.join(fields)} FROM alerts WHERE row > ? ORDER BY row"
        args: list = [after]
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._lock:
            rows = self._db.execute(query, args)
            return [
                (*r[:2], int(r[2]), *r[3:_EXTRAS], _extras(r[_EXTRAS]), *r[_EXTRAS + 1 :])
                for r in rows
            ]

    def close(self) -> None:
        with self._lock:
            self._segments.close()
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
