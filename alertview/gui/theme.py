"""Colours: the bands' colours and symbols (one place, so bands look alike
everywhere), and the window following the system's light or dark scheme.

Qt follows the platform scheme where its platform theme does (macOS,
Windows, recent GNOME/KDE); elsewhere (plain X11, Xvfb) a dark system
setting would leave a light window. We read the scheme Qt reports and, when
it is dark, apply a dark Fusion palette ourselves; the plots and stamps keep
their dark backgrounds either way. View → Colour scheme overrides the system
(System / Light / Dark), remembered in QSettings (``view/scheme``).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

#: Per-band colours (ZTF g r i, Rubin u g r i z y), readable on light and dark.
BAND_COLOURS = {
    "u": "#7b3fb5",
    "g": "#2ca02c",
    "r": "#d62728",
    "i": "#e08a1e",
    "z": "#8c564b",
    "y": "#555555",
}
BAND_SYMBOLS = {"u": "s", "g": "o", "r": "o", "i": "d", "z": "h", "y": "star"}
DEFAULT_COLOUR = "#1f77b4"


def band_colour(band: str) -> str:
    return BAND_COLOURS.get(band, DEFAULT_COLOUR)


def band_symbol(band: str) -> str:
    return BAND_SYMBOLS.get(band, "o")


_DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.ToolTipBase: "#2b2b2b",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#333333",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#2f6fb0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6cb4ff",
    QPalette.ColorRole.PlaceholderText: "#8a8a8a",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
    palette.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7a7a")
    )
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_color_scheme(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Match the window colours to ``scheme`` (default: what the system says)."""
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    ours = bool(app.property("alertview_dark"))  # the dark palette is the one we set
    if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()):
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
        app.setProperty("alertview_dark", True)
    elif (
        scheme != Qt.ColorScheme.Dark
        and is_dark(app.palette())
        # an unknown scheme leaves a dark palette the platform gave alone, not ours
        and (scheme == Qt.ColorScheme.Light or ours)
    ):
        app.setPalette(app.style().standardPalette())
        app.setProperty("alertview_dark", False)


#: The user's choices in View → Colour scheme, as kept in QSettings.
SCHEMES = {"system": None, "light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
SCHEME_KEY = "view/scheme"


def chosen_scheme() -> str:
    """The user's last choice: "system", "light" or "dark" (an unknown one: system)."""
    choice = str(QSettings().value(SCHEME_KEY, "system"))
    return choice if choice in SCHEMES else "system"


def apply_chosen_scheme(app: QApplication, system: Qt.ColorScheme | None = None) -> None:
    """Apply the user's choice, or the system's scheme when the choice is "system"."""
    forced = SCHEMES[chosen_scheme()]
    apply_color_scheme(app, forced if forced is not None else system)


def choose_scheme(app: QApplication, choice: str) -> None:
    """View → Colour scheme: apply ``choice`` now and remember it."""
    if choice not in SCHEMES:
        raise ValueError(f"colour scheme {choice!r}: one of {', '.join(SCHEMES)}")
    QSettings().setValue(SCHEME_KEY, choice)
    hints = QGuiApplication.styleHints()
    forced = SCHEMES[choice]
    # where the platform theme can switch (Qt 6.8+), ask it too: its own palette then
    # matches; elsewhere our palette does the work
    if forced is None:
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(forced)
    apply_chosen_scheme(app)


def follow_system_scheme(app: QApplication) -> None:
    """Apply the chosen scheme now, and the system's whenever it changes while the
    choice is "system"."""
    forced = SCHEMES[chosen_scheme()]
    if forced is not None:
        QGuiApplication.styleHints().setColorScheme(forced)
    apply_chosen_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(
        lambda scheme: apply_chosen_scheme(app, scheme)
    )
