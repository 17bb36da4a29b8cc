"""Sessions as a user names them: listed, described, read back and removed, made from
real packets by the real store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alertview.core.alert import Origin
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.errors import DamagedInput, DecodeError
from alertview.core.session.folder import Session
from alertview.core.session.listing import (
    SessionError,
    is_in_use,
    is_session,
    list_sessions,
    resolve_session,
    session_alerts,
    session_folder_name,
    summarise,
)
from alertview.core.session.removal import remove_session
from alertview.core.session.store import AlertStore, default_sessions_dir
from alertview.core.stream.consumer import ErrorRecord
from tests.conftest import SHARED, ZTF_FILES
from tests.core.helpers import assert_same_alert


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "sessions"


def make_session(folder: Path, paths=(SHARED,), received: float | None = None) -> list:
    """A session of the real packets under ``paths``, as the viewer stores files."""
    alerts = [a for a in read_alerts(list(paths), SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(folder) as store:
        store.add(alerts)
    if received is not None:  # when they arrived, for the ordering tests
        with sqlite3.connect(folder / "index.sqlite") as db:
            db.execute("UPDATE alerts SET received = ? + row", (received,))
        db.close()
    return alerts


def kafka_alerts(topic: str) -> list:
    """The ZTF packets as a stream delivers them: with a topic, partition and offset."""
    cache = SchemaCache()
    return [
        alert
        for offset, path in enumerate(ZTF_FILES)
        for alert in decode_bytes(
            path.read_bytes(), cache, origin=Origin(topic, 0, topic, 0, offset)
        )
    ]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_a_session_summarised_from_its_index(root):
    folder = root / "night"
    alerts = make_session(folder, received=1_700_000_000.0)
    with AlertStore(folder) as store:
        store.add(kafka_alerts("ztf-public"))  # same ids: kept once, nothing new
        store.add_errors([ErrorRecord("ztf-public", 3, 17, "not an Avro container")])
    s = summarise(folder)
    assert s.problem is None and s.name == "night" and s.folder == folder
    assert s.alerts == len(alerts) == 57
    assert s.surveys == {"lsst": 7, "ztf": 50}
    assert s.schemas["lsst 10.0"] == 7 and sum(s.schemas.values()) == 57
    assert s.topics == ()  # read from files
    assert s.errors == 1
    assert (s.first_received, s.last_received) == (1_700_000_001.0, 1_700_000_057.0)
    assert s.size == sum(p.stat().st_size for p in folder.iterdir())
    assert not s.in_use and not s.packets_dropped


def test_packets_dropped_by_a_retention_policy(root):
    folder = root / "capped"
    make_session(folder, [SHARED / "ztf"])
    with sqlite3.connect(folder / "index.sqlite") as db:
        if "dropped" not in {r[1] for r in db.execute("PRAGMA table_info(alerts)")}:
            db.execute("ALTER TABLE alerts ADD COLUMN dropped INTEGER")  # as the store adds it
        db.execute("UPDATE alerts SET dropped = 1 WHERE row <= 3")  # DROPPED_OLD
    db.close()
    s = summarise(folder)
    assert (s.alerts, s.packets_dropped) == (7, 3)
    *alerts, warning = session_alerts(folder, SchemaCache())  # one line for all of them
    assert len(alerts) == 4 and all(not isinstance(a, DecodeError) for a in alerts)
    assert isinstance(warning, DamagedInput) and warning.warning
    assert str(warning).startswith("session capped: 3 alerts skipped: their packets were dropped")


def test_topics_of_a_stream_session(root):
    folder = root / "stream"
    with AlertStore(folder) as store:
        store.add(kafka_alerts("ztf-a")[:3])
        store.add(kafka_alerts("ztf-b")[3:])
        store.add(read_alerts([SHARED / "fink" / "lsst-transfer"], SchemaCache()))  # a file
    s = summarise(folder)
    assert s.topics == ("ztf-a", "ztf-b")
    assert s.alerts == len(ZTF_FILES) + 7 and s.surveys == {"lsst": 7, "ztf": len(ZTF_FILES)}


def test_list_newest_first_and_broken_folders_with_their_reason(root):
    make_session(root / "older", [SHARED / "ztf"], received=1_600_000_000.0)
    make_session(root / "newer", [SHARED / "ztf"], received=1_700_000_000.0)
    (root / "corrupt").mkdir()
    (root / "corrupt" / "index.sqlite").write_bytes(b"\x00garbage" * 600)
    (root / "unfinished").mkdir()
    (root / "unfinished" / "index.sqlite").touch()  # an empty database: no tables
    (root / "half-deleted").mkdir()
    (root / "half-deleted" / "packets-000001.seg").write_bytes(b"x" * 10)
    by_name = {s.name: s for s in list_sessions(root)}
    assert by_name["corrupt"].problem == "index.sqlite cannot be read: file is not a database"
    assert "no alerts table" in by_name["unfinished"].problem
    assert by_name["half-deleted"].problem == "no index.sqlite (1 packet files: half deleted?)"
    readable = [s.name for s in list_sessions(root) if s.problem is None]
    assert readable == ["newer", "older"]
    assert by_name["newer"].alerts == by_name["older"].alerts == 7
    assert list_sessions(root / "nothing-here") == []


def test_listing_changes_nothing_in_a_closed_session(tmp_path):
    root = tmp_path / "Application Support#1" / "sessions"  # macOS's, and a URI's specials
    folder = root / "closed"
    make_session(folder, [SHARED / "ztf"])
    before = snapshot(folder)
    assert summarise(folder).alerts == 7
    assert list_sessions(root)[0].alerts == 7
    assert snapshot(folder) == before  # not even a -wal or -shm file left behind


def test_listing_while_a_writer_holds_a_transaction(root):
    """A running stream's uncommitted batch neither blocks the listing nor shows in it."""
    folder = root / "live"
    make_session(folder, [SHARED / "ztf"])
    alerts = list(read_alerts([SHARED / "fink"], SchemaCache()))
    with AlertStore(folder) as store:
        store.add(alerts[:3])  # committed, still in the WAL
        writer = sqlite3.connect(folder / "index.sqlite", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM alerts")  # uncommitted
        s = summarise(folder)
        writer.execute("ROLLBACK")
        writer.close()
        assert s.problem is None
        assert s.alerts == 7 + 3
        assert store.add(alerts[3:]) == len(alerts) - 3  # the writer goes on
    assert summarise(folder).alerts == 7 + len(alerts)


def test_session_folder_name_is_the_stores(monkeypatch, tmp_path):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path))
    for name in ("consume-alerts", "ztf public/2026 night", "rubin:visit#7", "été", ""):
        with AlertStore.session(name) as store:
            assert store.folder == default_sessions_dir() / session_folder_name(name)


def test_resolve_by_name_by_folder_and_a_clear_error(monkeypatch, root, tmp_path):
    make_session(root / "ztf_night", [SHARED / "ztf"])
    make_session(root / "ztf_nights_2", [SHARED / "ztf"])
    assert resolve_session("ztf night", root) == root / "ztf_night"  # sanitised as stored
    assert resolve_session(str(root / "ztf_night"), root) == root / "ztf_night"
    monkeypatch.chdir(root)
    assert resolve_session("./ztf_night", tmp_path / "elsewhere") == Path("ztf_night")
    with pytest.raises(SessionError, match=r"no session 'ztf_nigth'.*did you mean ztf_night"):
        resolve_session("ztf_nigth", root)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SessionError, match="is a folder but not an AlertView session"):
        resolve_session(str(plain), root)
    with pytest.raises(SessionError, match="there are none yet"):
        resolve_session("x", tmp_path / "empty")
    assert is_session(root / "ztf_night") and not is_session(plain)


def test_remove_frees_the_session_and_only_it(root):
    make_session(root / "keep", [SHARED / "ztf"])
    folder = root / "drop"
    make_session(folder, [SHARED / "ztf"])
    (folder / "session.lock").touch()  # a writer that ended left its lock file
    size = summarise(folder).size
    planned = remove_session("drop", root, dry_run=True)
    assert (planned.freed, planned.alerts) == (size, 7) and is_session(folder)
    removed = remove_session("drop", root)
    assert (removed.freed, removed.alerts, removed.folder) == (size, 7, folder)
    assert not folder.exists()
    assert [s.name for s in list_sessions(root)] == ["keep"]


def test_remove_refuses_what_is_not_a_session(root, tmp_path):
    plain = tmp_path / "my-thesis"
    plain.mkdir()
    (plain / "chapter1.tex").write_text("precious")
    with pytest.raises(SessionError, match="not an AlertView session"):
        remove_session(str(plain), root)
    with pytest.raises(SessionError, match="no session"):
        remove_session("my-thesis", root)
    folder = root / "annotated"
    make_session(folder, [SHARED / "ztf"])
    (folder / "notes.txt").write_text("candidate SN")
    with pytest.raises(SessionError, match=r"not part of a session \(notes.txt\)"):
        remove_session("annotated", root)
    assert (plain / "chapter1.tex").read_text() == "precious"
    assert is_session(folder) and (folder / "notes.txt").exists()


def test_remove_refuses_a_session_a_process_is_writing(root):
    folder = root / "streaming"
    make_session(folder, [SHARED / "ztf"])
    with subprocess.Popen(  # a stream process holding the session's lock, as SessionLock does
        [sys.executable, "-c",
         "import fcntl, sys; f = open(sys.argv[1], 'ab'); fcntl.flock(f, fcntl.LOCK_SH); "
         "print('locked', flush=True); sys.stdin.read()",
         str(folder / "session.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as holder:  # fmt: skip
        assert holder.stdout.readline().strip() == "locked"
        assert is_in_use(folder) and summarise(folder).in_use
        with pytest.raises(SessionError, match="being written by a running stream"):
            remove_session("streaming", root)
        assert summarise(folder).alerts == 7
        holder.stdin.close()
        holder.wait(10)
    assert not is_in_use(folder)
    assert remove_session("streaming", root).alerts == 7
    assert not folder.exists()


def test_remove_a_half_deleted_or_corrupt_session(root):
    (root / "half").mkdir(parents=True)
    (root / "half" / "packets-000001.seg").write_bytes(b"x" * 100)
    assert remove_session("half", root).freed == 100
    (root / "corrupt").mkdir()
    (root / "corrupt" / "index.sqlite").write_bytes(b"not sqlite" * 10)
    assert remove_session("corrupt", root).freed == 100
    (root / "last-bits").mkdir()  # a removal stopped before its very end
    (root / "last-bits" / "session.json").write_text("{}")
    (root / "last-bits" / "session.lock").touch()
    assert remove_session("last-bits", root).freed == 2
    assert list_sessions(root) == []


def test_session_alerts_are_the_files_alerts(root):
    folder = root / "files"
    alerts = make_session(folder)
    again = list(session_alerts(folder, SchemaCache()))
    assert len(again) == len(alerts) == 57
    for stored, original in zip(again, alerts, strict=True):
        assert_same_alert(stored, original)
        assert stored.origin == original.origin


def test_a_bad_packet_is_one_error_and_the_others_are_read(root):
    folder = root / "damaged"
    alerts = make_session(folder, [SHARED / "ztf"])
    with sqlite3.connect(folder / "index.sqlite") as db:  # two packets overwritten
        rows = db.execute("SELECT position, length FROM alerts ORDER BY row LIMIT 2").fetchall()
    db.close()
    with (folder / "packets-000001.seg").open("r+b") as segment:
        for position, length in rows:
            segment.seek(position)
            segment.write(b"\xff" * length)
    read = list(session_alerts(folder, SchemaCache()))
    errors = [r for r in read if isinstance(r, DecodeError)]
    assert len(errors) == 2 and len(read) == len(alerts)
    assert all(str(e).startswith("session damaged: row ") for e in errors)
    assert [a.alert_id for a in read[2:]] == [a.alert_id for a in alerts[2:]]


def test_a_session_open_in_the_viewer_is_listed_by_its_name_and_kept(root, monkeypatch):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(root.parent))
    alerts = list(read_alerts([SHARED / "ztf"], SchemaCache()))
    with Session.named("ZTF night 1") as session:  # holds the session's lock, as the viewer
        session.store.add(alerts)
        session.rename("my favourite night")
        (s,) = list_sessions()
        assert (s.name, s.alerts, s.in_use, s.problem) == ("my favourite night", 7, True, None)
        assert resolve_session("my favourite night") == session.folder  # by its given name
        assert resolve_session("ZTF night 1") == session.folder  # by the name it was made with
        with pytest.raises(SessionError, match="being written"):
            remove_session("my favourite night")
    assert not list_sessions()[0].in_use
    assert remove_session("my favourite night").alerts == 7  # session.json and all
    assert list_sessions() == []


WRITER = """
import sys
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
alerts = list(read_alerts([sys.argv[2]], SchemaCache()))
with AlertStore(sys.argv[1]) as store:
    print("open", flush=True)
    for alert in alerts:  # one alert a batch, synced each time: as slow as a stream gets
        store.add([alert])
    print("done", flush=True)
"""


def test_listing_while_another_process_streams_into_the_session(root):
    folder = root / "streaming"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(SHARED)],
        stdout=subprocess.PIPE, text=True,
    ) as writer:  # fmt: skip
        assert writer.stdout.readline() == "open\n"
        seen = []
        while writer.poll() is None:
            (s,) = list_sessions(root)
            assert s.problem is None, s.problem
            seen.append(s.alerts)
        assert writer.stdout.read() == "done\n" and writer.returncode == 0
    assert seen and seen == sorted(seen)  # each listing a consistent count (here 40-360)
    assert summarise(folder).alerts == 57
