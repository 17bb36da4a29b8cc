"""The dialogs of the saved filters: "Save filter as…" and "Manage saved filters".

Both open window-modal without blocking (``open()``), change the saved filters
through the watch controller, and say a refusal in one line inside the dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.watches import WatchController
from alertview.core.table.filters import FilterError

_ERROR_STYLE = "color: #c0392b;"


class SaveFilterDialog(QDialog):
    """A name for the filter in the box, and whether it is a watch."""

    def __init__(self, controller: WatchController, expression: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.expression = expression.strip()
        self.setWindowTitle("Save filter as")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. bright red transients")
        shown = QLabel(self.expression or "(the filter is empty)")
        shown.setWordWrap(True)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.watch_box = QCheckBox("Watch: notify me when new alerts pass it")
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Filter:", shown)
        form.addRow("", self.watch_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def save(self) -> None:
        name = self.name_edit.text()
        used = self.controller.saved.get(" ".join(name.split())) is not None
        if used and self.error_label.property("confirm") != name:
            # saving under a used name replaces that filter: the box says so once
            self.error_label.setProperty("confirm", name)
            self.error_label.setText(f"{name.strip()!r} exists: Save again to replace it")
            return
        try:
            self.controller.save(name, self.expression, self.watch_box.isChecked())
        except (ValueError, FilterError) as exc:
            self.error_label.setText(str(exc))
            return
        self.accept()


class ManageFiltersDialog(QDialog):
    """The saved filters in a table: rename (edit the name), watch on or off, delete."""

    NAME, EXPRESSION, WATCH = range(3)

    def __init__(self, controller: WatchController, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Saved filters")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "Filter", "Watch"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.EXPRESSION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.WATCH, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self._edit_name)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(close)
        hint = QLabel("Double-click a name to rename it; tick Watch to be told of new matches.")
        hint.setEnabled(False)  # drawn as a hint, in the palette's muted text
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(self.error_label)
        layout.addLayout(row)
        self.resize(640, 320)
        self.fill()
        self.table.itemChanged.connect(self._item_changed)

    def fill(self) -> None:
        """The table from the saved filters (after each change)."""
        self.table.blockSignals(True)
        filters = self.controller.saved.filters
        self.table.setRowCount(len(filters))
        for number, saved in enumerate(filters):
            name = QTableWidgetItem(saved.name)
            name.setData(Qt.ItemDataRole.UserRole, saved.name)
            expression = QTableWidgetItem(saved.expression)
            expression.setFlags(expression.flags() & ~Qt.ItemFlag.ItemIsEditable)
            expression.setToolTip(saved.expression)
            badge = self.controller.badge(saved.name)
            watch = QTableWidgetItem(f"{badge} new" if badge else "")
            watch.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            watch.setCheckState(Qt.CheckState.Checked if saved.watch else Qt.CheckState.Unchecked)
            for column, item in enumerate((name, expression, watch)):
                self.table.setItem(number, column, item)
        self.table.blockSignals(False)
        has_rows = bool(filters)
        self.rename_button.setEnabled(has_rows)
        self.delete_button.setEnabled(has_rows)

    def selected_name(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, self.NAME) if row >= 0 else None
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def delete_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._change(lambda: self.controller.remove(name))

    def _edit_name(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.editItem(self.table.item(row, self.NAME))

    def _item_changed(self, item: QTableWidgetItem) -> None:
        name = self.table.item(item.row(), self.NAME).data(Qt.ItemDataRole.UserRole)
        if item.column() == self.NAME:
            self._change(lambda: self.controller.rename(name, item.text()))
        elif item.column() == self.WATCH:
            on = item.checkState() == Qt.CheckState.Checked
            self._change(lambda: self.controller.set_watch(name, on))

    def _change(self, change) -> None:
        try:
            change()
        except ValueError as exc:
            self.error_label.setText(str(exc))
        else:
            self.error_label.setText("")
        self.fill()
