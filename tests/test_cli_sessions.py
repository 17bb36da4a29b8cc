"""`alertview sessions`, and `inspect`/`export --session`, as a user runs them: real
subprocesses on sessions the real store made of the bundled packets; and a session
`consume` stored from a real broker read back the way `view --session` finds it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.listing import resolve_session, session_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.filters import parse_filter
from tests.conftest import SHARED
from tests.stream.commands import run_alertview
from tests.stream.conftest import broker  # noqa: F401  (the embedded brokers, both engines)


@pytest.fixture
def data(tmp_path) -> Path:
    """The user data folder the commands see (``ALERTVIEW_DATA_DIR``)."""
    return tmp_path / "data"


def alertview(data: Path, *args: object):
    return run_alertview(*args, env={"ALERTVIEW_DATA_DIR": str(data)})


def store_files(data: Path, name: str, paths=(SHARED,)) -> Path:
    """A session holding the real packets under ``paths``, as the viewer stores files."""
    folder = data / "sessions" / name
    with AlertStore(folder) as store:
        store.add(read_alerts([str(p) for p in paths], SchemaCache()))
    return folder


def test_list_show_and_remove(data):
    night = store_files(data, "night")
    store_files(data, "ztf", [SHARED / "ztf"])
    listed = alertview(data, "sessions")
    assert listed.returncode == 0, listed.stderr
    header, *rows, total = listed.stdout.splitlines()
    assert header.split()[:3] == ["NAME", "ALERTS", "SIZE"]
    assert sorted(r.split()[:2] for r in rows) == [["night", "57"], ["ztf", "7"]]
    # the numbers line up under their header's right edge
    assert {r.index(r.split()[1]) + len(r.split()[1]) for r in rows} == {
        header.index("ALERTS") + len("ALERTS")
    }
    assert total.startswith("2 sessions, ") and total.endswith(str(data / "sessions"))
    as_json = [json.loads(x) for x in alertview(data, "sessions", "--json").stdout.splitlines()]
    assert {(s["name"], s["alerts"], s["problem"]) for s in as_json} == {
        ("night", 57, None),
        ("ztf", 7, None),
    }
    size = next(s["size"] for s in as_json if s["name"] == "night")
    shown = alertview(data, "sessions", "show", "night")
    assert shown.returncode == 0, shown.stderr
    assert f"folder:          {night}" in shown.stdout
    assert "schema versions: lsst 10.0 (7), ztf 1.7 (1)" in shown.stdout
    assert f"({size:,} bytes)" in shown.stdout
    planned = alertview(data, "sessions", "rm", "--dry-run", "night")
    assert planned.stdout.startswith("would remove session night: 57 alerts, ")
    assert night.is_dir()
    removed = alertview(data, "sessions", "rm", "night", "nigth")
    assert removed.returncode == 1  # one name was wrong; the other was removed
    assert removed.stdout.startswith("removed session night: 57 alerts, ")
    assert "freed" in removed.stdout and not night.exists()
    assert removed.stderr.startswith("alertview: no session 'nigth'")
    assert len(removed.stderr.splitlines()) == 1 and "Traceback" not in removed.stderr
    left = alertview(data, "sessions", "--json").stdout.splitlines()
    assert [json.loads(x)["name"] for x in left] == ["ztf"]


def test_rm_never_touches_a_folder_that_is_not_a_session(data, tmp_path):
    store_files(data, "ztf", [SHARED / "ztf"])
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "draft.tex").write_text("precious")
    refused = alertview(data, "sessions", "rm", thesis)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"alertview: {thesis} is a folder but not an AlertView session (no index.sqlite)\n"
    )
    assert (thesis / "draft.tex").read_text() == "precious"
    empty = alertview(tmp_path / "nobody", "sessions")
    assert empty.returncode == 0 and empty.stdout.startswith("no sessions in ")


def test_inspect_and_export_a_session_as_the_files(data, tmp_path):
    store_files(data, "night")
    from_files = alertview(data, "inspect", "--json", SHARED)
    from_session = alertview(data, "inspect", "--json", "--session", "night")
    assert from_session.returncode == 0, from_session.stderr
    assert from_session.stdout == from_files.stdout and len(from_files.stdout.splitlines()) == 57
    selection = 'survey == "ztf" and mag < 19'
    for source, out in (([SHARED], "files.ecsv"), (["--session", "night"], "session.ecsv")):
        exported = alertview(
            data, "export", *source, "--format", "ecsv", "--out", tmp_path / out,
            "--filter", selection,
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
    table = (tmp_path / "session.ecsv").read_text()
    assert table == (tmp_path / "files.ecsv").read_text()
    match = parse_filter(selection)
    expected = sum(match(a) for a in read_alerts([SHARED], SchemaCache()))
    assert 0 < expected < 50
    assert len([x for x in table.splitlines() if not x.startswith("#")]) == 1 + expected
    avro = alertview(
        data, "export", "--session", "night", "--format", "avro", "--out", tmp_path / "a.avro"
    )
    assert avro.returncode == 0, avro.stderr
    exported = read_alerts(avro.stdout.split(), SchemaCache())
    ids = sorted(a.alert_id for a in exported)
    assert ids == sorted(json.loads(x)["alert_id"] for x in from_files.stdout.splitlines())


def test_a_damaged_packet_is_one_line_and_the_others_print(data):
    folder = store_files(data, "damaged", [SHARED / "ztf"])
    with sqlite3.connect(folder / "index.sqlite") as db:
        found = db.execute("SELECT position, length FROM alerts WHERE row = 3").fetchone()
    db.close()
    with (folder / "packets-000001.seg").open("r+b") as segment:
        segment.seek(found[0])
        segment.write(b"\x00" * found[1])
    result = alertview(data, "inspect", "--session", "damaged")
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 6
    (line,) = result.stderr.splitlines()
    assert line.startswith("alertview: session damaged: row 3: ")
    unknown = alertview(data, "export", "--session", "nope", "--format", "csv", "--out", "x.csv")
    assert unknown.returncode == 1
    assert (
        unknown.stderr.startswith("alertview: no session 'nope'") and "damaged" in unknown.stderr
    )


def test_consume_then_open_the_session(broker, data, monkeypatch):  # noqa: F811
    """The issue's "`consume` then `view --session`: same alerts", in its core form."""
    topic = f"kept-{uuid.uuid4().hex[:8]}"
    replayed = alertview(
        data,
        "replay",
        SHARED,
        "--bootstrap",
        broker.bootstrap,
        "--topic",
        topic,
        "--interval",
        "0",
    )
    assert replayed.returncode == 0, replayed.stderr
    produced = sorted(a.alert_id for a in read_alerts([SHARED], SchemaCache()))
    consumed = alertview(
        data, "consume", "--bootstrap", broker.bootstrap, "--topic", topic, "--from", "earliest",
        "--max", len(produced), "--group", f"g-{topic}", "--session", "night of S",
    )  # fmt: skip
    assert consumed.returncode == 0, consumed.stderr
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(data))
    folder = resolve_session("night of S")  # what `view --session "night of S"` opens
    alerts = list(session_alerts(folder, SchemaCache()))
    assert sorted(a.alert_id for a in alerts) == produced
    assert {a.origin.topic for a in alerts} == {topic}
    listed = [json.loads(x) for x in alertview(data, "sessions", "--json").stdout.splitlines()]
    assert [(s["alerts"], s["topics"]) for s in listed] == [(len(produced), [topic])]
