"""Qt's own messages into AlertView's log instead of the terminal.

Qt prints its warnings straight to stderr ("This plugin does not support
propagateSizeHints()", "QFont::setPointSize...", "qt.qpa.fonts: ..."): in
`alertview render` that is noise around the one line the command means to
print. Routed here, they are debug lines (shown with ``--debug``); Qt's
critical and fatal messages stay errors.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("alertview.qt")

_SEVERE = (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)


def _to_log(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    category = context.category or "qt"
    level = logging.ERROR if kind in _SEVERE else logging.DEBUG
    log.log(level, "%s: %s", category, message)


def route_qt_messages() -> None:
    """Send Qt's messages to the ``alertview.qt`` logger from now on (install it before
    the QApplication: the platform plugin speaks while it starts)."""
    qInstallMessageHandler(_to_log)
