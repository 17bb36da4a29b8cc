"""Help → About: what AlertView runs on (the versions a bug report needs), its licence,
and where it keeps sessions and logs."""

from __future__ import annotations

import html
import platform
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

#: The licence in pyproject.toml, when the installed metadata does not say it.
LICENCE = "Apache-2.0"


def _version(module: str) -> str:
    """A module's ``__version__``, else its distribution's, else "unknown"."""
    try:
        return str(__import__(module).__version__)
    except (ImportError, AttributeError):
        try:
            return metadata.version(module)
        except metadata.PackageNotFoundError:
            return "unknown"


def versions() -> list[tuple[str, str]]:
    """(component, version) of AlertView and what it is built on, in the order shown."""
    import PySide6

    from alertview import __version__
    from alertview.core.stream.versions import kafka_versions

    client, librdkafka = kafka_versions()
    return [
        ("AlertView", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", _version("pyqtgraph")),
        ("confluent-kafka", client),
        ("librdkafka", librdkafka),
        ("fastavro", _version("fastavro")),
        ("astropy", _version("astropy")),
        ("numpy", _version("numpy")),
    ]


def licence() -> str:
    """The licence AlertView's installed metadata declares (SPDX expression)."""
    try:
        meta = metadata.metadata("alertview")
    except metadata.PackageNotFoundError:
        return LICENCE
    return meta.get("License-Expression") or meta.get("License") or LICENCE


def folders() -> list[tuple[str, Path]]:
    """(what, folder): where sessions and logs are kept (environment overrides applied)."""
    from alertview.core.logs import current_log_file, log_dir
    from alertview.core.session.store import default_sessions_dir

    found = [("Sessions", default_sessions_dir()), ("Logs", log_dir())]
    log_file = current_log_file()
    if log_file is not None:
        found.append(("This window's log", log_file))
    return found


def about_text() -> str:
    """The About box as plain text: what Copy puts on the clipboard for a bug report."""
    lines = [f"{name} {version}" for name, version in versions()]
    lines += [f"Licence: {licence()}"]
    lines += [f"{what}: {path}" for what, path in folders()]
    return "\n".join(lines)


def _url(path: Path) -> str:
    return html.escape(QUrl.fromLocalFile(str(path)).toString(), quote=True)


def about_html() -> str:
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(version)}</td></tr>"
        for name, version in versions()
    )
    places = "".join(
        f"<tr><td>{html.escape(what)}</td><td><a href='{_url(path)}'>"
        f"{html.escape(str(path))}</a></td></tr>"
        for what, path in folders()
    )
    return (
        "<h3>AlertView</h3>"
        "<p>A viewer for live transient-alert streams: ZTF, Rubin/LSST and the brokers.</p>"
        f"<table cellspacing='4'>{rows}</table>"
        f"<p>Licence: {html.escape(licence())}</p>"
        f"<table cellspacing='4'>{places}</table>"
    )


class AboutDialog(QDialog):
    """Versions, licence and folders; Copy for a bug report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About AlertView")
        self.label = QLabel(about_html())
        self.label.setOpenExternalLinks(True)  # a folder opens in the file manager
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("the versions and folders, for a bug report")
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(about_text())
