"""Opening files off the GUI thread, with real widgets and real packets: the rows are
those a synchronous read gives, the progress widget comes and goes, Cancel keeps a
consistent session, a bad file is one error line, and the event loop keeps turning."""

from __future__ import annotations

import tarfile

import pytest
from PySide6.QtCore import QTimer

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.session.store import AlertStore
from alertview.gui import file_import
from tests.conftest import (
    FINK_ZTF_MULTI,
    FINK_ZTF_SINGLE,
    FINK_ZTF_TRANSFER,
    SHARED,
    ZTF_FILES,
)

#: Alerts in the generated archive: long enough to cancel and to watch the GUI.
ARCHIVE_ALERTS = 1000
#: Copies of a real alert get ids this far apart.
ID_STEP = 10_000_000


def _varint(value: int) -> bytes:
    zigzag, out = (value << 1) ^ (value >> 63), bytearray()
    while True:
        byte, zigzag = zigzag & 0x7F, zigzag >> 7
        out.append(byte | 0x80 if zigzag else byte)
        if not zigzag:
            return bytes(out)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A nightly-like tar of real ZTF packets, each copy renumbered in place (the
    alert id's Avro varint replaced by one of the same length)."""
    bases = []
    for path in ZTF_FILES:
        (alert,) = [a for a in read_alerts([path], SchemaCache()) if not isinstance(a, Exception)]
        old = _varint(alert.alert_id)
        if len(_varint(alert.alert_id + ID_STEP * ARCHIVE_ALERTS)) == len(old):
            bases.append((alert.alert_id, path.read_bytes(), old))
    assert len(bases) == len(ZTF_FILES)
    path = tmp_path_factory.mktemp("night") / "ztf_public_20180426.tar"
    with tarfile.open(path, "w") as tar:
        for number in range(ARCHIVE_ALERTS):
            alert_id, data, old = bases[number % len(bases)]
            new_id = alert_id + ID_STEP * (number // len(bases))
            packet = data.replace(old, _varint(new_id))
            member = tarfile.TarInfo(f"ztf_public_20180426/{new_id}.avro")
            member.size = len(packet)
            tar.addfile(member, _Bytes(packet))
    return path


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


def open_files(window, qtbot, paths, timeout=30000):
    """Start an import and wait until its rows (and counts) are in the table."""
    with qtbot.waitSignal(window.import_finished, timeout=timeout) as blocker:
        job = window.open_paths(paths)
    assert blocker.args == [job]
    return job


def table_ids(window) -> list[int]:
    return [window.model.field(r, "alert_id") for r in range(window.model.rowCount())]


def test_a_folder_gives_the_rows_a_synchronous_read_stores(window, qtbot, tmp_path):
    job = open_files(window, qtbot, [SHARED])
    assert job.added == 57 and window.model.rowCount() == 57
    assert not job.in_process  # 4.7 MB: read in the import's thread
    # the same alerts stored the old way, synchronously and wholly decoded
    with AlertStore(tmp_path / "sync") as store:
        store.add(
            a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, DecodeError)
        )
        expected = store.rows()
    assert window.store.rows() == expected  # the history counts completed too
    assert sorted(table_ids(window)) == sorted(row[2] for row in expected)
    detections = {row[2]: row[18] for row in expected}
    assert all(
        window.model.field(r, "n_detections") == detections[window.model.field(r, "alert_id")]
        for r in range(window.model.rowCount())
    )
    assert "57 alerts" in window.status.text()
    assert window.statusBar().currentMessage().startswith("opened alerts: 57 new alerts of 57")


def test_the_progress_widget_shows_while_reading_and_hides_after(window, qtbot, archive):
    widget = window.imports.widget
    assert not widget.isVisible()
    texts = []
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        job = window.open_paths([archive])
        assert widget.isVisible() and widget.cancel_button.isVisible()
        job.progressed.connect(lambda _p: texts.append(widget.label.text()))
    assert not widget.isVisible()
    assert job.added == ARCHIVE_ALERTS and window.model.rowCount() == ARCHIVE_ALERTS
    assert job.in_process  # 65 MB: read in a child process
    # the reader's reports reached the widget (the label as each report arrived)
    assert texts and all(t.startswith("ztf_public_20180426.tar:") for t in texts)
    assert any(" of " in t and "alerts/s" in t for t in texts)


def test_cancel_keeps_a_consistent_part_of_a_larger_input(window, qtbot, archive):
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        job = window.open_paths([archive])
        # Cancel as soon as the reader has begun: it stops after the file in hand
        job.sized.connect(lambda _size: window.imports.widget.cancel_button.click())
    assert 0 < window.model.total < ARCHIVE_ALERTS
    assert len(window.store) == window.model.total == job.added
    assert sorted(table_ids(window)) == sorted(row[2] for row in window.store.rows())
    assert not window.imports.widget.isVisible() and not job.isRunning()
    assert window.statusBar().currentMessage().startswith("cancelled ztf_public_20180426.tar")
    # the rest can be opened again: what was kept is recognised, the others added
    again = open_files(window, qtbot, [archive], timeout=60000)
    assert again.added == ARCHIVE_ALERTS - job.added
    assert window.model.total == len(window.store) == ARCHIVE_ALERTS


def test_a_bad_file_is_one_error_line_and_the_others_load(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QTableWidget

    bad = tmp_path / "broken.avro"
    bad.write_bytes(b"Obj\x01 not really")
    open_files(window, qtbot, [bad, FINK_ZTF_SINGLE, ZTF_FILES[0]])
    assert window.model.rowCount() == 2 and window.error_button.text() == "1 error"
    window.show_errors()
    table = window.errors_dialog.findChild(QTableWidget)
    # kept in the session's errors: the file, the byte offset, the reason
    assert table.rowCount() == 1 and table.item(0, 0).text() == str(bad)
    assert table.item(0, 2).text() == "6" and table.item(0, 3).text().startswith("truncated")
    window.errors_dialog.close()


def test_the_event_loop_keeps_turning_during_an_import(window, qtbot, archive):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(window.model.total))
    timer.start(10)
    open_files(window, qtbot, [archive], timeout=60000)
    timer.stop()
    assert len(ticks) >= 5  # the GUI thread ran timers while the archive was read
    assert any(0 < n < ARCHIVE_ALERTS for n in ticks)  # and saw the table fill


def test_opening_during_an_import_queues_the_second_set(window, qtbot, archive):
    finished = []
    window.import_finished.connect(lambda job: finished.append(job))
    first = window.open_paths([archive])
    second = window.open_paths([SHARED])
    assert window.imports.controller.queue and not second.isRunning()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=60000)
    assert finished == [first, second]
    # the archive's first pass holds the 7 ZTF packets of the folder: kept once
    assert first.added == ARCHIVE_ALERTS and second.added == 57 - len(ZTF_FILES)
    assert window.model.total == len(window.store) == ARCHIVE_ALERTS + 57 - len(ZTF_FILES)


def test_a_reopened_session_loads_its_rows_in_chunks(window, qtbot, monkeypatch, cache):
    from alertview.gui.main_window import MainWindow

    open_files(window, qtbot, [FINK_ZTF_TRANSFER])
    assert window.model.total == 31
    monkeypatch.setattr(file_import, "LOAD_CHUNK", 10)
    monkeypatch.setattr(file_import, "LOAD_BUDGET", 0.0)  # a chunk per turn
    monkeypatch.setattr(file_import, "LOAD_EVERY_MS", 50)  # the count is in by the next
    chunks = []
    reopened = MainWindow(window.store)
    qtbot.addWidget(reopened)
    reopened.model.rowsInserted.connect(lambda _p, a, b: chunks.append(b - a + 1))
    assert reopened.model.total == 10  # the first chunk at once, the others between events
    qtbot.waitUntil(lambda: reopened.imports._total == 31)  # counted off the GUI thread
    # a stream's batch during the load waits in the store for its turn
    late = window.store.add_rows(
        a for a in read_alerts([FINK_ZTF_MULTI], cache) if not isinstance(a, DecodeError)
    )
    reopened.session.batches_stored(late, len(late), 0)
    assert reopened.model.total == 10
    labels = []
    reopened.model.rowsInserted.connect(
        lambda *_: labels.append(reopened.imports.widget.label.text())
    )
    with qtbot.waitSignal(reopened.rows_loaded, timeout=10000):
        pass
    assert reopened.model.total == 31 + len(late) and chunks == [10, 10, 10, 2]
    assert [reopened.model.row_id(r) for r in range(42)] == [r[0] for r in window.store.rows()]
    assert not reopened.imports.widget.isVisible()
    assert "loading the session: 20 of 31 alerts" in labels
    reopened.close()


def test_a_reader_process_that_cannot_start_is_one_error_line(window, qtbot, monkeypatch):
    import multiprocessing

    class NoProcesses:  # a system out of processes
        Pipe = staticmethod(multiprocessing.Pipe)

        def Process(self, **_):  # multiprocessing's name
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(file_import, "IN_PROCESS_BYTES", 0)
    monkeypatch.setattr(file_import.multiprocessing, "get_context", lambda _: NoProcesses())
    job = open_files(window, qtbot, [ZTF_FILES[0]])
    assert job.added == 0 and window.model.total == 0
    (error,) = window.session.errors
    assert error == f"{ZTF_FILES[0]}: cannot read: Resource temporarily unavailable"
    assert window.error_button.text() == "1 error" and not window.imports.widget.isVisible()
