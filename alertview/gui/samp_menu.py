"""The SAMP menu: send alerts to TOPCAT, Aladin or DS9, and follow what they point at.

``install_samp(window)`` adds it; ``SampMenu`` implements ``controllers.samp.SampView``.
Messages from other tools arrive on the SAMP client's thread and cross to the GUI
thread through the ``received`` signal (a queued connection). AlertView connects only
when the user asks, or at start when they chose "Connect at start".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from alertview.controllers.samp import SampController
from alertview.core.alert import Alert
from alertview.core.decode import decode_stored
from alertview.core.samp.connection import Received
from alertview.core.table.columns import AlertColumns

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: QSettings key: connect to the hub when the window opens (default: no).
CONNECT_AT_START = "samp/connect_at_start"


class SampMenu(QObject):
    """The window's SAMP menu and its side of ``SampController``."""

    #: A message from another tool (``core.samp.Received``), emitted on the SAMP thread.
    received = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = SampController(self, self.received.emit)
        # emitted on the SAMP client's thread: queued, so the slot runs in the GUI thread
        self.received.connect(self._received, Qt.ConnectionType.QueuedConnection)
        self.menu = window.menuBar().addMenu("SA&MP")
        self.connect_action = QAction("&Connect to SAMP hub", self, checkable=True)
        self.connect_action.toggled.connect(self._connect_toggled)
        self.menu.addAction(self.connect_action)
        self.menu.addSeparator()
        self.selection_menu = self._send_menu("Send &selection to", "selection")
        self.position_menu = self._send_menu("Send &position to", "position")
        self.cutouts_menu = self._send_menu("Send c&utouts to", "cutouts")
        self.menu.addSeparator()
        self.at_start_action = QAction("Connect at &start", self, checkable=True)
        self.at_start_action.setChecked(_setting(CONNECT_AT_START))
        self.at_start_action.toggled.connect(self._remember_at_start)
        self.menu.addAction(self.at_start_action)
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._quitting)  # dropped with this object
        if self.at_start_action.isChecked():
            QTimer.singleShot(0, self, lambda: self.connect_action.setChecked(True))

    def _send_menu(self, title: str, what: str) -> QMenu:
        """A "Send … to" submenu, refilled from the controller's entries each time it
        opens (tools come and go)."""
        menu = self.menu.addMenu(title)

        def fill() -> None:
            menu.clear()
            for i, entry in enumerate(self.controller.send_entries(what)):
                if i == 0:
                    action = menu.addAction(f"&{entry.label}")
                else:
                    if i == 1:
                        menu.addSeparator()
                    action = menu.addAction(entry.label)
                    action.setToolTip(entry.recipient.client_id if entry.recipient else "")
                action.triggered.connect(
                    lambda _=False, r=entry.recipient: self.controller.send(what, r)
                )

        menu.aboutToShow.connect(fill)
        fill()
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.controller.close()  # leave the hub (stop ours) with the window
        return False

    def _received(self, message: Received) -> None:
        self.controller.received(message)

    def _quitting(self) -> None:
        self.controller.close()

    def _connect_toggled(self, checked: bool) -> None:
        if checked and not self.controller.connected:
            self.controller.connect()
        elif not checked and self.controller.connected:
            self.controller.disconnect()

    def _remember_at_start(self, checked: bool) -> None:
        settings = QSettings()
        settings.setValue(CONNECT_AT_START, checked)
        settings.sync()

    # -- the SampView the controller drives -------------------------------------------
    def table_columns(self) -> AlertColumns:
        return self.window.model.columns

    def shown_positions(self) -> np.ndarray:
        return self.window.model.shown_positions()

    def selected_positions(self) -> np.ndarray:
        return self.window.table.selected_positions()

    def current_position(self) -> int | None:
        index = self.window.table.currentIndex()
        return self.window.model.position(index.row()) if index.isValid() else None

    def current_alert(self) -> Alert | None:
        position = self.current_position()
        if position is None:
            return None
        row = int(self.window.model.columns.row.values[position])
        return decode_stored(self.window.store, row, self.window.cache)

    def select_alert(self, alert_id: int) -> bool:
        return self.window.table.select_alert_id(alert_id)

    def show_message(self, text: str) -> None:
        self.window.show_message(text)

    def show_connected(self, connected: bool) -> None:
        self.connect_action.blockSignals(True)
        self.connect_action.setChecked(connected)
        self.connect_action.blockSignals(False)


def _setting(key: str) -> bool:
    value = QSettings().value(key, False)
    return value is True or str(value).lower() == "true"


def install_samp(window: MainWindow) -> SampMenu:
    """The SAMP menu for ``window`` (kept as ``window.samp``)."""
    window.samp = SampMenu(window)
    return window.samp
