"""The window follows a dark system scheme and returns to light; View → Colour scheme
chooses System, Light or Dark and is remembered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


def test_dark_and_light_schemes(qapp):
    from alertview.gui.app import make_application
    from alertview.gui.theme import apply_color_scheme, is_dark

    app = make_application()
    try:
        apply_color_scheme(app, Qt.ColorScheme.Dark)
        assert is_dark(app.palette())
        text = app.palette().color(app.palette().ColorRole.Text)
        assert text.lightness() > 180  # light text on the dark base: readable
    finally:
        apply_color_scheme(app, Qt.ColorScheme.Light)
    assert not is_dark(app.palette())


def test_the_chosen_scheme_is_remembered_and_wins_over_the_system(qapp):
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QGuiApplication

    from alertview.gui.app import make_application
    from alertview.gui.theme import (
        apply_chosen_scheme,
        apply_color_scheme,
        choose_scheme,
        chosen_scheme,
        is_dark,
    )

    app = make_application()  # follows the system's changes (once per application)
    hints = QGuiApplication.styleHints()
    try:
        assert chosen_scheme() == "system"  # nothing chosen yet
        choose_scheme(app, "dark")
        assert is_dark(app.palette())
        assert QSettings().value("view/scheme") == "dark"
        # the next start applies it (the palette as a light start leaves it)
        app.setPalette(app.style().standardPalette())
        apply_chosen_scheme(app)
        assert is_dark(app.palette())
        # a system switch to light changes nothing while Dark is chosen
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert is_dark(app.palette())
        # System: back to what the system says (Xvfb and offscreen say nothing: light),
        # then its changes are followed
        choose_scheme(app, "system")
        assert not is_dark(app.palette())
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert is_dark(app.palette())
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not is_dark(app.palette())
        with pytest.raises(ValueError, match="one of system, light, dark"):
            choose_scheme(app, "purple")
        QSettings().setValue("view/scheme", "purple")  # a damaged setting: system
        assert chosen_scheme() == "system"
    finally:
        choose_scheme(app, "system")
        apply_color_scheme(app, Qt.ColorScheme.Light)
