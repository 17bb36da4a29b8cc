"""Which session each window shows, and moving a window to another session.

A window shows one session. Opening another (File → Open session…, Recent
sessions, connecting to a stream that goes into a session of its own) puts
a new window in the old one's place: every part of it starts from the new
session's store, and the old session is closed (removed if it was untitled
and left empty, or temporary).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QWidget

from alertview.core.errors import AlertViewError
from alertview.core.session.folder import Session

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: Sessions listed under File → Recent sessions.
RECENT = 10
_RECENT_KEY = "sessions/recent"

#: The windows open in this process (Qt does not keep a parentless window alive).
_windows: list[MainWindow] = []


def open_window(session: Session, show: bool = True) -> MainWindow:
    """A main window on ``session``; it closes the session when it closes."""
    from alertview.gui.main_window import MainWindow

    window = MainWindow(session.store, session=session)
    _windows.append(window)
    window.destroyed.connect(lambda *_: _forget(window))
    window.restore_settings()
    window.restore_session()
    remember_recent(session)
    if show:
        window.show()
    return window


def _forget(window: MainWindow) -> None:
    if window in _windows:
        _windows.remove(window)


def switch_session(old: MainWindow, session: Session) -> MainWindow:
    """Show ``session`` in a new window where ``old`` was, and close ``old``."""
    from alertview.gui.window_settings import save_window_settings

    save_window_settings(old)  # the new window takes the old one's layout
    new = open_window(session, show=False)
    new.setGeometry(old.geometry())
    new.show()  # before the old one closes: closing the last window quits
    old.close()
    old.deleteLater()
    return new


def open_session(parent: MainWindow, opener: Callable[[], Session]) -> MainWindow | None:
    """Open a session (``opener``) in ``parent``'s place; a session that cannot be
    opened is said in a message box, and ``parent`` stays as it was."""
    try:
        session = opener()
    except (AlertViewError, OSError) as exc:
        QMessageBox.warning(parent, "Cannot open the session", str(exc))
        return None
    if parent.opened is not None and session.folder == parent.opened.folder:
        session.close()  # already shown here
        return parent
    return switch_session(parent, session)


# -- recent sessions ----------------------------------------------------------------------------
def remember_recent(session: Session) -> None:
    if session.is_temporary or session.is_untitled:
        return
    folder = str(session.folder)
    recent = [f for f in recent_sessions() if f != folder]
    QSettings().setValue(_RECENT_KEY, [folder, *recent][:RECENT])


def recent_sessions() -> list[str]:
    """Folders of the sessions opened last, newest first (those still there)."""
    value = QSettings().value(_RECENT_KEY, [])
    folders = [value] if isinstance(value, str) else list(value or [])
    return [f for f in folders if (Path(f) / "index.sqlite").is_file()]


def fill_recent_menu(window: MainWindow) -> None:
    """File → Recent sessions, rebuilt each time it opens."""
    menu = window.recent_menu
    menu.clear()
    folders = recent_sessions()
    for folder in folders:
        action = menu.addAction(Path(folder).name)
        action.setToolTip(folder)
        action.triggered.connect(
            lambda _=False, f=folder: open_session(window, lambda: Session.at(Path(f)))
        )
    if not folders:
        menu.addAction("(none yet)").setEnabled(False)


def ask_open_session(window: MainWindow) -> None:
    """File → Open session…: the sessions under the data dir, or any session folder."""
    from alertview.gui.session_dialog import SessionDialog

    dialog = SessionDialog(window)
    if dialog.exec() == SessionDialog.DialogCode.Accepted and dialog.chosen is not None:
        chosen = dialog.chosen
        open_session(window, lambda: Session.at(chosen))
    dialog.deleteLater()


def parent_of(widget: QWidget) -> MainWindow | None:
    """The main window a widget belongs to."""
    from alertview.gui.main_window import MainWindow

    top = widget.window()
    return top if isinstance(top, MainWindow) else None
