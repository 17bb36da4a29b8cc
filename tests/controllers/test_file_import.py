"""The file-import controller with a fake view and session: the progress words, the
rate, the queue, cancel and the summary. No Qt, no threads."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from alertview.controllers.file_import import FileImportController, ImportProgress, describe
from alertview.controllers.session import SessionController
from alertview.controllers.views import ImportView


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def imports(clock):
    view = MagicMock(spec=ImportView)
    session = MagicMock(spec=SessionController)
    return FileImportController(view, session, clock)


def rows(first: int, count: int) -> list[tuple]:
    return [(n,) for n in range(first, first + count)]


def test_progress_says_alerts_megabytes_of_the_total_and_the_rate(imports, clock):
    imports.open("job", ["/night/ztf_public_20180426.tar.gz"])
    imports.view.start_import.assert_called_once_with("job")
    imports.view.show_import.assert_called_with(
        "ztf_public_20180426.tar.gz: 0 alerts, 0 MB, 0 alerts/s", None
    )
    imports.sized(4_600_000_000)
    clock.now += 1.0
    imports.progressed(ImportProgress(rows(1, 400), 500, 460_000_000, ["bad: offset 3: eof"]))
    clock.now += 1.0
    imports.progressed(ImportProgress(rows(401, 1000), 1000, 920_000_000, []))
    imports.view.show_import.assert_called_with(
        "ztf_public_20180426.tar.gz: 1,500 alerts, 920 of 4600 MB, 750 alerts/s", 0.2
    )
    # rows and errors go to the session as they come
    assert imports.session.rows_read.call_args_list[0].args == (
        rows(1, 400),
        ["bad: offset 3: eof"],
    )
    assert imports.session.rows_read.call_count == 2


def test_the_history_phase_counts_rows_then_the_summary_hides_the_widget(imports, clock):
    imports.open("job", ["a.avro", "b.avro", "c.avro"])
    imports.progressed(ImportProgress(rows(1, 40), 50, 10, ["x"]))
    imports.history_progressed(30)
    imports.view.show_import.assert_called_with(
        "a.avro and 2 more: light curves counted for 30 of 40 alerts", 0.75
    )
    clock.now += 2.5
    imports.finished(cancelled=False)
    imports.view.show_import.assert_called_with(None, None)
    imports.view.show_message.assert_called_with(
        "opened a.avro and 2 more: 40 new alerts of 50 in 2.5 s, 1 error"
    )
    imports.view.import_ended.assert_called_once_with("job", 40)
    assert not imports.running


def test_opening_while_an_import_runs_queues_it(imports):
    imports.open("first", ["night1.tar.gz"])
    imports.open("second", ["night2.tar.gz"])
    imports.view.show_message.assert_called_with("night2.tar.gz will open after night1.tar.gz")
    assert "(1 more queued)" in imports.progress_text()
    imports.view.start_import.assert_called_once_with("first")
    imports.finished(cancelled=False)
    imports.view.start_import.assert_called_with("second")
    assert imports.current is not None and imports.current.handle == "second"
    imports.progressed(ImportProgress(rows(1, 3), 3, 0, []))
    assert imports.progress_text().startswith("night2.tar.gz: 3 alerts, 0 MB")


def test_cancel_stops_the_running_import_keeps_its_rows_and_drops_the_queue(imports):
    imports.open("first", ["night1.tar.gz"])
    imports.open("second", ["night2.tar.gz"])
    imports.progressed(ImportProgress(rows(1, 700), 700, 0, []))
    imports.cancel()
    imports.view.cancel_import.assert_called_once_with("first")
    imports.view.import_dropped.assert_called_once_with("second")
    imports.view.show_import.assert_called_with("cancelling night1.tar.gz…", None)
    imports.progressed(ImportProgress(rows(701, 100), 100, 0, []))  # the batch in hand
    imports.finished(cancelled=True)
    imports.view.show_message.assert_called_with("cancelled night1.tar.gz: 800 new alerts kept")
    imports.view.import_ended.assert_called_once_with("first", 800)
    assert imports.view.start_import.call_count == 1 and not imports.running


def test_reports_after_the_end_change_nothing(imports):
    imports.progressed(ImportProgress(rows(1, 1), 1, 0, []))
    imports.history_progressed(1)
    imports.finished(cancelled=False)
    imports.session.rows_read.assert_not_called()
    imports.view.import_ended.assert_not_called()
    assert imports.progress_text() == "" and imports.fraction() is None


def test_describe_names_one_input_or_counts_them():
    assert describe(["/data/ztf_public_20180426.tar.gz"]) == "ztf_public_20180426.tar.gz"
    assert describe(["/data/alerts/", "/x/y.avro"]) == "alerts and 1 more"
