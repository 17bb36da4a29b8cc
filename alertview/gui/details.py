"""The whole packet as a searchable tree, with copy, and links to look the alert up.
``DetailsController`` holds the fields and decides what a search shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.details import DetailsController, Entry, entries


class DetailsPanel(QWidget):
    """Every field of the packet (Fink's additions too), a filter box, and links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = DetailsController(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a field or value…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.controller.set_search)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setColumnWidth(0, 260)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemExpanded.connect(self._populate)
        self._pending: dict[QTreeWidgetItem, Any] = {}
        self._built = True
        QShortcut(QKeySequence.StandardKey.Copy, self.tree, activated=self.copy_selection)
        self.links = QLabel()
        self.links.setOpenExternalLinks(True)
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.setWordWrap(True)
        copy_position = QPushButton("Copy RA, Dec")
        copy_position.clicked.connect(self.copy_position)
        bottom = QHBoxLayout()
        bottom.addWidget(self.links, 1)
        bottom.addWidget(copy_position)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)

    def show_alert(self, alert) -> None:
        self.controller.show_alert(alert)

    # -- the DetailsView the controller drives ----------------------------------------------
    def show_links(self, links: list[tuple[str, str]]) -> None:
        self.links.setText(" · ".join(f'<a href="{url}">{name}</a>' for name, url in links))

    def show_record(self) -> None:
        """The tree when it is on screen (a Rubin packet has ~70,000 fields)."""
        self._built = False
        if self.isVisible():
            self._build()

    def show_matches(self, shown: set[tuple[int, ...]] | None) -> None:
        if shown is not None:
            self._populate_all()  # a search looks everywhere

        def visit(item: QTreeWidgetItem, path: tuple[int, ...]) -> None:
            item.setHidden(shown is not None and path not in shown)
            children = [(*path, i) for i in range(item.childCount())]
            for i, child in enumerate(children):
                visit(item.child(i), child)
            if shown is not None and any(child in shown for child in children):
                item.setExpanded(True)

        root = self.tree.invisibleRootItem()
        for i in range(root.childCount()):
            visit(root.child(i), (i,))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._built:
            self._build()

    # -- the tree, made as it is expanded -------------------------------------------------------
    def _build(self) -> None:
        self._built = True
        self.tree.clear()
        self._pending.clear()
        if self.controller.alert is not None:
            self._add(self.tree.invisibleRootItem(), self.controller.top_entries())
            self.tree.expandToDepth(0)
        self.show_matches(self.controller.matches())

    def _add(self, parent: QTreeWidgetItem, rows: list[Entry]) -> None:
        for name, text, children in rows:
            item = QTreeWidgetItem(parent, [name, text])
            if children is not None:  # made when the item is first expanded
                item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
                self._pending[item] = children

    def _populate(self, item: QTreeWidgetItem) -> None:
        value = self._pending.pop(item, None)
        if value is not None:
            self._add(item, entries(value))

    def _populate_all(self) -> None:
        while self._pending:
            self._populate(next(iter(self._pending)))

    def copy_selection(self) -> None:
        lines = [f"{i.text(0)} = {i.text(1)}" for i in self.tree.selectedItems()]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def copy_position(self) -> None:
        alert = self.controller.alert
        if alert is not None:
            QGuiApplication.clipboard().setText(f"{alert.ra:.7f} {alert.dec:+.7f}")
