"""The window follows a dark system scheme and returns to light."""

from __future__ import annotations

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
