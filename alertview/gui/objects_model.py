"""The Objects tab's table model: one row per entry of an ``ObjectTable`` in the
controller's order, its columns (the bands' come and go with the table), and the
Triage column's counts (``core.table.objects_triage``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

from alertview.core.table.objects import ObjectTable
from alertview.core.table.objects_triage import triage_text

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: The Triage column is at most this wide (pixels): its tooltip has the whole text.
TRIAGE_WIDTH = 130


@dataclass(frozen=True)
class ObjectColumn:
    header: str
    field: str  # an ``ObjectTable.column`` name
    show: Callable[[Any], str]
    tip: str = ""
    #: Another column shown after the value (the peak's band).
    also: str | None = None


def _number(digits: int) -> Callable[[Any], str]:
    return lambda v: "" if v is None or v != v else f"{v:.{digits}f}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def columns_of(table: ObjectTable) -> list[ObjectColumn]:
    """The table's columns: fixed ones, then the latest magnitude and rate of each band."""
    fixed = [
        ObjectColumn("Object", "object_id", _text),
        ObjectColumn("Survey", "survey", _text),
        ObjectColumn("Alerts", "n_alerts", lambda v: str(int(v)), "alerts of the object shown"),
        ObjectColumn("First MJD", "first_mjd", _number(4), "first alert (MJD)"),
        ObjectColumn("Last MJD", "last_mjd", _number(4), "newest alert (MJD)"),
        ObjectColumn(
            "Peak",
            "peak_mag",
            _number(2),
            "brightest positive-difference alert of the object in this session (the merged"
            " light curve can go brighter: its history is longer)",
            "peak_band",
        ),
    ]
    latest = [
        ObjectColumn(
            b,
            f"latest {b}",
            _number(2),
            f"newest {b} magnitude of its alerts, as the Alerts table's Mag"
            " (a negative difference's too)",
        )
        for b in table.bands
    ]
    rates = [
        ObjectColumn(
            f"{b} mag/d",
            f"rate {b}",
            _number(3),
            f"{b} mag/day over ≥ 12 h, weighted; positive = fading",
        )
        for b in table.bands
    ]
    position = [
        ObjectColumn("RA", "ra", _number(5), "newest alert's"),
        ObjectColumn("Dec", "dec", _number(5), "newest alert's"),
    ]
    triage = ObjectColumn(
        "Triage",
        "triage",
        _text,
        "triage of its alerts shown (I / F / R / 0 mark them all, N a note, T tags)",
    )
    return [*fixed[:5], triage, *fixed[5:], *latest, *rates, *position]


class ObjectsModel(QAbstractTableModel):
    """The rows of an ``ObjectTable`` in the controller's order; sorting asks it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table: ObjectTable | None = None
        self.triage = np.zeros((0, 4), np.int64)  # the controller's triage counts
        self.order = np.zeros(0, np.int64)
        self.columns: list[ObjectColumn] = []
        self.sort_requested: Callable[[str | None, bool], None] = lambda field, desc: None

    def set_table(self, table: ObjectTable, order: np.ndarray, triage: np.ndarray) -> None:
        self.beginResetModel()
        self.table, self.order, self.columns = table, order, columns_of(table)
        self.triage = triage
        self.endResetModel()

    def set_triage(self, triage: np.ndarray) -> None:
        """New counts of the same objects: the Triage column redrawn."""
        self.triage = triage
        column = next((i for i, c in enumerate(self.columns) if c.field == "triage"), None)
        if column is not None and self.rowCount():
            bottom = self.index(self.rowCount() - 1, column)
            self.dataChanged.emit(self.index(0, column), bottom, [Qt.ItemDataRole.DisplayRole])

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None or not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            entry = self.order[index.row()]
            if column.field == "triage":
                return triage_text(self.triage[entry])
            text = column.show(self.table.column(column.field)[entry])
            if column.also is not None and text:
                text += f" {_text(self.table.column(column.also)[entry])}"
            return text
        if role == Qt.ItemDataRole.ToolTipRole and column.field == "triage":
            return triage_text(self.triage[self.order[index.row()]]) or None  # (when cut)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.show is not _text:
            return _RIGHT
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or section >= len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        field = self.columns[column].field if 0 <= column < len(self.columns) else None
        self.sort_requested(field, order == Qt.SortOrder.DescendingOrder)
