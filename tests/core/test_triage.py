"""Triage: kept in the session across reopens and concurrent writers, shown as table
columns, filtered alike by both evaluators, and carried by every export."""

from __future__ import annotations

import csv
import dataclasses
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest
from astropy.table import Table

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.export import TABLE_FORMATS, export_alerts
from alertview.core.export_triage import write_avro_sidecars
from alertview.core.session.store import AlertStore
from alertview.core.session.store_triage import TRIAGE_STATES, UNSCANNED, Triage
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import TABLE_NAMES, NotVectorised, filter_mask
from alertview.core.table.filter_jobs import row_mask
from alertview.core.table.filters import check_names, parse_filter
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def alerts():
    return [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]


@pytest.fixture
def store(tmp_path, alerts):
    with AlertStore(tmp_path / "s") as store:
        store.add(alerts)
        yield store


def test_triage_notes_and_tags_survive_a_reopen(tmp_path, alerts):
    folder = tmp_path / "s"
    with AlertStore(folder) as store:
        store.add(alerts)
        rows = [r[0] for r in store.rows()]
        assert store.triage() == {}
        changed = store.set_triage(rows[:3], "followup")
        assert changed == [Triage(r, "followup") for r in rows[:3]]
        store.set_triage([rows[1]], None)  # cleared
        store.set_triage([rows[5]], "reject")
        store.set_note([rows[0], rows[7]], "  rising fast\r\nin g  ")
        (tagged,) = store.add_tags([rows[7]], ["SN", " Followup ", "sn"])
        assert tagged == Triage(rows[7], None, "rising fast\nin g", ("followup", "sn"))
        store.add_tags([rows[2]], "kn, sn")  # a text is split at commas
        store.remove_tags([rows[2]], ["kn", "absent"])
        store.set_note([rows[9]], "gone soon")
        store.set_note([rows[9]], "")  # nothing left: no record
    with AlertStore(folder) as store:  # a new process opening the session
        assert store.triage() == {
            rows[0]: Triage(rows[0], "followup", "rising fast\nin g"),
            rows[2]: Triage(rows[2], "followup", "", ("sn",)),
            rows[5]: Triage(rows[5], "reject"),
            rows[7]: Triage(rows[7], None, "rising fast\nin g", ("followup", "sn")),
        }
        assert set(store.triage([rows[5], rows[6], rows[5]])) == {rows[5]}
        counts = store.triage_counts()
        assert counts == {"interesting": 0, "followup": 2, "reject": 1, UNSCANNED: 54}


def test_bad_states_tags_and_rows_are_refused_with_a_clear_message(store):
    row = store.rows()[0][0]
    with pytest.raises(ValueError, match="unknown triage state 'maybe'"):
        store.set_triage([row], "maybe")
    with pytest.raises(ValueError, match="tag 'sn!' is not allowed"):
        store.add_tags([row], ["sn!"])
    with pytest.raises(ValueError, match="no alert row 9999"):
        store.set_triage([row, 9999], "reject")
    assert store.triage() == {}  # nothing of a refused change was kept


def test_triage_is_written_while_another_store_adds_alerts(tmp_path, alerts):
    folder = tmp_path / "s"
    with AlertStore(folder) as viewer:
        viewer.add(alerts[:10])
        rows = [r[0] for r in viewer.rows()]
        errors: list[BaseException] = []

        def stream() -> None:  # the stream's process: its own store on the same folder
            try:
                with AlertStore(folder) as writer:
                    for start in range(10, len(alerts), 3):
                        writer.add(alerts[start : start + 3])
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=stream)
        thread.start()
        for i in range(40):
            viewer.set_triage([rows[i % 10]], TRIAGE_STATES[i % 3])
            viewer.add_tags([rows[i % 10]], [f"t{i}"])
        thread.join()
        assert errors == []
        assert len(viewer) == len(alerts)
    # another connection, as a reopened session, sees every committed change
    db = sqlite3.connect(folder / "index.sqlite")
    kept = dict(db.execute("SELECT row, tags FROM triage"))
    db.close()
    assert sorted(kept) == rows
    assert all(len(tags.split(",")) == 4 for tags in kept.values())


@pytest.fixture
def columns(store):
    columns = AlertColumns()
    rows = store.rows()
    columns.append_rows(rows[:20])  # in two batches, as a stream does
    columns.append_rows(rows[20:])
    return columns


def test_columns_show_triage_and_find_rows_and_objects(store, columns):
    rows = columns.row.values.tolist()
    assert [columns.value(i, "triage") for i in range(3)] == [None] * 3
    assert columns.value(0, "tags") == columns.value(0, "note") == ""
    changed = store.set_triage([rows[4], rows[1]], "interesting") + store.add_tags(
        [rows[1]], ["b", "a"]
    )
    positions = columns.set_triage(changed)
    assert positions.tolist() == [4, 1, 1]
    assert columns.value(1, "triage") == "interesting"
    assert columns.value(1, "tags") == "a, b"
    columns.set_triage(store.set_note([rows[2]], "why"))
    assert columns.value(2, "note") == "why"
    unscanned = columns.unscanned_mask()
    assert np.flatnonzero(~unscanned).tolist() == [1, 4]  # a note alone is not a state
    assert columns.positions_of([rows[3], 10**9, rows[0]]).tolist() == [3, -1, 0]
    order = columns.order("triage")
    assert order[-2:].tolist() == [1, 4]  # unscanned first, ties in arrival order
    assert columns.sort_key("tags")[1] > columns.sort_key("tags")[0]
    object_id, survey = columns.value(0, "object_id"), columns.value(0, "survey")
    expected = [i for i in range(len(columns)) if columns.value(i, "object_id") == object_id]
    assert columns.object_positions(object_id, survey).tolist() == expected
    assert columns.object_positions("no such object", survey).tolist() == []
    assert columns.object_positions(object_id, "no such survey").tolist() == []
    # new rows arrive unscanned
    more = AlertColumns()
    more.append_rows(store.rows()[:2])
    assert more.value(1, "triage") is None and more.value(1, "tags") == ""


def test_an_object_is_its_id_within_its_survey(store, alerts):
    """As the Objects table groups them: a Rubin alert whose object id a ZTF object also
    has is not that object's."""
    ztf = alerts[0]
    rubin = next(a for a in alerts if a.survey == "lsst")
    namesake = dataclasses.replace(rubin, object_id=ztf.object_id, alert_id=rubin.alert_id + 1)
    assert store.add([namesake]) == 1
    columns = AlertColumns()
    columns.append_rows(store.rows())
    last = len(columns) - 1
    assert columns.value(last, "object_id") == ztf.object_id
    assert columns.object_positions(ztf.object_id, "ztf").tolist() == [0]
    assert columns.object_positions(ztf.object_id, "lsst").tolist() == [last]


def test_positions_of_rows_appended_out_of_order(store):
    columns = AlertColumns()
    rows = store.rows()
    columns.append_rows(rows[5:10])
    columns.append_rows(rows[:5])
    numbers = [r[0] for r in rows]
    assert columns.positions_of([numbers[0], numbers[9], -3]).tolist() == [5, 4, -1]


TRIAGE_EXPRESSIONS = [
    'triage == "followup"',
    'triage != "reject"',
    'triage == "unscanned"',
    'triage in ("interesting", "reject")',
    'tag == "followup"',
    'tag != "followup"',
    '"sn" == tag',
    'tag in ("kn", "interesting")',
    'tag not in ("sn",)',
    "tag == null",
    "tag != null",
    "tag == 3",
    "tag == mag",
    'tag < "a"',
    "tag",
    "isnull(tag)",
    'tags == "kn, sn"',
    'tags != ""',
    'note == "look again"',
    'note != "" and mag < 19',
    'not (tag == "sn") and survey == "ztf"',
    'triage == "unscanned" or tag == "sn"',
    # "unscanned" is no state: no alert has it as a tag
    'tag == "unscanned"',
    'tag != "unscanned"',
    'tag in ("unscanned", "sn")',
    'tag not in ("unscanned",)',
]


@pytest.fixture
def triaged(store, columns):
    rows = columns.row.values.tolist()
    changes = [
        *store.set_triage(rows[0:5], "followup"),
        *store.set_triage(rows[5:9], "reject"),
        *store.set_triage(rows[9:12], "interesting"),
        *store.add_tags(rows[3:7], ["sn"]),
        *store.add_tags(rows[6:8], ["kn", "followup"]),
        *store.add_tags(rows[40:42], ["sn", "kn"]),
        *store.set_note(rows[1:3] + rows[50:52], "look again"),
    ]
    columns.set_triage(changes)
    return columns


@pytest.mark.parametrize("expression", TRIAGE_EXPRESSIONS)
def test_both_filters_agree_on_triage_names(expression, triaged):
    alert_filter = parse_filter(expression)
    check_names(alert_filter, TABLE_NAMES)  # known names: not refused as typos
    expected = row_mask(alert_filter, triaged, range(len(triaged)))
    assert expected is not None
    try:
        vectorised = filter_mask(alert_filter, triaged)
    except NotVectorised:  # the table then filters row by row: the same by construction
        assert expression in ('tag < "a"', "tag", "isnull(tag)", "tag == mag")
        return
    assert vectorised.tolist() == expected.tolist()
    assert filter_mask(alert_filter, triaged, start=30).tolist() == expected[30:].tolist()


def test_triage_filters_mean_what_the_issue_says(triaged):
    def passing(expression: str) -> list[int]:
        return np.flatnonzero(filter_mask(parse_filter(expression), triaged)).tolist()

    n = len(triaged)
    assert passing('tag == "followup"') == [0, 1, 2, 3, 4, 6, 7]  # a state or a tag
    assert passing('triage != "reject"') == [i for i in range(n) if i not in range(5, 9)]
    assert passing('tag != "sn"') == [i for i in range(n) if i not in (3, 4, 5, 6, 40, 41)]
    assert passing('tags == "followup, kn, sn"') == [6]
    assert passing('note == "look again"') == [1, 2, 50, 51]
    assert passing('tag == "unscanned"') == []  # the label of no state, not a state
    assert passing('tag != "unscanned"') == list(range(n))


def _triaged_store(store: AlertStore) -> dict[int, Triage]:
    rows = [r[0] for r in store.rows()]
    store.set_triage(rows[:2], "followup")
    store.set_triage([rows[-1]], "reject")
    store.add_tags([rows[1], rows[-1]], ["sn", "kn"])
    store.set_note([rows[0]], 'rising, "fast"\nétoile')  # CSV quoting, a newline, not ASCII
    return store.triage()


@pytest.mark.parametrize("fmt", ["ecsv", "csv", "votable", "fits"])
def test_table_exports_carry_triage_columns(tmp_path, store, alerts, fmt):
    triaged = _triaged_store(store)
    by_alert = store.triage_by_alert()
    assert set(by_alert.values()) == set(triaged.values())
    dest = tmp_path / f"out.{fmt}"
    (path,) = export_alerts(alerts, fmt, dest, triage=by_alert)
    table = Table.read(path, format=TABLE_FORMATS[fmt])
    assert len(table) == len(alerts)
    assert [str(v) for v in table["triage"]] == (
        ["followup", "followup"] + [UNSCANNED] * (len(alerts) - 3) + ["reject"]
    )
    assert str(table["tags"][1]) == str(table["tags"][-1]) == "kn, sn"
    note = 'rising, "fast"\n\\xe9toile' if fmt == "fits" else 'rising, "fast"\nétoile'
    assert str(table["note"][0]) == note  # FITS holds ASCII only: escaped
    assert table["alert_id"].tolist() == [a.alert_id for a in alerts]


def test_exports_without_triage_are_unchanged(tmp_path, alerts):
    (path,) = export_alerts(alerts, "ecsv", tmp_path / "plain.ecsv")
    assert "triage" not in Table.read(path, format="ascii.ecsv").colnames
    written = export_alerts(alerts, "avro", tmp_path / "plain.avro")
    assert all(p.suffix == ".avro" for p in written)


def test_avro_exports_write_a_triage_sidecar_per_file(tmp_path, store, alerts):
    _triaged_store(store)
    written = export_alerts(alerts, "avro", tmp_path / "all.avro", triage=store.triage_by_alert())
    containers = [p for p in written if p.suffix == ".avro"]
    sidecars = [p for p in written if p.name.endswith(".triage.csv")]
    assert len(containers) > 1  # one per writer schema, each with its sidecar
    assert sidecars == [p.with_name(p.name + ".triage.csv") for p in containers]
    lines = []
    for container, sidecar in zip(containers, sidecars, strict=True):
        with sidecar.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        assert list(rows[0]) == ["survey", "alert_id", "object_id", "triage", "tags", "note"]
        back = list(read_alerts([container], SchemaCache()))
        assert [int(r["alert_id"]) for r in rows] == [a.alert_id for a in back]
        lines += rows
    assert len(lines) == len(alerts)
    by_id = {int(r["alert_id"]): r for r in lines}
    first, last = alerts[0], alerts[-1]
    assert by_id[first.alert_id]["note"] == 'rising, "fast"\nétoile'
    assert by_id[first.alert_id]["object_id"] == first.object_id
    assert (by_id[last.alert_id]["triage"], by_id[last.alert_id]["tags"]) == ("reject", "kn, sn")
    assert sum(r["triage"] == UNSCANNED for r in lines) == len(alerts) - 3


def test_each_avro_sidecar_lists_the_alerts_written_to_its_file(tmp_path, store, alerts):
    """The sidecars take the files with the alerts each holds, as the export wrote them:
    no second grouping that could pair a file with another file's alerts."""
    _triaged_store(store)
    files = [(tmp_path / "a.avro", alerts[-1:]), (tmp_path / "b.avro", alerts[:2])]
    sidecars = write_avro_sidecars(files, store.triage_by_alert())
    assert sidecars == [tmp_path / "a.avro.triage.csv", tmp_path / "b.avro.triage.csv"]
    for (_, held), sidecar in zip(files, sidecars, strict=True):
        with sidecar.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        assert [int(r["alert_id"]) for r in rows] == [a.alert_id for a in held]
    with sidecars[0].open(newline="", encoding="utf-8") as stream:
        assert next(csv.DictReader(stream))["triage"] == "reject"


def test_lightcurve_and_cutout_exports_carry_triage(tmp_path, store, alerts):
    _triaged_store(store)
    by_alert = store.triage_by_alert()
    (path,) = export_alerts(alerts, "lightcurve-csv", tmp_path / "lc.csv", triage=by_alert)
    points = Table.read(path, format="ascii.csv")
    first = [str(t) for t in points["triage"][points["alert_id"] == alerts[0].alert_id]]
    assert first and set(first) == {"followup"}
    written = export_alerts(alerts[:2], "cutouts", tmp_path / "stamps", triage=by_alert)
    assert tmp_path / "stamps" / "triage.csv" in written
    with (tmp_path / "stamps" / "triage.csv").open(newline="", encoding="utf-8") as stream:
        assert [r["triage"] for r in csv.DictReader(stream)] == ["followup", "followup"]


def test_export_command_carries_a_sessions_triage_and_filters_on_it(tmp_path, store):
    _triaged_store(store)
    out = tmp_path / "kept.ecsv"
    result = subprocess.run(
        [sys.executable, "-m", "alertview", "export", "--session", str(store.folder),
         "--format", "ecsv", "--out", str(out), "--filter", 'triage != "reject"'],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = Table.read(out, format="ascii.ecsv")
    assert len(table) == len(store) - 1  # the rejected one is left out, unscanned kept
    assert "reject" not in set(table["triage"]) and list(table["triage"][:2]) == ["followup"] * 2
    tagged = tmp_path / "sn.ecsv"
    result = subprocess.run(
        [sys.executable, "-m", "alertview", "export", "--session", str(store.folder),
         "--format", "ecsv", "--out", str(tagged), "--filter", 'tag == "followup"'],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(Table.read(tagged, format="ascii.ecsv")) == 2


def test_triage_of_rows_lost_in_a_power_cut_does_not_move_to_the_next_alerts(tmp_path, alerts):
    folder = tmp_path / "s"
    with AlertStore(folder) as store:
        store.add(alerts[:10])
        store.add(alerts[10:12])
        lost = [r[0] for r in store.rows()[-2:]]
        store.set_triage(lost[-1:], "reject")
        store.add_tags(lost[-1:], ["bogus"])
        db = sqlite3.connect(folder / "index.sqlite")
        (segment, position) = db.execute(
            "SELECT segment, position FROM alerts WHERE row = ?", (lost[0],)
        ).fetchone()
        db.close()
    # the power cut: the index kept the two newest rows, their packets never reached the disk
    with (folder / f"packets-{segment:06d}.seg").open("r+b") as stream:
        stream.truncate(position)
    with AlertStore(folder) as store:
        assert len(store) == 10
        assert store.triage() == {}  # the lost rows' triage went with them
        assert store.triage_counts()[UNSCANNED] == 10
        store.add(alerts[20:22])  # the next alerts take the freed row numbers
        reused = [r[0] for r in store.rows()[-2:]]
        assert reused == lost
        assert store.triage(reused) == {} and store.triage_by_alert() == {}


def test_a_session_with_triage_of_rows_it_no_longer_holds_is_cleaned_at_open(tmp_path, alerts):
    folder = tmp_path / "s"
    with AlertStore(folder) as store:
        store.add(alerts[:5])
        rows = [r[0] for r in store.rows()]
        store.set_triage(rows, "followup")
    # as an older AlertStore left it: rows dropped after a power cut, their triage kept
    db = sqlite3.connect(folder / "index.sqlite")
    with db:
        db.execute("DELETE FROM alerts WHERE row >= ?", (rows[3],))
    db.close()
    with AlertStore(folder) as store:
        assert sorted(store.triage()) == rows[:3]
        assert store.triage_counts()["followup"] == 3
        store.add(alerts[10:12])
        assert sorted(store.triage([r[0] for r in store.rows()])) == rows[:3]


def test_a_tag_edit_is_the_change_from_the_shown_tags_or_refused_whole() -> None:
    from alertview.core.table.triage import tag_edit

    edit = tag_edit("SN, host  spectrum", ["sn", "bogus"])
    assert (edit.added, edit.removed, edit.refused) == (("host", "spectrum"), ("bogus",), "")
    refused = tag_edit("sn!, host", ["sn"])  # 'sn!' typed in the place of 'sn'
    assert (refused.added, refused.removed) == ((), ())
    assert refused.refused.endswith(": sn!")


@pytest.mark.parametrize(
    ("expression", "suggested"),
    [('triage == "follow-up"', "followup"), ('triage in ("reject", "rejected")', "reject")],
)
def test_a_triage_value_that_is_none_of_the_four_is_refused(expression, suggested) -> None:
    """The table shows 'follow-up'; `triage == "follow-up"` matched nothing, silently."""
    from alertview.core.table.filters import FilterError, parse_filter

    with pytest.raises(FilterError, match=f"did you mean '{suggested}'"):
        parse_filter(expression)
    parse_filter('triage == "unscanned" or tag == "follow-up"')  # tags are free words
