"""Sessions that last: what the viewer receives is kept, reopened and resumed.

Real parts: librdkafka's mock cluster over TCP, real ZTF packets with distinct
ids, real windows (each opened as ``alertview view`` opens one).
"""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from alertview.core.alert import Alert
from alertview.core.avro.schemas import SchemaCache
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.decode import decode_stored, read_alerts
from alertview.core.session.folder import Session, is_session, session_folder
from alertview.core.session.listing import is_in_use as in_use
from alertview.core.session.meta import default_group_id
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.gui.app import choose_session
from alertview.gui.session_windows import open_window, recent_sessions
from tests.conftest import DATA
from tests.stream.kafka_data import produce, stored_ids, ztf_messages


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def mock_broker():
    with EmbeddedBroker("mock") as running:
        yield running


@pytest.fixture
def app():
    from alertview.gui.app import make_application

    return make_application()


def close(window) -> None:
    window.close()
    QApplication.processEvents()


def ids_of(window) -> list[int]:
    return [int(window.model.field(r, "alert_id")) for r in range(window.model.rowCount())]


def click_connect_when_shown(qtbot) -> list:
    """Click Connect in the next modal dialog (the connection dialog) once it shows."""
    clicked: list = []

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            qtbot.wait(50)
            return click()
        buttons = dialog.findChild(QDialogButtonBox)
        clicked.append(dialog)
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(100, click)
    return clicked


def test_received_alerts_survive_a_restart_and_resume_goes_on_without_loss(
    app, qtbot, mock_broker
):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    messages = ztf_messages(30)
    produce(kafka, topic, messages[:20])
    name = "night-1"
    group = default_group_id("view", name)
    window = open_window(Session.named(name))
    window.connect_stream(ConsumerSettings(kafka, (topic,), group, "committed"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 20, timeout=30000)
    assert window.group_label.text() == f"group {group}"
    first = ids_of(window)
    close(window)  # the stream stops after its offsets are committed

    produce(kafka, topic, messages[20:])  # arrives while the viewer is closed
    again = open_window(Session.named(name))
    try:
        assert sorted(ids_of(again)) == sorted(first)  # the same rows, from disk
        row = int(again.model.columns.row.values[0])
        alert = decode_stored(again.store, row, again.cache)
        assert alert.cutouts and all(c for c in alert.cutouts.values())  # cutouts drawable
        assert again.resume_action.isEnabled()
        # after a restart Resume asks through the connection dialog, prefilled
        shown = click_connect_when_shown(qtbot)
        again.resume_action.trigger()
        assert shown and shown[0].group.text() == group
        assert shown[0].start.currentText() == "committed"
        qtbot.waitUntil(lambda: again.model.rowCount() >= 30, timeout=30000)
        qtbot.wait(1500)  # nothing more comes: no duplicate, no loss
        stored = stored_ids(again.store)
        assert len(stored) == len(set(stored)) == 30  # each produced alert exactly once
        assert set(first) <= set(stored)
        assert again.model.rowCount() == 30
    finally:
        close(again)


def test_a_session_reopens_with_its_filter_errors_and_shows_in_recent_sessions(
    app, qtbot, tmp_path
):
    bad = tmp_path / "broken.avro"
    bad.write_bytes(b"Obj\x01 not really")
    opened, paths = choose_session([DATA, bad])
    assert opened.name == "files-alerts+1" and paths == [DATA, bad]
    window = open_window(opened)
    window.open_paths(paths).wait_done(30)
    total = window.model.total
    assert total > 0 and window.error_button.text() == "1 error"
    window.filter_edit.setText('survey == "ztf"')
    window.apply_filter()
    folder = opened.folder
    assert in_use(folder)
    close(window)
    assert not in_use(folder)
    assert str(folder) in recent_sessions()

    reopened, rest = choose_session([folder])  # a session folder given as a path
    assert rest == []
    window = open_window(reopened)
    try:
        assert window.model.total == total
        assert window.filter_edit.text() == 'survey == "ztf"'
        assert window.error_button.text() == "1 error"  # the unreadable file, kept
        assert window.store.errors()[0].source == str(bad)
        assert window.opened.name in window.windowTitle()
    finally:
        close(window)


def test_an_untitled_window_left_empty_leaves_no_session(app, data_dir):
    opened, _ = choose_session([])
    assert opened.is_untitled
    window = open_window(opened)
    folder = opened.folder
    assert is_session(folder)
    close(window)
    assert not folder.exists()


def test_connecting_from_an_untitled_window_moves_to_the_streams_session(app, qtbot, mock_broker):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, ztf_messages(5))
    window = open_window(Session.untitled())
    untitled = window.opened.folder

    from PySide6.QtCore import QTimer

    def fill_and_connect() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, fill_and_connect)
            return
        dialog.bootstrap.setText(kafka.bootstrap)
        dialog._show_topics([type("T", (), {"name": topic, "partitions": [0], "available": 5})])
        dialog.topics.selectRow(0)
        assert dialog.session_name.placeholderText() == f"{topic}-127.0.0.1"
        assert dialog.group.placeholderText() == default_group_id("view", f"{topic}-127.0.0.1")
        dialog.start.setCurrentText("earliest")
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(100, fill_and_connect)
    window.ask_connect()
    qtbot.waitUntil(lambda: not untitled.exists(), timeout=10000)  # empty: removed
    streaming = [
        w for w in QApplication.topLevelWidgets() if getattr(w, "opened", None) and w.isVisible()
    ]
    assert len(streaming) == 1
    new = streaming[0]
    try:
        assert new.opened.folder == session_folder(f"{topic}-127.0.0.1")
        qtbot.waitUntil(lambda: new.model.rowCount() == 5, timeout=30000)
        assert new.opened.meta.stream.topics == (topic,)
        assert "password" not in (new.opened.folder / "session.json").read_text()
    finally:
        close(new)


def test_what_consume_stored_opens_in_the_viewer(app, qtbot, mock_broker, data_dir):
    from tests.stream.commands import run_alertview

    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, ztf_messages(12))
    consumed = run_alertview(
        "consume", "--bootstrap", kafka.bootstrap, "--topic", topic, "--from", "earliest",
        "--session", "night-2", "--max", "12", "--timeout", "20",
        env={"ALERTVIEW_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    assert consumed.returncode == 0, consumed.stderr
    opened, _ = choose_session([], "night-2")  # `alertview view --session night-2`
    window = open_window(opened)
    try:
        assert window.model.total == 12
        assert len(set(ids_of(window))) == 12  # each consumed alert, once
        assert window.error_button.text() == "0 errors"
    finally:
        close(window)


def test_a_temporary_session_commits_nothing_and_leaves_nothing(app, qtbot, mock_broker):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, ztf_messages(6))
    group = f"g-{uuid.uuid4().hex[:6]}"
    window = open_window(Session.temporary())
    window.connect_stream(ConsumerSettings(kafka, (topic,), group, "committed"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=30000)
    assert "none committed" in window.group_label.toolTip()
    folder = window.opened.folder
    close(window)
    assert not folder.exists()
    # the same group from "committed" reads them all again: nothing was committed
    kept = open_window(Session.named("kept"))
    try:
        kept.connect_stream(ConsumerSettings(kafka, (topic,), group, "committed"))
        qtbot.waitUntil(lambda: kept.model.rowCount() == 6, timeout=30000)
    finally:
        close(kept)


def test_a_nearly_full_disk_stops_storing_and_says_so(app, qtbot, mock_broker, monkeypatch):
    kafka = KafkaSettings(mock_broker.bootstrap)
    topic = f"alerts-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, ztf_messages(4))
    window = open_window(Session.named("full-disk"))
    try:
        # the stream's process sees a disk with less free space than it must keep
        monkeypatch.setenv("ALERTVIEW_MIN_FREE_BYTES", str(1 << 60))
        window.connect_stream(ConsumerSettings(kafka, (topic,), "g-full", "earliest"))
        qtbot.waitUntil(
            lambda: "storing stopped: disk nearly full" in window.status.text(), timeout=30000
        )
        assert window.stream_state.text() == "storing stopped: disk nearly full"
        assert any(e.startswith("disk nearly full") for e in window.session.errors)
        assert window.model.total == 0  # nothing stored, so nothing shown as kept
    finally:
        close(window)


def test_file_open_session_moves_the_window_to_the_chosen_session(app, qtbot):
    from PySide6.QtCore import QTimer

    from alertview.gui.session_dialog import SessionDialog

    with Session.named("other night") as other:
        other.store.add([a for a in read_alerts([DATA], SchemaCache()) if isinstance(a, Alert)])
        wanted = len(other.store)
    window = open_window(Session.named("this night"))
    chosen: list = []

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SessionDialog):
            QTimer.singleShot(50, choose)
            return
        names = [s.name for s in dialog.sessions]
        chosen.append(names)
        dialog.table.selectRow(names.index("other night"))
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open).click()

    QTimer.singleShot(100, choose)
    open_action = next(
        a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "Open &session…"
    )
    open_action.trigger()
    assert chosen and "other night" in chosen[0] and "this night" in chosen[0]
    shown = [w for w in QApplication.topLevelWidgets() if getattr(w, "opened", None)]
    assert len(shown) == 1 and shown[0] is not window
    try:
        assert shown[0].opened.name == "other night"
        assert shown[0].model.total == wanted > 0
        assert not window.isVisible()
    finally:
        close(shown[0])


def test_the_error_dialog_still_shows_after_the_window_moved_to_another_session(app, qtbot):
    """`alertview view` installs its error hook on its first window; connecting or
    opening a session replaces that window, and a later bug must still show."""
    from alertview.gui.exception_hook import ExceptionHook
    from alertview.gui.session_windows import switch_session

    first = open_window(Session.untitled())
    with ExceptionHook(first) as hook:
        second = switch_session(first, Session.named("next"))
        qtbot.waitUntil(lambda: not first.isVisible())
        QApplication.processEvents()  # the first window is deleted
        try:
            hook._show("ValueError: boom", "Traceback ...")
            assert hook.dialog is not None and hook.dialog.isVisible()
            assert hook.dialog.parent() is second
        finally:
            hook.dialog.close()
            close(second)
