"""The whole packet as a searchable tree, with copy, and links to look the alert up."""

from __future__ import annotations

from collections.abc import Mapping
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

from alertview.core.alert import Alert
from alertview.core.decode import whole_record
from alertview.core.links import alert_links


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float):
        return repr(value)
    return "null" if value is None else str(value)


class DetailsPanel(QWidget):
    """Every field of the packet (Fink's additions too), a filter box, and links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a field or value…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
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
        self.alert: Alert | None = None

    def show_alert(self, alert: Alert) -> None:
        """Links now; the tree when it is on screen (a Rubin packet has ~70,000 fields)."""
        self.alert = alert
        self.links.setText(
            " · ".join(f'<a href="{url}">{name}</a>' for name, url in alert_links(alert))
        )
        self._built = False
        if self.isVisible():
            self._build()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._built:
            self._build()

    def _build(self) -> None:
        self._built = True
        self.tree.clear()
        self._pending.clear()
        if self.alert is not None:
            try:
                record = whole_record(self.alert)  # the viewer decoded the light curve's part
            except Exception as exc:  # it decoded once: say so rather than fail
                record = self.alert.record
                QTreeWidgetItem(self.tree, ["(partly shown)", f"cannot decode the rest: {exc}"])
            self._add(self.tree.invisibleRootItem(), record)
            self.tree.expandToDepth(0)
        self._filter(self.search.text())

    def _add(self, parent: QTreeWidgetItem, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                self._item(parent, str(key), inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                self._item(parent, f"[{index}]", inner)

    def _item(self, parent: QTreeWidgetItem, name: str, value: Any) -> None:
        if isinstance(value, Mapping | list):
            summary = f"{len(value)} items" if isinstance(value, list) else ""
            item = QTreeWidgetItem(parent, [name, summary])
            if value:  # children are made when the item is first expanded
                item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
                self._pending[item] = value
        else:
            QTreeWidgetItem(parent, [name, _shown(value)])

    def _populate(self, item: QTreeWidgetItem) -> None:
        value = self._pending.pop(item, None)
        if value is not None:
            self._add(item, value)

    def _populate_all(self) -> None:
        while self._pending:
            self._populate(next(iter(self._pending)))

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        if needle:
            self._populate_all()  # a search looks everywhere

        def visit(item: QTreeWidgetItem) -> bool:
            own = not needle or needle in item.text(0).lower() or needle in item.text(1).lower()
            children = [visit(item.child(i)) for i in range(item.childCount())]
            show = own or any(children)
            item.setHidden(not show)
            if needle and any(children):
                item.setExpanded(True)
            return show

        root = self.tree.invisibleRootItem()
        for i in range(root.childCount()):
            visit(root.child(i))

    def visible_fields(self) -> list[str]:
        """Top-level field names on show (what a test checks)."""
        root = self.tree.invisibleRootItem()
        return [
            root.child(i).text(0) for i in range(root.childCount()) if not root.child(i).isHidden()
        ]

    def copy_selection(self) -> None:
        lines = [f"{i.text(0)} = {i.text(1)}" for i in self.tree.selectedItems()]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def copy_position(self) -> None:
        if self.alert is not None:
            QGuiApplication.clipboard().setText(f"{self.alert.ra:.7f} {self.alert.dec:+.7f}")
