"""Saved filters, the filter history and watches in the main window.

``install_watches(window)`` adds them: the filter bar's "Saved" menu, the history
completing the filter box, and a ``WatchesView`` that implements
``controllers.watches.WatchView``: desktop notifications (a tray message, or the
status bar where there is no tray), highlighted rows until the user selects them, and
the count of new matches on the button. No sound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from alertview.controllers.watches import WatchController
from alertview.core.table.saved_filters import SavedFilters
from alertview.gui.saved_filters_dialog import ManageFiltersDialog, SaveFilterDialog

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: How long a notification stays (ms), in the tray or the status bar.
MESSAGE_MS = 8000
#: Characters of an expression shown in a menu entry.
MENU_TEXT = 70


class QtSettings:
    """The saved filters' ``SettingsStore`` in QSettings (the user's configuration)."""

    def value(self, key: str) -> Any:
        return QSettings().value(key)

    def set_value(self, key: str, value: str) -> None:
        settings = QSettings()
        settings.setValue(key, value)
        settings.sync()  # another window (or the next start) reads it at once


class Notifier(QObject):
    """Desktop notifications: a tray message where a tray exists, else the status bar.
    ``notified`` carries each message's text (what was shown)."""

    notified = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = window.windowIcon()
            if icon.isNull():
                icon = QApplication.style().standardIcon(
                    QStyle.StandardPixmap.SP_MessageBoxInformation
                )
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("AlertView")
            self.tray.messageClicked.connect(self._bring_window)

    def notify(self, text: str) -> None:
        if self.tray is not None:
            self.tray.show()
            self.tray.showMessage(
                "AlertView", text, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS
            )
        else:
            self.window.statusBar().showMessage(text.replace("\n", "; "), MESSAGE_MS)
        self.notified.emit(text)

    def _bring_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()


class WatchesView(QObject):
    """The window's saved filters and watches (``WatchView`` of the controller)."""

    def __init__(self, window: MainWindow, settings: Any = None) -> None:
        super().__init__(window)
        self.window = window
        self.bar = window.filter_bar
        self.notifier = Notifier(window)
        self.saved = SavedFilters(settings if settings is not None else QtSettings())
        self.controller = WatchController(self.saved, lambda: window.model.columns, self)
        self.dialog: SaveFilterDialog | ManageFiltersDialog | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self.controller.flush)
        window.session.row_listeners.append(self.controller.rows_added)
        self.bar.filters_menu.aboutToShow.connect(self.fill_menu)
        self.bar.accepted.connect(self._remember)
        self.bar.set_history(self.saved.history)
        window.table.selectionModel().currentRowChanged.connect(self._current_changed)
        window.installEventFilter(self)
        self.fill_menu()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self._close_dialog()  # the window goes: its dialogs and tray icon with it
            self._flush_timer.stop()
            self.notifier.close()
        return False

    # -- the WatchView the controller drives ----------------------------------------------
    def notify(self, text: str) -> None:
        self.notifier.notify(text)

    def show_highlights(self, rows: frozenset[int]) -> None:
        self.window.model.set_highlighted(rows)

    def show_watches(self) -> None:
        self.bar.set_badge(self.controller.unseen_total())
        if isinstance(self.dialog, ManageFiltersDialog) and self.dialog.isVisible():
            self.dialog.fill()

    def flush_later(self, delay: float) -> None:
        self._flush_timer.start(max(0, round(delay * 1000)))

    def show_problem(self, text: str) -> None:
        self.window.statusBar().showMessage(text, MESSAGE_MS)

    # -- the menu -----------------------------------------------------------------------
    def fill_menu(self) -> None:
        """Saved filters (click: apply), Save as…, Manage…, the history."""
        menu = self.bar.filters_menu
        menu.clear()
        for saved in self.saved.filters:
            badge = self.controller.badge(saved.name)
            mark = f"  [watch: {badge} new]" if badge else "  [watch]" if saved.watch else ""
            action = menu.addAction(f"{saved.name}{mark}")
            action.setToolTip(saved.expression)
            action.setStatusTip(saved.expression)
            action.triggered.connect(lambda _=False, e=saved.expression: self.apply(e))
        if not self.saved.filters:
            menu.addAction("No saved filters").setEnabled(False)
        menu.addSeparator()
        self.save_action = menu.addAction("Save filter as…", self.ask_save)
        self.save_action.setEnabled(bool(self.bar.edit.text().strip()))
        self.manage_action = menu.addAction("Manage…", self.ask_manage)
        self.manage_action.setEnabled(bool(self.saved.filters))
        if self.controller.unseen_total():
            menu.addAction("Mark watch matches seen", self.controller.clear_seen)
        menu.addSeparator()
        recent = menu.addMenu("Recent filters")
        recent.setEnabled(bool(self.saved.history))
        for expression in self.saved.history:
            shown = expression if len(expression) <= MENU_TEXT else expression[:MENU_TEXT] + "…"
            action = QAction(shown, recent)
            action.setToolTip(expression)
            action.triggered.connect(lambda _=False, e=expression: self.apply(e))
            recent.addAction(action)
        menu.setToolTipsVisible(True)

    def apply(self, expression: str) -> None:
        """Put ``expression`` in the filter box and apply it."""
        self.bar.edit.setText(expression)
        self.window.apply_filter()

    def ask_save(self) -> SaveFilterDialog:
        """The "Save filter as…" dialog for the filter in the box (non-blocking)."""
        self._close_dialog()
        self.dialog = SaveFilterDialog(self.controller, self.bar.edit.text(), self.window)
        self.dialog.finished.connect(lambda _: self.fill_menu())
        self.dialog.open()
        return self.dialog

    def ask_manage(self) -> ManageFiltersDialog:
        """The saved filters to rename, delete, watch or not (non-blocking)."""
        self._close_dialog()
        self.dialog = ManageFiltersDialog(self.controller, self.window)
        self.dialog.finished.connect(lambda _: self.fill_menu())
        self.dialog.open()
        return self.dialog

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    # -- what the user does ---------------------------------------------------------------
    def _remember(self, expression: str) -> None:
        self.saved.remember(expression)
        self.bar.set_history(self.saved.history)

    def _current_changed(self, current, _previous) -> None:
        if current.isValid() and self.controller.unseen_total():
            self.controller.seen(self.window.model.row_id(current.row()))


def install_watches(window: MainWindow) -> WatchesView:
    """Saved filters, history and watches for ``window`` (kept as ``window.watches``)."""
    window.watches = WatchesView(window)
    return window.watches
