"""Sessions as a user names them: find one, describe it, read its alerts.

A session is a folder holding ``index.sqlite`` (the table's fields) and
``packets-NNNNNN.seg`` files (the packets); ``AlertStore`` writes it. Listing
only looks: the index is opened read-only (``mode=ro``), never through the
store, so listing a session a running stream is writing neither waits for the
writer nor changes a byte of the session. Removing one: ``removal``.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from alertview.core.alert import Alert
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_stored
from alertview.core.errors import AlertViewError, DamagedInput, DecodeError
from alertview.core.session.folder import is_session
from alertview.core.session.meta import LOCK_FILE, META_FILE, SessionLock, load_meta, safe_name
from alertview.core.session.store import AlertStore, default_sessions_dir

try:  # POSIX: a running stream holds a lock on session.lock
    import fcntl
except ImportError:  # Windows: no lock to look at
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

INDEX = "index.sqlite"
#: The lock a process using the session holds (``meta.SessionLock``); no file, no user.
LOCK = LOCK_FILE
#: The files a session is made of: nothing else in a folder is ever removed.
SESSION_FILE = re.compile(
    r"index\.sqlite(-wal|-shm|-journal)?|packets-\d{6,}\.seg|"
    + "|".join(re.escape(n) for n in (LOCK_FILE, META_FILE, f".{META_FILE}.part"))
)


class SessionError(AlertViewError):
    """A session that cannot be found, read or removed."""


def session_folder_name(name: str) -> str:
    """The folder name ``AlertStore.session(name)`` uses: letters, digits and ``-_.``
    kept, anything else (spaces, slashes) replaced by ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "session"


def is_path_like(text: str) -> bool:
    """Whether a user's NAME|DIR means a folder (a slash, or a leading ``.`` or ``~``)
    rather than a session name: ``resolve_session`` looks no further for a path."""
    return os.sep in text or "/" in text or text.startswith((".", "~"))


def resolve_session(name_or_dir: str | os.PathLike, root: Path | None = None) -> Path:
    """The folder of a session given by name (under the sessions folder) or by path.

    A bare name is the folder the viewer (``meta.safe_name``) or ``AlertStore.session``
    makes of it, or the name a session was given (its ``session.json``), then a folder
    of that name here; anything with a slash, or starting with ``.`` or ``~``, is a
    path. Raises ``SessionError`` naming what was tried, with close names.
    """
    root = default_sessions_dir() if root is None else root
    text = os.fspath(name_or_dir)
    given = Path(text).expanduser()
    tried: list[Path] = []
    if text and not is_path_like(text):
        for folder in dict.fromkeys((root / safe_name(text), root / session_folder_name(text))):
            if is_session(folder):
                return folder
            tried.append(folder)
        renamed = [f for f in _session_folders(root) if load_meta(f).name == text]
        if renamed:
            return renamed[0]
        if not given.is_dir() and any(f.is_dir() for f in tried):
            raise SessionError(f"{tried[0]} is a folder but not an AlertView session (no {INDEX})")
    if text and given.is_dir():
        if is_session(given):
            return given
        raise SessionError(f"{given} is a folder but not an AlertView session (no {INDEX})")
    if is_path_like(text):
        tried.append(given)
    names = session_names(root)
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else (f"; sessions there: {', '.join(names[:10])}" if names else "; there are none yet")
    )
    looked = " and ".join(str(p) for p in tried) or repr(text)
    raise SessionError(f"no session {text!r} (looked for {looked}){hint}")


def _session_folders(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if is_session(p))
    except OSError:
        return []


def session_names(root: Path | None = None) -> list[str]:
    """The names of the sessions under ``root``, sorted: their folders' names, and
    the names they were given where those differ."""
    root = default_sessions_dir() if root is None else root
    folders = _session_folders(root)
    return sorted({f.name for f in folders} | {load_meta(f).name for f in folders})


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What ``alertview sessions`` shows of one session folder."""

    name: str
    folder: Path
    alerts: int = 0
    #: Bytes of every file in the folder (packets, index and its WAL).
    size: int = 0
    #: Unix times the first and the last stored alert arrived (None when empty).
    first_received: float | None = None
    last_received: float | None = None
    topics: tuple[str, ...] = ()
    #: Alerts per survey ("ztf", "lsst", ...).
    surveys: dict[str, int] = field(default_factory=dict)
    #: Alerts per schema version label ("ztf 3.3", "lsst 10.0", ...); empty when not
    #: asked for (``list_sessions``).
    schemas: dict[str, int] = field(default_factory=dict)
    #: Messages or packets that could not be decoded (the errors panel's rows).
    errors: int = 0
    #: Alerts whose row is kept but whose packet a retention policy removed (None:
    #: the index does not record it).
    packets_dropped: int | None = None
    #: The stream it follows (``session.json``): bootstrap servers and consumer group.
    bootstrap: str | None = None
    group_id: str | None = None
    #: The filter in use when it was last saved, and its retention policy ("": none).
    filter: str = ""
    retention: str = ""
    #: A process holds the session's lock: a stream is writing it now.
    in_use: bool = False
    #: Why the session cannot be read (a damaged or half-deleted folder), else None.
    problem: str | None = None

    @property
    def newest(self) -> float:
        """When the session last changed, for ordering: its last alert, else the folder's
        modification time."""
        if self.last_received is not None:
            return self.last_received
        try:
            return self.folder.stat().st_mtime
        except OSError:
            return 0.0


def folder_size(folder: Path) -> int:
    """Bytes in the files directly inside ``folder`` (a session has no sub-folders)."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:  # deleted while we looked
            continue
    return total


def _open_read_only(folder: Path) -> sqlite3.Connection:
    """The index without write access and without touching the session.

    With a ``-wal`` file (a writer has it open, or crashed) SQLite reads the WAL
    through the writer's shared memory. Without one the session is closed and
    checkpointed; then ``immutable`` keeps SQLite from creating the ``-wal``
    and ``-shm`` files a read-only reader otherwise leaves behind.
    """
    path = (folder / INDEX).resolve()
    closed = not (folder / f"{INDEX}-wal").exists()
    uri = f"{path.as_uri()}?mode=ro{'&immutable=1' if closed else ''}"
    return sqlite3.connect(uri, uri=True, timeout=5)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def summarise(
    folder: str | os.PathLike, name: str | None = None, schemas: bool = True
) -> SessionSummary:
    """Describe the session in ``folder``; never raises for a damaged one: its
    ``problem`` says what is wrong. ``schemas=False`` skips counting the alerts
    per schema version, the one part that sorts the whole index (~1.7 s per
    million alerts, against ~0.4 s for the rest)."""
    folder = Path(folder)
    meta = load_meta(folder)
    found = SessionSummary(
        name or meta.name,
        folder,
        size=folder_size(folder),
        bootstrap=meta.stream.bootstrap if meta.stream else None,
        group_id=meta.stream.group_id if meta.stream else None,
        filter=meta.filter,
        in_use=is_in_use(folder),
    )
    if not is_session(folder):
        segments = len(list(folder.glob("packets-*.seg")))
        reason = f"no {INDEX}" + (f" ({segments} packet files: half deleted?)" if segments else "")
        return replace(found, problem=reason)
    try:
        with closing(_open_read_only(folder)) as db:
            return _read_index(db, found, schemas)
    except sqlite3.Error as exc:
        log.debug("cannot read %s", folder, exc_info=True)
        return replace(found, problem=f"{INDEX} cannot be read: {exc}")


def _read_index(db: sqlite3.Connection, found: SessionSummary, by_schema: bool) -> SessionSummary:
    """Counts and ranges from the index, each by the cheapest query: the count and
    the surveys from the (survey, alert_id) index, first and last received by row
    number, the topics in one scan."""
    columns = _columns(db, "alerts")
    if not columns:
        raise sqlite3.OperationalError("no alerts table (an unfinished session?)")
    surveys = dict(db.execute("SELECT survey, COUNT(*) FROM alerts GROUP BY survey ORDER BY 1"))
    # rows are numbered as they are stored: the first and last rows arrived first and last
    first = db.execute("SELECT received FROM alerts ORDER BY row LIMIT 1").fetchone()
    last = db.execute("SELECT received FROM alerts ORDER BY row DESC LIMIT 1").fetchone()
    topics = [t for (t,) in db.execute("SELECT DISTINCT topic FROM alerts") if t is not None]
    schemas: dict[str, int] = {}
    if by_schema:
        query = "SELECT COALESCE(schema, 'unknown'), COUNT(*) FROM alerts GROUP BY 1 ORDER BY 1"
        schemas = dict(db.execute(query))
    settings = _settings(db)
    dropped: int | None = None
    if "packets_dropped" in settings:  # the store's own count (``store_retention``)
        dropped = int(settings["packets_dropped"])
    elif "dropped" in columns:  # marked by a retention policy (``store_tables``)
        dropped = db.execute("SELECT COUNT(*) FROM alerts WHERE dropped IS NOT NULL").fetchone()[0]
    errors = (
        db.execute("SELECT COUNT(*) FROM errors").fetchone()[0] if _columns(db, "errors") else 0
    )
    return replace(
        found,
        alerts=sum(surveys.values()),
        first_received=first[0] if first else None,
        last_received=last[0] if last else None,
        topics=tuple(sorted(topics)),
        surveys=surveys,
        schemas=schemas,
        errors=errors,
        packets_dropped=dropped,
        retention=str(settings.get("retention") or ""),
    )


def _settings(db: sqlite3.Connection) -> dict[str, Any]:
    """The session's own settings and counters (the retention policy, packets dropped)."""
    if not _columns(db, "settings"):
        return {}
    return dict(db.execute("SELECT key, value FROM settings"))


def list_sessions(root: Path | None = None) -> list[SessionSummary]:
    """Every folder under ``root`` (``default_sessions_dir()``), newest first; a folder
    that is not a readable session is listed with its ``problem``."""
    root = default_sessions_dir() if root is None else root
    try:
        folders = [p for p in root.iterdir() if p.is_dir()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SessionError(f"cannot list sessions in {root}: {exc}") from None
    summaries = [summarise(folder, schemas=False) for folder in folders]
    return sorted(summaries, key=lambda s: (s.newest, s.name), reverse=True)


# -- the users' lock ------------------------------------------------------------------
@contextmanager
def locked(folder: Path) -> Iterator[bool]:
    """Take the session's lock exclusively for the block; yields False if a process
    using it holds it (``meta.SessionLock``, shared). A missing lock file means no
    process uses it, and is not created: looking changes nothing.
    """
    lock: IO[bytes] | None = None
    try:
        lock = (folder / LOCK).open("rb")
    except FileNotFoundError:
        yield True
        return
    with lock:
        if fcntl is None:
            yield True
            return
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def is_in_use(folder: str | os.PathLike) -> bool:
    """True while a process (a stream, the viewer) holds the session's lock."""
    try:
        with locked(Path(folder)) as free:
            return not free
    except OSError:
        return False


# -- reading the alerts -----------------------------------------------------------------
def session_alerts(
    folder: str | os.PathLike, cache: SchemaCache, detail: Detail = Detail.FULL
) -> Iterator[Alert | DecodeError]:
    """Every alert of a session in the order stored, decoded again from its packet;
    a packet that cannot be read is one ``DecodeError`` naming the session and row,
    and the others are still read (as ``decode.read_alerts`` does for files).

    Rows whose packet the session's retention policy dropped are skipped and
    counted in one warning at the end, not one line each: a capped night may
    have dropped millions.
    """
    folder = Path(folder)
    where = f"session {folder.name}"
    dropped = 0
    # held while it is read: `sessions rm` must not take it away mid-export
    with SessionLock(folder), AlertStore(folder) as store:
        after = 0
        while rows := [r[0] for r in store.rows(after, limit=1000)]:
            for row in rows:
                if not store.packet_kept(row):
                    dropped += 1
                    continue
                try:
                    yield decode_stored(store, row, cache, detail)
                except (AlertViewError, OSError) as exc:  # a bad, missing or short packet
                    yield DecodeError(f"row {row}: {exc}", where)
                except Exception as exc:  # one packet's bug must not stop the others
                    yield DecodeError.internal(exc, f"{where}: row {row}")
            after = rows[-1]
    if dropped:
        yield DamagedInput(
            f"{dropped:,} alerts skipped: their packets were dropped by the session's "
            "retention policy (their table rows are kept)",
            where,
        )
