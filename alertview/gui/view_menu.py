"""The View menu: which panels show, the colour scheme, the table's columns.

Each panel's entry is checkable and remembered with the window's other settings
(``window_settings``); the colour scheme is the application's (``theme``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from alertview.gui.theme import choose_scheme, chosen_scheme

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: (settings key, menu text, the window's widget by name): the panels one can hide.
PANELS = (
    ("inspection", "&Inspection pane", "inspection"),
    ("filter_bar", "&Filter bar", "filter_bar"),
    ("status_bar", "&Status bar", "statusBar"),
)
SCHEME_TEXTS = {"system": "&System", "light": "&Light", "dark": "&Dark"}


def _panel(window: MainWindow, name: str) -> QWidget:
    widget = getattr(window, name)
    return widget() if callable(widget) else widget


def install_view_menu(window: MainWindow) -> QMenu:
    """Add the View menu to ``window``: ``window.panel_actions`` (by settings key),
    ``window.scheme_actions`` (by scheme) and ``window.columns_menu``."""
    menu = window.menuBar().addMenu("&View")
    window.panel_actions = {}
    for key, text, name in PANELS:
        panel = _panel(window, name)
        action = QAction(text, window, checkable=True)
        action.setChecked(True)
        action.toggled.connect(panel.setVisible)
        menu.addAction(action)
        window.panel_actions[key] = action
    menu.addSeparator()
    schemes = menu.addMenu("Colour s&cheme")
    group = QActionGroup(window)  # exclusive: one scheme at a time
    window.scheme_actions = {}
    current = chosen_scheme()
    for scheme, text in SCHEME_TEXTS.items():
        action = QAction(text, group, checkable=True)
        action.setChecked(scheme == current)
        action.setToolTip(
            "follow the system's light or dark setting" if scheme == "system" else ""
        )
        action.triggered.connect(
            lambda _checked=False, s=scheme: choose_scheme(QApplication.instance(), s)
        )
        schemes.addAction(action)
        window.scheme_actions[scheme] = action
    # the same chooser as a right click on the table's header, filled when opened:
    # broker columns appear as a session meets their fields
    window.columns_menu = menu.addMenu("&Columns")
    window.columns_menu.aboutToShow.connect(
        lambda: window.table.fill_column_menu(window.columns_menu)
    )
    window.table.fill_column_menu(window.columns_menu)
    return menu
