"""The session controller with a fake window, table model and loader: files in, the
filter, the status text, the live stream's events, the read-ahead. No Qt."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from alertview.controllers.session import SessionController
from alertview.controllers.views import AlertLoader, SessionView
from alertview.core.session.store import AlertStore
from alertview.core.stream.messages import BrokerStatus
from tests.conftest import FINK_ZTF_MULTI, FINK_ZTF_SINGLE, SHARED


class FakeModel:
    """The table model's surface: rows in arrival order, a filter that matches ``shown``."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.appended: list[int] = []  # rows per append_rows call
        self.alert_filter = None
        self.filtering = False
        self.shown: int | None = None

    @property
    def total(self) -> int:
        return len(self.rows)

    def rowCount(self, parent=None) -> int:
        return self.total if self.alert_filter is None or self.shown is None else self.shown

    def append_rows(self, rows: list[tuple]) -> None:
        self.rows += rows
        self.appended.append(len(rows))

    def set_filter(self, alert_filter) -> None:
        self.alert_filter = alert_filter

    def row_id(self, row: int) -> int:
        return self.rows[row][0]

    def set_dropped_before(self, row: int) -> None:
        self.dropped_before = row


@pytest.fixture
def session(tmp_path, cache):
    store = AlertStore(tmp_path / "session")
    loader = MagicMock(spec=AlertLoader)
    loader.generation = 0

    def request(row_id, choices):
        loader.generation += 1
        return loader.generation

    loader.request.side_effect = request
    view = MagicMock(spec=SessionView)
    view.display_choices.return_value = ("zscale", "asinh")
    yield SessionController(view, store, cache, FakeModel(), loader)
    store.close()


def test_files_go_to_the_store_and_the_table_in_one_insert(session):
    assert session.open_paths([SHARED]) == 57
    assert session.model.total == 57 and session.model.appended == [57]
    session.view.rows_added.assert_called_once_with(True)
    session.view.show_status.assert_called_with("57 alerts")
    session.view.show_error_count.assert_called_with(0)
    assert session.open_paths([FINK_ZTF_SINGLE]) == 0  # already in the session
    session.refresh_rows()
    assert session.model.appended == [57]  # nothing new: no insert


def test_an_unreadable_file_is_counted_and_listed(session, tmp_path):
    bad = tmp_path / "broken.avro"
    bad.write_bytes(b"Obj\x01 not really")
    assert session.open_paths([bad, FINK_ZTF_SINGLE]) == 1
    assert len(session.errors) == 1 and str(bad) in session.errors[0]
    session.view.show_error_count.assert_called_with(1)


def test_a_bad_filter_is_explained_and_stays_explained(session):
    session.open_paths([FINK_ZTF_MULTI])
    session.apply_filter("mag <")
    (message,) = session.view.show_filter_error.call_args.args
    assert message.startswith("bad filter: the expression ends too early")
    session.view.show_match.assert_called_with(message)
    assert session.model.alert_filter is None
    session.update_status()  # a batch arrives: the reason stays beside the box
    session.view.show_match.assert_called_with(message)
    session.model.shown = 2
    session.apply_filter('  band == "r"  ')
    session.view.show_filter_error.assert_called_with(None)
    session.view.show_match.assert_called_with(f"2 of {session.model.total} match")
    session.model.filtering = True  # reading packets in the background
    session.apply_filter("nbad == 0")
    session.view.show_match.assert_called_with("filtering…")
    session.filter_progressed(3, 10)
    session.view.show_match.assert_called_with("filtering… 3 of 10")
    session.model.filtering = False
    session.apply_filter("")
    session.view.show_match.assert_called_with("")


def test_a_live_stream_counts_rates_lag_and_outages(session, monkeypatch):
    session.stream_started(["ztf", "lsst"], "kafka:9092")
    session.view.show_stream_controls.assert_called_with(True)
    session.view.show_title.assert_called_with("AlertView — ztf, lsst @ kafka:9092")
    clock = iter([100.0, 101.0, 102.0])
    monkeypatch.setattr("alertview.controllers.session.time.monotonic", lambda: next(clock))
    session.follow = True
    for _ in range(3):
        session.batches_stored([], 40, 0)
    assert session.received == 120 and session.rate == 40.0
    session.view.scroll_to_newest.assert_not_called()  # no rows to follow
    session.lag_changed(7)
    session.health_changed(BrokerStatus(0.0, "Connection refused"))
    text = session.view.show_status.call_args.args[0]
    assert text.startswith("0 alerts, 120 received, 40/s, lag 7 — broker unreachable since")
    session.stream_stopped()
    session.view.show_status.assert_called_with("0 alerts")  # no stream: no outage
    session.view.show_stream_controls.assert_called_with(False)


def test_a_failed_stream_is_said_three_ways(session):
    session.stream_failed("authentication failed for user alice")
    assert session.errors == ["authentication failed for user alice"]
    session.view.show_stream_state.assert_called_with("authentication failed for user alice")
    session.view.show_failure.assert_called_with("authentication failed for user alice")
    session.view.show_error_count.assert_called_with(1)


def test_the_next_row_in_the_direction_of_travel_is_read_ahead(session):
    session.open_paths([FINK_ZTF_MULTI])
    ids = [row[0] for row in session.model.rows]
    loader, view, choices = session.loader, session.view, ("zscale", "asinh")
    session.current_changed(2, 1)
    loader.request.assert_called_with(ids[2], choices)
    session.decoded(loader.generation, "alert", ("cutouts", "prepared"))
    view.show_alert.assert_called_once_with("alert", "cutouts", "prepared")
    loader.prefetch.assert_called_once_with(ids[3], choices)
    session.current_changed(1, 2)  # moving up: the row above
    session.current_changed(0, 1)
    session.decoded(loader.generation - 1, "stale", ("c", "p"))  # the user moved on
    assert view.show_alert.call_count == 1
    session.decoded(loader.generation, None, "cannot decode row 1: boom")
    view.show_message.assert_called_with("cannot decode row 1: boom")
    assert loader.prefetch.call_count == 1  # nothing drawn, nothing read ahead
    session.current_changed(len(ids) - 1, -1)
    session.decoded(loader.generation, "last", ("c", "p"))
    assert loader.prefetch.call_count == 1  # no row after the last


def test_a_full_disk_is_said_until_space_is_back(session):
    session.stream_started(["t"], "h:9092")
    session.storage_stopped("disk nearly full: 1.0 GB free on / (AlertView keeps 2.0 GB free)")
    assert "storing stopped: disk nearly full" in session.status_text()
    session.view.show_stream_state.assert_called_with("storing stopped: disk nearly full")
    assert session.errors[-1].startswith("disk nearly full: 1.0 GB free")
    session.storage_resumed()
    assert "storing stopped" not in session.status_text()
    assert session.errors  # the panel keeps what happened


def test_dropped_packets_are_counted_and_their_rows_greyed(session, cache):
    import dataclasses

    from alertview.core.alert import Alert
    from alertview.core.decode import read_alerts
    from tests.conftest import DATA

    alerts = [a for a in read_alerts([DATA], cache) if isinstance(a, Alert)]
    store = session.store
    store.set_retention("2MB")
    session.update_status()
    assert "dropped" not in session.status_text()
    for copy in range(40):  # distinct ids, the same real packets: ~40 x 13 packets
        store.add([dataclasses.replace(a, alert_id=a.alert_id * 100 + copy) for a in alerts])
    session.refresh_rows()
    dropped = store.packets_dropped()
    assert dropped > 0
    assert f"{dropped} packets dropped (retention)" in session.status_text()
    assert session.model.dropped_before == store.dropped_before() > 1


def test_a_reopened_session_is_appended_a_chunk_at_a_time(session, cache):
    from alertview.core.decode import read_alerts

    session.store.add(a for a in read_alerts([SHARED], cache) if not isinstance(a, Exception))
    assert session.refresh_rows(limit=20) is True  # more may remain: called again
    assert session.refresh_rows(limit=20) is True
    assert session.refresh_rows(limit=20) is False
    assert session.model.appended == [20, 20, 17]
    assert [r[0] for r in session.model.rows] == [r[0] for r in session.store.rows()]
    session.view.show_status.assert_called_with("57 alerts")


def test_an_import_batch_brings_rows_and_error_lines(session, cache):
    from alertview.core.decode import read_alerts

    rows = session.store.add_rows(
        a for a in read_alerts([FINK_ZTF_MULTI], cache) if not isinstance(a, Exception)
    )
    session.rows_read(rows[:4], ["bad.avro: offset 12: not an Avro container"])
    session.rows_read(rows, [])  # rows already shown are skipped
    assert session.model.appended == [4, len(rows) - 4]
    assert session.errors == ["bad.avro: offset 12: not an Avro container"]
    session.view.show_error_count.assert_called_with(1)
