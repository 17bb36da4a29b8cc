"""The tables of a session's SQLite index, and how an older session is brought up to date.

A session outlives the version that wrote it: columns added since are added
when it is opened, so a viewer reopens last month's night with what it shows
today (an origin not recorded then stays empty).
"""

from __future__ import annotations

import sqlite3

#: The alerts table of the first sessions; today's adds ``dropped`` (``_ADDED_COLUMNS``).
ALERTS_TABLE = """
CREATE TABLE IF NOT EXISTS alerts (
    row INTEGER PRIMARY KEY,
    survey TEXT NOT NULL,
    alert_id INTEGER NOT NULL,
    object_id TEXT,
    schema TEXT,
    ra REAL, dec REAL, mjd REAL, time_scale TEXT, band TEXT,
    mag REAL, mag_err REAL, flux REAL, flux_err REAL,
    rb REAL, drb REAL, reliability REAL, snr REAL,
    n_detections INTEGER, n_upper_limits INTEGER, n_forced INTEGER,
    topic TEXT, partition INTEGER, kafka_offset INTEGER, source TEXT, record_index INTEGER,
    framing TEXT NOT NULL, schema_ref INTEGER,
    segment INTEGER NOT NULL, position INTEGER NOT NULL, length INTEGER NOT NULL,
    received REAL NOT NULL,
    UNIQUE (survey, alert_id)
);
"""

_SCHEMA = (
    ALERTS_TABLE
    + """
CREATE INDEX IF NOT EXISTS alerts_object ON alerts (object_id);
-- rows stored from the table's fields only, whose history counts are still to come
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (row) WHERE n_forced IS NULL;
CREATE TABLE IF NOT EXISTS schemas (
    ref INTEGER PRIMARY KEY, json TEXT NOT NULL, schema_id INTEGER, origin TEXT,
    UNIQUE (json, schema_id, origin)
);
CREATE TABLE IF NOT EXISTS errors (
    topic TEXT, partition INTEGER, kafka_offset INTEGER, source TEXT,
    reason TEXT NOT NULL, received REAL NOT NULL,
    schema_id INTEGER, repeat INTEGER NOT NULL DEFAULT 0,
    segment INTEGER, position INTEGER, length INTEGER
);
-- one row, rewritten by each sync (see AlertStore.sync)
CREATE TABLE IF NOT EXISTS synced (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);
-- what the user decided about an alert row (store_triage): only rows with any
CREATE TABLE IF NOT EXISTS triage (
    row INTEGER PRIMARY KEY, state TEXT, note TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '', changed REAL NOT NULL
);
-- the session's own settings (its retention policy) and counters (packets dropped)
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value);
-- the rows of a segment, marked when a retention policy drops it
CREATE INDEX IF NOT EXISTS alerts_segment ON alerts (segment);
"""
)

#: The schemas table of older sessions (json unique, no origin) rebuilt in today's form.
_SCHEMAS_WITH_ORIGIN = """
CREATE TABLE schemas_new (
    ref INTEGER PRIMARY KEY, json TEXT NOT NULL, schema_id INTEGER, origin TEXT,
    UNIQUE (json, schema_id, origin)
);
INSERT INTO schemas_new (ref, json, schema_id) SELECT ref, json, schema_id FROM schemas;
DROP TABLE schemas;
ALTER TABLE schemas_new RENAME TO schemas;
"""

#: Columns added since the first sessions: (table, column, declaration), added at open.
_ADDED_COLUMNS = (
    ("errors", "schema_id", "INTEGER"),
    ("errors", "repeat", "INTEGER NOT NULL DEFAULT 0"),
    ("errors", "segment", "INTEGER"),
    ("errors", "position", "INTEGER"),
    ("errors", "length", "INTEGER"),
    # why the packet is no longer on disk: NULL kept, DROPPED_OLD a retention
    # size or age dropped its segment, DROPPED_UNMATCHED never written (``matching``)
    ("alerts", "dropped", "INTEGER"),
    # a broker's fields (Fink's classifiers, cross-matches) as JSON text, NULL for none
    ("alerts", "extras", "TEXT"),
)

#: ``alerts.dropped``: why a row has no packet.
DROPPED_OLD = 1
DROPPED_UNMATCHED = 2


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _out_of_date(db: sqlite3.Connection) -> bool:
    return "origin" not in _columns(db, "schemas") or any(
        column not in _columns(db, table) for table, column, _ in _ADDED_COLUMNS
    )


def create_tables(db: sqlite3.Connection) -> None:
    """Create the index's tables, or bring an older session's up to date: its schemas
    table gains where each schema was found (one text may now come from two places),
    its errors table what is needed to decode those messages later, its alerts
    whether their packet was dropped (a retention policy; older sessions kept all)."""
    db.executescript(_SCHEMA)
    if not _out_of_date(db):
        return
    with db:
        db.execute("BEGIN IMMEDIATE")  # another process may be opening it too: looked again
        if "origin" not in _columns(db, "schemas"):
            for statement in _SCHEMAS_WITH_ORIGIN.split(";"):
                db.execute(statement)
        for table, column, declaration in _ADDED_COLUMNS:
            if column not in _columns(db, table):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
