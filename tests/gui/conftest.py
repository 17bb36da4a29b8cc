"""Qt fixtures: offscreen, and no widget or thread may outlive its test."""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def no_leftovers(qapp):
    threads_before = set(threading.enumerate())
    yield
    from PySide6.QtWidgets import QApplication

    qapp.processEvents()
    left = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not left, f"top-level widgets left open: {left}"
    # a QThread that ran Python shows up as a _DummyThread forever: QThreads are checked
    # by the tests themselves (isRunning), Python threads here
    extra = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    assert not extra, f"threads left running: {extra}"


@pytest.fixture(autouse=True)
def collect_in_the_gui_thread():
    """As the app does (``make_application``): no cyclic collection in a worker thread
    during a GUI test (it would destroy widgets off the GUI thread); the leftovers of
    the test are collected here, in the GUI thread, and other tests run as usual."""
    import gc

    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def private_settings(tmp_path):
    """QSettings go to a temporary folder, never the user's own configuration."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield tmp_path


@pytest.fixture
def window(qtbot, tmp_path):
    from alertview.core.session.store import AlertStore
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    make_application()
    store = AlertStore(tmp_path / "session")
    main = MainWindow(store)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
    store.close()
