"""The Help menu (keys, quick start, About) and the View menu (panels, colour scheme,
columns) of the main window, through its menu bar's actions."""

from __future__ import annotations

import re
from importlib import metadata

import fastavro
import numpy
import pyqtgraph
import PySide6
import pytest
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

import alertview
from alertview.core.logs import log_dir
from alertview.core.session.store import default_sessions_dir
from tests.conftest import REPO, SHARED


def menu(window, title):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title} menu in {[a.text() for a in window.menuBar().actions()]}")


def entry(menu_, text):
    for action in menu_.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no {text!r} in {[a.text() for a in menu_.actions()]}")


def test_help_is_the_last_menu_and_view_follows_stream(window):
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[-1] == "Help"
    assert titles.index("View") == titles.index("Stream") + 1


def test_keyboard_shortcuts_lists_the_real_keys(window, qtbot):
    entry(menu(window, "Help"), "Keyboard shortcuts").trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    rows = dialog.rows()
    # every action with a name and a key is listed with that key
    for action in window.findChildren(QAction):
        text = action.text().replace("&", "").strip()
        if text and action.shortcuts():
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            listed = [keys for _where, keys, what in rows if what.startswith(text)]
            assert any(shown in keys for keys in listed), (text, shown, listed)
    assert ("File menu", "Ctrl+K", "Connect to Kafka…") in rows
    # the triage keys, on the alert table, and their Shift variants for whole objects
    table_keys = {keys for where, keys, _what in rows if where == "Alert table"}
    for key in ("I", "F", "R", "0, Backspace", "N", "T", "Space, J", "Shift+I", "Return"):
        assert key in table_keys, key
    assert any(w.startswith("Interesting — every alert") for _p, k, w in rows if k == "Shift+I")
    assert ("Objects tab", "B", "Blink") in rows
    # F1 opens it again (the same dialog, raised)
    dialog.close()
    entry(menu(window, "Help"), "Keyboard shortcuts").trigger()
    assert window.shortcuts_dialog is dialog and dialog.isVisible()
    dialog.close()


def test_quick_start_shows_the_readme_commands(window, qtbot):
    from alertview.gui.help_menu import QUICK_START

    entry(menu(window, "Help"), "Quick start").trigger()
    dialog = window.quick_start_dialog
    text = dialog.browser.toPlainText()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(QUICK_START) >= 6
    for _what, command in QUICK_START:
        assert command in text
        assert command in readme, f"the quick start's {command!r} is no longer in README.md"
    # the README's install-and-run command is the quick start's first
    assert f"```sh\n{QUICK_START[0][1]}\n```" in readme
    assert "Ctrl+K" in text and "Space" in text
    dialog.close()


def test_about_lists_versions_licence_and_folders(window, qtbot):
    import confluent_kafka

    entry(menu(window, "Help"), "About AlertView").trigger()
    dialog = window.about_dialog
    assert dialog.isVisible()
    shown = dialog.label.text()
    expected = {
        "AlertView": alertview.__version__,
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "pyqtgraph": pyqtgraph.__version__,
        "confluent-kafka": metadata.version("confluent-kafka"),  # its installed package
        "librdkafka": confluent_kafka.libversion()[0],  # (text, number)
        "fastavro": fastavro.__version__,
        "astropy": __import__("astropy").__version__,
        "numpy": numpy.__version__,
    }
    for name, version in expected.items():
        assert f"<td>{name}</td><td>{version}</td>" in shown, name
    assert "Licence: Apache-2.0" in shown
    assert str(default_sessions_dir()) in shown and str(log_dir()) in shown
    # Copy puts the same facts as text on the clipboard, for a bug report
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert f"librdkafka {expected['librdkafka']}" in copied
    assert re.search(rf"^Logs: {re.escape(str(log_dir()))}$", copied, re.MULTILINE)
    dialog.close()


def test_view_menu_hides_and_shows_the_panels_and_remembers_them(window, qtbot):
    from alertview.gui.window_settings import save_window_settings

    view = menu(window, "View")
    for text, widget in (
        ("Inspection pane", window.inspection),
        ("Filter bar", window.filter_bar),
        ("Status bar", window.statusBar()),
    ):
        action = entry(view, text)
        assert action.isChecked() and widget.isVisible()
        action.trigger()
        assert not action.isChecked() and not widget.isVisible()
    # the table takes the room the inspection pane left
    qtbot.waitUntil(lambda: window.table.width() > window.width() * 0.9, timeout=2000)
    save_window_settings(window)
    assert QSettings().value("view/inspection", type=bool) is False
    entry(view, "Filter bar").trigger()
    assert window.filter_bar.isVisible()
    # a new window comes back as this one was left
    window.restore_settings()
    assert not window.filter_bar.isVisible() and not window.inspection.isVisible()
    for text in ("Inspection pane", "Filter bar", "Status bar"):
        entry(view, text).trigger()
    assert window.inspection.isVisible() and window.statusBar().isVisible()


def test_view_columns_is_the_column_chooser(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths([SHARED])
    columns = window.columns_menu
    columns.aboutToShow.emit()  # filled as it opens: broker columns met since are in it
    texts = [a.text() for a in columns.actions()]
    model = window.model
    assert texts == [model.column(n).header for n in range(model.columnCount())]
    assert len(texts) > 13  # the Fink fields of the shared files
    band = texts.index("Band")
    columns.actions()[band].trigger()
    assert window.table.isColumnHidden(band)
    columns.aboutToShow.emit()
    assert not columns.actions()[band].isChecked()
    columns.actions()[band].trigger()
    assert not window.table.isColumnHidden(band)


@pytest.fixture
def restore_light(qapp):
    from alertview.gui.theme import choose_scheme

    yield
    choose_scheme(qapp, "light")
    choose_scheme(qapp, "system")
    QGuiApplication.styleHints().unsetColorScheme()


def test_view_colour_scheme_switches_and_is_remembered(window, qtbot, restore_light):
    from alertview.gui.theme import chosen_scheme, is_dark
    from alertview.gui.view_menu import install_view_menu

    app = QGuiApplication.instance()
    schemes = window.scheme_actions
    assert schemes["system"].isChecked()
    schemes["dark"].trigger()
    assert is_dark(app.palette()) and chosen_scheme() == "dark"
    assert QSettings().value("view/scheme") == "dark"
    # the window's own widgets draw with it (told by an event)
    base = lambda: window.table.palette().color(window.table.palette().ColorRole.Base)  # noqa: E731
    qtbot.waitUntil(lambda: base().lightness() < 80, timeout=2000)
    assert schemes["dark"].isChecked() and not schemes["light"].isChecked()
    # a menu built later (a new window) shows the remembered choice
    install_view_menu(window)
    assert window.scheme_actions["dark"].isChecked()
    window.scheme_actions["light"].trigger()
    assert not is_dark(app.palette()) and chosen_scheme() == "light"
    qtbot.waitUntil(lambda: base().lightness() > 200, timeout=2000)
    assert QGuiApplication.styleHints().colorScheme() in (
        Qt.ColorScheme.Light,
        Qt.ColorScheme.Unknown,
    )
