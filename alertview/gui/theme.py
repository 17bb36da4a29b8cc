"""Colours: the bands' colours and symbols (one place, so bands look alike
everywhere), and the window following the system's light or dark scheme.

Qt follows the platform scheme where its platform theme does (macOS,
Windows, recent GNOME/KDE); elsewhere (plain X11, Xvfb) a dark system
setting would leave a light window. We read the scheme Qt reports and, when
it is dark, apply a dark Fusion palette ourselves; the plots and stamps keep
their dark backgrounds either way.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
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
    if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()):
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and is_dark(app.palette()):
        app.setPalette(app.style().standardPalette())


def follow_system_scheme(app: QApplication) -> None:
    """Apply the scheme now and whenever the system changes it."""
    apply_color_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(
        lambda scheme: apply_color_scheme(app, scheme)
    )
