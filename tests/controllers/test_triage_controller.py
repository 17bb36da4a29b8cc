"""The triage controller on a real session store and real table columns, with a fake
window: marks, notes and tags reach the store and the columns; next unscanned; the
counter. No Qt."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from alertview.controllers.triage import TriageController
from alertview.core.alert import Origin
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from alertview.core.table.triage import parse_tags
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE
from tests.stream.kafka_data import ztf_messages

#: Real ZTF packets cycled with new alert ids: each object has two or three alerts.
COUNT = 120


class FakeModel:
    """The table model's surface: the session's columns shown in ``order``."""

    def __init__(self, rows: list[tuple]) -> None:
        self.columns = AlertColumns()
        self.columns.append_rows(rows)
        self.order = np.arange(len(rows))
        self.changed: list[tuple[np.ndarray, set[str]]] = []

    def rowCount(self, parent=None) -> int:
        return len(self.order)

    def position(self, row: int) -> int:
        return int(self.order[row])

    def shown_positions(self) -> np.ndarray:
        return self.order

    def fields_changed(self, positions: np.ndarray, names: set[str]) -> None:
        self.changed.append((positions, names))


class FakeView:
    def __init__(self) -> None:
        self.selected: list[int] = []
        self.current = -1
        self.counter = ""
        self.messages: list[str] = []

    def selected_table_rows(self) -> list[int]:
        return self.selected

    def current_table_row(self) -> int:
        return self.current

    def go_to_row(self, row: int) -> None:
        self.selected, self.current = [row], row

    def show_counter(self, text: str) -> None:
        self.counter = text

    def show_message(self, text: str) -> None:
        self.messages.append(text)


@pytest.fixture
def store(tmp_path, cache):
    alerts = []
    for offset, (key, value) in enumerate(ztf_messages(COUNT)):
        alerts += decode_bytes(value, cache, origin=Origin("ztf", 0, "ztf", 0, offset), key=key)
    with AlertStore(tmp_path / "session") as opened:
        opened.add(alerts)
        yield opened


@pytest.fixture
def triage(store):
    return TriageController(FakeView(), store, FakeModel(store.rows()))


def state_of(triage, row: int):
    return triage.columns.value(triage.model.position(row), "triage")


def test_marks_reach_the_store_the_columns_and_the_counter(triage, store):
    triage.view.selected = [3, 7]
    assert triage.mark("interesting") == 2
    ids = [int(triage.columns.row.values[triage.model.position(r)]) for r in (3, 7)]
    assert {r: t.state for r, t in store.triage().items()} == dict.fromkeys(ids, "interesting")
    assert state_of(triage, 3) == state_of(triage, 7) == "interesting"
    assert state_of(triage, 4) is None
    positions, names = triage.model.changed[-1]
    assert sorted(positions.tolist()) == [3, 7] and "triage" in names and "tag" in names
    assert triage.view.counter == f"2 scanned · {COUNT - 2} left"
    triage.view.selected = [7]
    triage.mark(None)  # cleared: unscanned again
    assert state_of(triage, 7) is None and triage.counts() == (1, COUNT - 1)
    assert store.triage()[ids[0]].state == "interesting" and ids[1] not in store.triage()


def test_the_whole_object_takes_every_alert_of_the_selected_alerts_objects(triage, store):
    objects = Counter(triage.columns.value(p, "object_id") for p in range(COUNT))
    row = next(r for r in range(COUNT) if objects[triage.columns.value(r, "object_id")] >= 2)
    object_id = triage.columns.value(row, "object_id")
    triage.model.order = triage.model.order[::-1].copy()  # shown newest first
    triage.view.selected = [COUNT - 1 - row]
    assert triage.mark("reject", whole_object=True) == objects[object_id]
    rejected = [p for p in range(COUNT) if triage.columns.value(p, "triage") == "reject"]
    assert rejected and all(triage.columns.value(p, "object_id") == object_id for p in rejected)
    assert len(rejected) == objects[object_id] == len(store.triage())


def test_the_whole_object_is_the_object_of_its_survey_only(tmp_path, cache):
    """A Rubin alert carrying a ZTF object's id is another object (as the Objects table
    groups them): Shift+R on the ZTF alert leaves it alone."""
    ztf = [a for a in read_alerts([FINK_ZTF_SINGLE], cache) if not isinstance(a, Exception)]
    rubin = next(a for a in read_alerts([FINK_LSST_TRANSFER], cache) if a.object_id)
    object_id = ztf[0].object_id
    namesake = dataclasses.replace(rubin, object_id=object_id)
    with AlertStore(tmp_path / "session") as store:
        store.add([*ztf, namesake])
        triage = TriageController(FakeView(), store, FakeModel(store.rows()))
        last = len(ztf)
        assert triage.columns.value(last, "object_id") == object_id
        triage.view.selected = [0]
        assert triage.mark("reject", whole_object=True) == len(ztf)
        assert [state_of(triage, r) for r in range(last + 1)] == ["reject"] * last + [None]
        assert len(store.triage()) == len(ztf)


def test_notes_and_tags_and_what_the_dialogs_start_from(triage, store):
    triage.view.selected, triage.view.current = [1, 2], 2
    assert triage.set_note("  red and rising \n") == 2
    assert triage.current_note() == "red and rising"
    assert triage.edit_tags("Bright, sn-candidate", []) == 2
    assert triage.common_tags() == ["bright", "sn-candidate"]
    # a word that cannot be a tag: the whole edit is refused, in one line
    assert triage.edit_tags("sn-candidate!, nice", ["bright", "sn-candidate"]) == 0
    assert triage.view.messages == [
        "tags not changed: not a tag (letters, digits, _ and - only): sn-candidate!"
    ]
    assert triage.common_tags() == ["bright", "sn-candidate"]  # none removed, none added
    triage.view.selected = [2]
    triage.edit_tags("sn-candidate kilonova", triage.common_tags())  # bright removed
    assert triage.columns.value(triage.model.position(2), "tags") == "kilonova, sn-candidate"
    assert triage.columns.value(triage.model.position(1), "tags") == "bright, sn-candidate"
    assert triage.known_tags() == ["bright", "kilonova", "sn-candidate"]
    stored = store.triage()[int(triage.columns.row.values[triage.model.position(2)])]
    assert stored.tags == ("kilonova", "sn-candidate") and stored.note == "red and rising"
    assert stored.state is None  # tagged and noted, still unscanned
    assert triage.counts() == (0, COUNT)


def test_next_unscanned_visits_each_untriaged_alert_once_in_table_order(triage):
    triage.model.order = np.argsort(triage.columns.sort_key("mag"), kind="stable")
    triage.view.selected = [0, 5, 6, 50]
    triage.mark("followup")
    triage.view.selected, triage.view.current = [], 40
    untriaged = [r for r in range(COUNT) if state_of(triage, r) is None]
    visits = [triage.next_unscanned() for _ in untriaged]
    assert sorted(visits) == untriaged  # each once
    assert visits[0] == 41 and visits[-1] == 40  # from the current row, wrapping round
    assert triage.next_unscanned() == 41  # round again
    triage.view.selected = untriaged
    triage.mark("reject")
    assert triage.next_unscanned() == -1
    assert triage.view.messages[-1] == "every alert shown is triaged"
    assert triage.counter_text() == f"{COUNT} scanned · 0 left"


def test_a_reopened_session_shows_its_triage_and_failures_are_one_line(triage, store):
    triage.view.selected = [10]
    triage.mark("interesting")
    triage.set_note("look again")
    again = TriageController(FakeView(), store, FakeModel(store.rows()))
    assert state_of(again, 10) is None  # the columns start unscanned
    again.load_stored()
    assert state_of(again, 10) == "interesting"
    assert again.columns.value(10, "note") == "look again"
    assert again.view.counter == f"1 scanned · {COUNT - 1} left"
    # nothing selected; a row the store does not hold: said, not raised
    again.view.selected = []
    assert again.mark("reject") == 0
    assert again.view.messages[-1] == "select the alerts to triage first"
    row = list(store.rows()[-1])
    row[0] += 1000
    again.model.columns.append_rows([tuple(row)])
    again.model.order = np.arange(COUNT + 1)
    again.view.selected = [COUNT]
    assert again.mark("reject") == 0
    assert again.view.messages[-1].startswith("triage not saved: no alert row")
    assert state_of(again, COUNT) is None


def test_typed_tags_are_lower_case_words_as_the_store_keeps_them(triage, store):
    """One rule (core.table.triage.parse_tags) for the tags dialog and the store: a word
    the dialog accepts is kept as it is, one it refuses the store refuses too."""
    typed = " Bright,,SN-cand; x_1  bad! bad!"
    assert parse_tags(typed) == (("bright", "x_1"), ("sn-cand;", "bad!"))
    assert parse_tags("") == ((), ())
    row = int(triage.columns.row.values[0])
    for word in ("kn;sn", "bad!"):
        with pytest.raises(ValueError, match=f"tag '{word}' is not allowed"):
            store.add_tags([row], [word])
    (kept,) = store.add_tags([row], ["Bright,  x_1"])
    assert kept.tags == parse_tags("Bright,  x_1")[0]
    triage.triages_changed([kept])
    triage.view.selected = [0]
    assert triage.edit_tags("kn;sn", []) == 0  # no tags "kn" and "sn" out of it
    assert triage.common_tags() == ["bright", "x_1"]
