"""Saved filters, the filter history and watches, without widgets: real packets in a real
store, the table's real columns, the session controller's row hook; a dict for the
settings and a fake clock for the rate limit."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest

from alertview.controllers.session import SessionController
from alertview.controllers.views import AlertLoader, SessionView
from alertview.controllers.watches import WatchController
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filters import FilterError
from alertview.core.table.saved_filters import (
    HISTORY_KEY,
    HISTORY_SIZE,
    SAVED_KEY,
    DictSettings,
    SavedFilter,
    SavedFilters,
)
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def alerts():
    return [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]


@pytest.fixture
def rows(alerts, tmp_path):
    with AlertStore(tmp_path / "session") as store:
        return store.add_rows(alerts)


def alert_of(alerts, row: tuple):
    """The alert a stored row was made of (a row's third field is the alert id)."""
    return next(a for a in alerts if a.alert_id == row[2])


class FakeView:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.highlights: frozenset[int] = frozenset()
        self.flush_asked: list[float] = []
        self.problems: list[str] = []
        self.redrawn = 0

    def notify(self, text: str) -> None:
        self.messages.append(text)

    def show_highlights(self, rows: frozenset[int]) -> None:
        self.highlights = rows

    def show_watches(self) -> None:
        self.redrawn += 1

    def flush_later(self, delay: float) -> None:
        self.flush_asked.append(delay)

    def show_problem(self, text: str) -> None:
        self.problems.append(text)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(settings=None, interval: float = 0.0, columns: AlertColumns | None = None):
    columns = AlertColumns() if columns is None else columns
    view, clock = FakeView(), Clock()
    saved = SavedFilters(settings if settings is not None else DictSettings())
    return WatchController(saved, lambda: columns, view, clock, interval), columns, view, clock


def feed(controller: WatchController, columns: AlertColumns, batch: list[tuple], loaded=False):
    columns.append_rows(batch)
    controller.rows_added(batch, loaded)


def test_a_watch_fires_once_per_new_matching_alert_over_several_batches(alerts, rows):
    controller, columns, view, _ = make()
    controller.save("green", 'band == "g"', watch=True)
    controller.save("bright", "mag < 17")  # saved, not a watch: never fires
    batches = [rows[:20], rows[20:41], rows[41:]]
    expected_rows, told = [], 0
    for batch in batches:
        feed(controller, columns, batch)
        greens = [r for r in batch if alert_of(alerts, r).band == "g"]
        expected_rows += [r[0] for r in greens]
        if not greens:  # a batch without a match says nothing
            assert len(view.messages) == told
            continue
        told += 1
        first = alert_of(alerts, greens[0])
        plural = "alert" if len(greens) == 1 else "alerts"
        unseen = len(expected_rows)  # none selected since: the earlier batches' wait too
        waiting = f"; {unseen} not looked at yet" if unseen > len(greens) else ""
        assert view.messages[-1] == (
            f"watch green: {len(greens)} new {plural} "
            f"(first: {first.object_id} mag {first.mag:.2f} g){waiting}"
        )
    assert len(view.messages) == told >= 2  # one per batch, not one per alert
    assert view.highlights == frozenset(expected_rows)
    assert len(expected_rows) == sum(a.band == "g" for a in alerts) == 18
    assert controller.badge("green") == 18 and controller.badge("bright") == 0
    controller.rows_added([], False)  # nothing new: nothing said, nothing tested again
    feed(controller, columns, [])
    assert len(view.messages) == told


def test_a_burst_of_batches_is_one_message_every_few_seconds(rows):
    controller, columns, view, clock = make(interval=5.0)
    controller.save("all", "row > 0", watch=True)
    feed(controller, columns, rows[:10])
    assert view.messages == ["watch all: 10 new alerts (first: " + _first(columns, 0) + ")"]
    for batch in (rows[10:20], rows[20:30], rows[30:33]):
        clock.now += 1
        feed(controller, columns, batch)
        assert len(view.messages) == 1
        assert view.flush_asked == [4.0]  # one timer asked for, at the first of them
    clock.now += 2
    controller.flush()  # the timer's call
    # the Saved button counts all 33 not looked at: the message says so too
    assert view.messages[1] == (
        f"watch all: 23 new alerts (first: {_first(columns, 10)}); 33 not looked at yet"
    )
    controller.flush()  # a second call has nothing to say
    assert len(view.messages) == 2


def _first(columns: AlertColumns, position: int) -> str:
    name, mag = columns.value(position, "object_id"), columns.value(position, "mag")
    return f"{name} mag {mag:.2f} {columns.value(position, 'band')}"


def test_rows_loaded_from_the_session_or_there_before_never_fire(rows):
    columns = AlertColumns()
    columns.append_rows(rows[:5])  # shown before the watches were made
    controller, columns, view, _ = make(columns=columns)
    controller.save("all", "row > 0", watch=True)
    feed(controller, columns, rows[5:30], loaded=True)  # a reopened session's rows
    assert view.messages == [] and view.highlights == frozenset()
    feed(controller, columns, rows[30:32])
    assert view.messages[0].startswith("watch all: 2 new alerts")
    assert view.highlights == {rows[30][0], rows[31][0]}


def test_changing_a_filter_never_reports_a_row_twice(alerts, rows):
    controller, columns, view, _ = make()
    controller.save("r", 'band == "r"', watch=True)
    feed(controller, columns, rows[:30])
    told = len(view.messages)
    # the same name saved again, a new watch, watching toggled: older rows stay told
    controller.save("r", 'band == "r" or band == "g"')
    controller.save("faint", "mag > 19", watch=True)
    controller.set_watch("r", False)
    controller.set_watch("r", True)
    controller.rows_added([], False)
    assert len(view.messages) == told
    feed(controller, columns, rows[30:40])  # only these are tested, by each watch once
    assert len(view.messages) == told + 1
    counts = {line.split(":")[0]: int(line.split()[2]) for line in view.messages[-1].split("\n")}
    assert counts == {
        "watch r": sum(alert_of(alerts, r).band in ("r", "g") for r in rows[30:40]),
        "watch faint": sum((alert_of(alerts, r).mag or 0) > 19 for r in rows[30:40]),
    }
    assert len(controller.highlighted()) == len(view.highlights) <= 30 + 10


def test_seen_rows_lose_their_highlight_and_badge(alerts, rows):
    controller, columns, view, _ = make()
    controller.save("all", "row > 0", watch=True)
    controller.save("bright", "mag < 18", watch=True)
    feed(controller, columns, rows[:10])
    bright = [r[0] for r in rows[:10] if (alert_of(alerts, r).mag or 99) < 18]
    assert bright and controller.badge("bright") == len(bright)
    controller.seen(bright[0])
    assert bright[0] not in view.highlights
    assert controller.badge("bright") == len(bright) - 1 and controller.badge("all") == 9
    controller.rename("bright", "very bright")
    assert controller.badge("very bright") == len(bright) - 1
    controller.remove("very bright")
    assert controller.badge("very bright") == 0 and len(view.highlights) == 9
    controller.clear_seen()
    assert view.highlights == frozenset() and controller.unseen_total() == 0


def test_highlights_keep_the_newest_matches_only(rows, monkeypatch):
    monkeypatch.setattr("alertview.controllers.watches.MAX_UNSEEN", 5)
    controller, columns, view, _ = make()
    controller.save("all", "row > 0", watch=True)
    feed(controller, columns, rows[:4])
    feed(controller, columns, rows[4:12])
    assert view.highlights == {r[0] for r in rows[7:12]}
    assert view.messages[-1].startswith("watch all: 8 new alerts")  # told, all of them


def test_a_watch_on_packet_fields_is_said_once_and_skipped(rows):
    controller, columns, view, _ = make()
    controller.save("clean", "nbad == 0", watch=True)
    assert len(view.problems) == 1 and "watch clean: not checked" in view.problems[0]
    feed(controller, columns, rows[:10])
    feed(controller, columns, rows[10:20])
    assert len(view.problems) == 1 and view.messages == []


def test_saved_filters_and_history_round_trip_through_the_settings():
    settings = DictSettings()
    saved = SavedFilters(settings)
    saved.save("  bright   red ", 'band == "r" and mag < 18')
    saved.save("faint", "mag > 20", watch=True)
    saved.rename("faint", "very faint")
    saved.set_watch("bright red", True)
    saved.save("gone", "mag > 1")
    saved.remove("gone")
    for number in range(HISTORY_SIZE + 5):
        saved.remember(f"mag < {number}")
    saved.remember("mag < 3")  # applied again: first, and once
    again = SavedFilters(settings)
    assert again.filters == [
        SavedFilter("bright red", 'band == "r" and mag < 18', True),
        SavedFilter("very faint", "mag > 20", True),
    ]
    assert again.history[:2] == ["mag < 3", f"mag < {HISTORY_SIZE + 4}"]
    assert len(again.history) == HISTORY_SIZE == len(set(again.history))
    assert "mag < 4" not in again.history  # the oldest went


def test_bad_input_is_one_line_and_bad_settings_are_forgotten():
    saved = SavedFilters(DictSettings())
    with pytest.raises(FilterError, match="bad filter"):
        saved.save("x", "mag <")
    with pytest.raises(ValueError, match="needs a name"):
        saved.save("   ", "mag < 1")
    saved.save("a", "mag < 1")
    saved.save("b", "mag < 2")
    with pytest.raises(ValueError, match="already called 'b'"):
        saved.rename("a", "b")
    settings = DictSettings()
    settings.values[SAVED_KEY] = "{not json"
    settings.values[HISTORY_KEY] = json.dumps([1, "mag < 1", "", "mag < 1"])
    damaged = SavedFilters(settings)
    assert damaged.filters == [] and damaged.history == ["mag < 1"]
    settings.values[SAVED_KEY] = json.dumps([{"name": "ok", "expression": "mag < 1"}, {"x": 1}])
    assert SavedFilters(settings).filters == [SavedFilter("ok", "mag < 1")]


class ColumnsModel:
    """The table model's surface with the real columns behind it."""

    def __init__(self) -> None:
        self.columns = AlertColumns()
        self.alert_filter = None
        self.filtering = False

    @property
    def total(self) -> int:
        return len(self.columns)

    def rowCount(self, parent=None) -> int:
        return self.total

    def append_rows(self, rows: list[tuple]) -> None:
        self.columns.append_rows(rows)

    def set_filter(self, alert_filter) -> None:
        self.alert_filter = alert_filter

    def row_id(self, row: int) -> int:
        return int(self.columns.row.values[row])

    def set_dropped_before(self, row: int) -> None:
        pass


def watched_session(alerts, tmp_path):
    """A reopened session (30 alerts stored before) whose controller feeds a watch of the
    r-band alerts: (store, session controller, its model, the watch's fake view)."""
    store = AlertStore(tmp_path / "session")
    store.add(alerts[:30])
    model = ColumnsModel()
    session = SessionController(
        MagicMock(spec=SessionView), store, SchemaCache(), model, MagicMock(spec=AlertLoader)
    )
    controller, _, view, _ = make(columns=model.columns)
    session.row_listeners.append(controller.rows_added)
    controller.save("red", 'band == "r"', watch=True)
    return store, session, model, view


def test_the_session_hands_new_rows_to_the_watches_and_not_its_loaded_ones(alerts, tmp_path):
    store, session, model, view = watched_session(alerts, tmp_path)
    session.loading = True  # as the window loads a reopened session's rows
    while session.refresh_rows(limit=7):
        pass
    session.loading = False
    assert model.total == 30 and view.messages == []
    assert any(a.band == "r" for a in alerts[:30])  # matches there were, and not told
    new = store.add_rows(alerts[30:])  # then a stream's batch
    session.batches_stored(new, len(new), 0)
    red = sum(a.band == "r" for a in alerts[30:])
    assert red and view.messages == [view.messages[0]]
    assert view.messages[0].startswith(f"watch red: {red} new alerts")
    assert len(view.highlights) == red
    store.close()


def test_a_live_batch_stored_while_the_session_loads_is_watched(alerts, tmp_path):
    """Rows stored before the load began are the session's; a stream's batch stored
    while it loads goes in with the load, and is new: its matches are told."""
    store, session, model, view = watched_session(alerts, tmp_path)
    session.loading = True
    session.refresh_rows(limit=7)  # the load has begun
    new = store.add_rows(alerts[30:])  # a live stream's batch arrives now
    session.batches_stored(new, len(new), 0)  # left to the load
    assert model.total == 7 and view.messages == []
    while session.refresh_rows(limit=7):  # a chunk holds stored and new rows: 29..35
        pass
    session.loading = False
    assert model.total == len(alerts)
    red = sum(a.band == "r" for a in alerts[30:])
    told = [int(m.split()[2]) for m in view.messages]  # "watch red: N new alerts ..."
    assert red and sum(told) == red and all(m.startswith("watch red: ") for m in view.messages)
    assert view.highlights == {r[0] for r in new if alert_of(alerts, r).band == "r"}
    store.close()


def test_a_watch_flag_in_the_settings_is_read_strictly(caplog):
    settings = DictSettings()
    entries = [
        ("a", True), ("b", "true"), ("c", 1), ("d", "True"),  # watches
        ("e", False), ("f", "false"), ("g", 0), ("h", None),  # not
        ("i", "no"), ("j", "0"), ("k", 2), ("l", [1]),  # not, and said
    ]  # fmt: skip
    records = [{"name": n, "expression": "mag < 1", "watch": w} for n, w in entries]
    settings.values[SAVED_KEY] = json.dumps([*records, {"name": "m", "expression": "mag < 2"}])
    with caplog.at_level("WARNING", logger="alertview.core.table.saved_filters"):
        saved = SavedFilters(settings)
    assert [f.name for f in saved.watches()] == ["a", "b", "c", "d"]
    assert saved.names() == [n for n, _ in entries] + ["m"]  # every one kept, as a filter
    bad = [r for r in caplog.records if "watch" in r.getMessage()]
    assert len(bad) == 1 and "i, j, k, l" in bad[0].getMessage()


def test_an_import_batch_told_after_a_later_stream_batch_is_shown_and_watched(alerts, tmp_path):
    """The import's thread stores first, the stream's next, but the stream's news is
    handled first: the import's rows were skipped as 'already shown' (10 of 50 lost)."""
    store, session, model, view = watched_session(alerts, tmp_path)
    session.refresh_rows()
    assert model.total == 30
    told_before = len(view.messages)
    imported = store.add_rows(alerts[30:40])
    streamed = store.add_rows(alerts[40:50])
    session.batches_stored(streamed, len(streamed), 0)
    session.rows_read(imported, [])
    assert model.total == len(store) == 50
    assert [model.columns.value(p, "row") for p in range(50)] == list(range(1, 51))
    red = sum(a.band == "r" for a in alerts[30:50])
    assert sum(int(m.split()[2]) for m in view.messages[told_before:]) == red
    store.close()
