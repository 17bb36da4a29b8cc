"""Stream → Schemas…: per topic, which writer schemas arrived and where each was found.

Rubin's alerts name their schema by a registry id; the view says which ids a
topic brought, their version (``lsst 10.0``) and where the schema came from
(lsst-alert-packet, a registry, a container header, a message key), so a user
can tell a stream decoded from a stale local copy from one read from the
registry. Everything shown comes from the store's index: nothing is decoded.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.core.session.store import AlertStore, SchemaUse

HEADERS = ("Topic / file", "Schema id", "Version", "Found in", "Alerts")


def schema_cells(use: SchemaUse) -> tuple[str, ...]:
    """How one row reads: an origin older sessions did not keep shows as 'not recorded'."""
    return (
        use.topic or "",
        "" if use.schema_id is None else str(use.schema_id),
        use.label or "",
        use.origin or "not recorded",
        str(use.alerts),
    )


class SchemasView(QWidget):
    """The store's ``schema_summary`` as a table; ``refresh`` reads it again."""

    def __init__(self, store: AlertStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.refresh_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.refresh()

    def refresh(self) -> None:
        """Read the summary from the store's index (one grouped query, no decoding)."""
        rows = [schema_cells(use) for use in self.store.schema_summary()]
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if HEADERS[c] in ("Schema id", "Alerts"):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            HEADERS.index("Found in"), QHeaderView.ResizeMode.Stretch
        )

    def rows(self) -> list[tuple[str, ...]]:
        """The table's text, row by row (what the user reads)."""
        return [
            tuple(self.table.item(r, c).text() for c in range(self.table.columnCount()))
            for r in range(self.table.rowCount())
        ]


def show_schemas_dialog(parent: QWidget, store: AlertStore) -> QDialog:
    """A non-modal dialog holding a ``SchemasView`` of ``store``."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Schemas")
    view = SchemasView(store, dialog)
    dialog.view = view
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    dialog.resize(800, 300)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def _stream_menu(window: QMainWindow) -> QMenu:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "Stream":
            return menu
    return window.menuBar().addMenu("&Stream")


def add_schemas_action(window: QMainWindow) -> QAction:
    """Add "Stream → Schemas…" to ``window`` (a MainWindow: it has ``store``); the dialog
    it opens is kept as ``window.schemas_dialog``."""
    action = QAction("Sc&hemas…", window)
    action.setStatusTip("Which schema ids each topic brought, their version and source")

    def show() -> None:
        window.schemas_dialog = show_schemas_dialog(window, window.store)

    action.triggered.connect(show)
    menu = _stream_menu(window)
    menu.addSeparator()
    menu.addAction(action)
    window.schemas_action = action
    return action
