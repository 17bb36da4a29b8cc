"""The Help menu: keyboard shortcuts, a quick start, About.

The shortcuts are read from the window's own actions when the dialog opens, so
the list is the keys that work (a helper that adds a menu adds its keys here
too); keys handled in ``keyPressEvent``s, which no action declares, are listed in
``KEY_HANDLERS``. The quick start repeats the README's commands (the README is
not installed with the package; a test keeps the two alike).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from alertview.gui.about import AboutDialog

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: (where, keys, what): keys no QAction declares (widgets' ``keyPressEvent``s, Qt's own).
KEY_HANDLERS = (
    ("Alert table", "Up, Down", "previous / next alert (its cutouts and light curve follow)"),
    ("Alert table", "Return", "the Packet & links tab of the row"),
    ("Alert table", "Ctrl+A", "select every alert shown (then Export, or a triage key)"),
    ("Alert table", "Ctrl+click", "clear the selection: Follow newest scrolls again"),
    ("Objects table", "I, F, R, 0, N, T", "triage every alert of the chosen object"),
    ("Filter box", "Return", "apply the filter"),
    ("Filter box", "Down", "the filters used before"),
    ("Packet tree", "Ctrl+C", "copy the selected fields"),
)

#: (what it does, command): the README's quick start, as the README writes each command.
QUICK_START = (
    (
        "Install from a checkout and run the demo (an embedded broker replaying the "
        "real ZTF and Rubin alerts AlertView ships, into this viewer)",
        "bash packaging/install.sh --demo",
    ),
    (
        "The same by hand, off Debian",
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/alertview demo",
    ),
    ("The live path end to end, once installed", "alertview demo"),
    ("Open files, folders or archives (File → Open too)", "alertview view PATH..."),
    ("Reopen a session (File → Recent sessions too)", "alertview view --session NAME"),
    ("No display: print the shipped alerts", ".venv/bin/alertview inspect --samples"),
    ("Draw one alert to a PNG", "alertview render PATH --index I --out FILE.png"),
    ("A broker of your own, for replays", "alertview broker --port-file /tmp/kafka"),
    ("Run the tests (from a checkout)", "bash .ci/run"),
)
#: What to do in the window once it is open.
IN_THE_WINDOW = (
    "File → Connect to Kafka… (Ctrl+K): a profile, List topics, choose, Connect.",
    'Type a filter and Return, e.g. <code>mag &lt; 19 and band == "r"</code> or '
    '<code>triage != "reject"</code>.',
    "On the table: I interesting, F follow-up, R reject, 0 clear, N note, T tags; "
    "Space (or J) the next alert not yet triaged.",
    "Right-click a column header (or View → Columns) to choose columns.",
    "The Sky tab beside the cutouts: Box or Lasso drag a region whose alerts filter the "
    "table; Clear sky selection (or the status bar's ✕) ends it.",
    "SAMP → Connect to SAMP hub, then Send selection, position or cutouts to TOPCAT, "
    "Aladin or DS9; a row or position they send back selects the alert.",
)


def _where(window: MainWindow, action: QAction) -> str:
    """The widget whose focus a key needs, or the menus it is in."""
    objects = action.associatedObjects()
    if action.shortcutContext() in (
        Qt.ShortcutContext.WidgetShortcut,
        Qt.ShortcutContext.WidgetWithChildrenShortcut,
    ):
        if window.table in objects:
            return "Alert table"
        if getattr(window, "objects", None) in objects:
            return "Objects tab"
        return "Its pane"
    menus = [o.title().replace("&", "") for o in objects if isinstance(o, QMenu) and o.title()]
    return " / ".join(menus) + " menu" if menus else "Window"


def shortcut_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    """(where, keys, what) of every key in the window: its actions' shortcuts (those
    with a name), then ``KEY_HANDLERS``."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for action in window.findChildren(QAction):
        text = action.text().replace("&", "").strip()
        if not text or not action.shortcuts():
            continue
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
        )
        if (keys, text) in seen:
            continue
        seen.add((keys, text))
        rows.append((_where(window, action), keys, text))
    plain = {(where, what) for where, keys, what in rows if not keys.startswith("Shift+")}
    rows = [
        (where, keys, f"{what} — every alert of the selected alerts' objects")
        if keys.startswith("Shift+") and (where, what) in plain
        else (where, keys, what)
        for where, keys, what in rows
    ]
    rows.sort(key=lambda row: (row[0] != "File menu", row[0], row[1]))
    return rows + list(KEY_HANDLERS)


class ShortcutsDialog(QDialog):
    """The keys: a table of where, keys and what they do."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 560)

    def rows(self) -> list[tuple[str, ...]]:
        """What the dialog lists (for a test, or a user's copy)."""
        return [
            tuple(self.table.item(r, c).text() for c in range(3))
            for r in range(self.table.rowCount())
        ]


def quick_start_html() -> str:
    commands = "".join(
        f"<p>{html.escape(what)}:</p><pre>{html.escape(command)}</pre>"
        for what, command in QUICK_START
    )
    steps = "".join(f"<li>{step}</li>" for step in IN_THE_WINDOW)
    return f"<h3>In the window</h3><ul>{steps}</ul><h3>From a terminal</h3>{commands}"


class QuickStartDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quick start")
        self.browser = QTextBrowser()
        self.browser.setHtml(quick_start_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(720, 560)


def _show(window: MainWindow, name: str, make) -> QDialog:
    """One dialog of each kind, not modal (the window stays usable), raised if open."""
    dialog = getattr(window, name, None)
    if dialog is None:
        dialog = make()
        setattr(window, name, dialog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def install_help_menu(window: MainWindow) -> QMenu:
    """The Help menu, last in the menu bar; its dialogs as ``window.shortcuts_dialog``,
    ``window.quick_start_dialog`` and ``window.about_dialog`` once opened."""
    menu = window.menuBar().addMenu("&Help")

    def add(text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    window.shortcuts_action = add(
        "&Keyboard shortcuts",
        lambda: _show(window, "shortcuts_dialog", lambda: ShortcutsDialog(window)),
        "F1",
    )
    window.quick_start_action = add(
        "&Quick start",
        lambda: _show(window, "quick_start_dialog", lambda: QuickStartDialog(window)),
    )
    menu.addSeparator()
    window.about_action = add(
        "&About AlertView", lambda: _show(window, "about_dialog", lambda: AboutDialog(window))
    )
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    return menu
