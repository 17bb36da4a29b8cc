"""An exception nothing caught shows in the viewer, with its details one click away."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from alertview.gui.exception_hook import ExceptionHook


class _Boom(QObject):
    fired = Signal()


@pytest.fixture
def hook(qtbot):
    """An installed hook; the hooks found before are checked to be back afterwards."""
    before = (sys.excepthook, threading.excepthook)
    with ExceptionHook() as installed:
        assert sys.excepthook != before[0] and threading.excepthook != before[1]
        yield installed
    assert (sys.excepthook, threading.excepthook) == before
    if installed.dialog is not None:
        installed.dialog.close()
        installed.dialog.deleteLater()


def _click_copy(qtbot, hook: ExceptionHook) -> str:
    QApplication.clipboard().clear()
    qtbot.mouseClick(hook.dialog.copy_button, Qt.MouseButton.LeftButton)
    return QApplication.clipboard().text()


def test_a_slots_exception_shows_its_traceback_and_copy_details_copies_it(hook, qtbot, caplog):
    def slot() -> None:
        raise ValueError("a bug in a slot")

    boom = _Boom()
    boom.fired.connect(slot)
    with caplog.at_level(logging.ERROR, logger="alertview"):
        boom.fired.emit()  # PySide6 gives the slot's exception to sys.excepthook
        qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.isVisible())
    assert "ValueError: a bug in a slot" in hook.dialog.summary.text()
    copied = _click_copy(qtbot, hook)
    assert "Traceback (most recent call last)" in copied
    assert "in slot" in copied and "ValueError: a bug in a slot" in copied
    assert "in the GUI thread" in copied and "AlertView " in copied
    (record,) = [r for r in caplog.records if r.name == "alertview.gui.exception_hook"]
    assert record.exc_info[0] is ValueError  # the log file gets the traceback too


def test_another_threads_exception_reaches_the_dialog_on_the_gui_thread(hook, qtbot):
    shown_on: list[threading.Thread] = []
    hook.caught.connect(lambda *_: shown_on.append(threading.current_thread()))

    def work() -> None:
        raise RuntimeError("a bug in a worker")

    worker = threading.Thread(target=work, name="decoder-7")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.isVisible())
    assert shown_on == [threading.main_thread()]
    copied = _click_copy(qtbot, hook)
    assert "in thread decoder-7" in copied and "RuntimeError: a bug in a worker" in copied


def test_errors_gather_in_one_dialog_and_their_secrets_are_masked(hook, qtbot):
    for n in (1, 2):
        try:
            raise ConnectionError(f"#{n}: https://alice:s3cret-pw@registry.example/ refused")
        except ConnectionError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.count == 2)
    assert hook.dialog.summary.text().startswith("2 unexpected errors")
    copied = _click_copy(qtbot, hook)
    assert "#1: https://***@registry.example/" in copied and "#2:" in copied
    assert "s3cret-pw" not in copied and "s3cret-pw" not in hook.dialog.summary.text()


def test_ctrl_c_is_not_taken_for_a_bug(qtbot, monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: seen.append(args[0]))
    with ExceptionHook() as hook:
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)  # to the one before
        QApplication.processEvents()
    assert seen == [KeyboardInterrupt] and hook.dialog is None
