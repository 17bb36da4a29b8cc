"""The viewer's windows carry AlertView's icon and name the desktop entry."""

from __future__ import annotations

from alertview.core.desktop_entry import DESKTOP_FILE, ICON_SIZES


def test_the_application_has_the_icon_at_every_size(qapp):
    from PySide6.QtCore import QSize

    from alertview.gui.app import make_application

    app = make_application()
    icon = app.windowIcon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == list(ICON_SIZES)
    assert icon.actualSize(QSize(32, 32)) == QSize(32, 32)
    assert app.desktopFileName() + ".desktop" == DESKTOP_FILE
