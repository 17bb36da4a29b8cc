"""The alert table: a virtual model over stored rows, appended batch by batch."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from alertview.core.store import ROW_FIELDS

_INDEX = {name: i for i, name in enumerate(ROW_FIELDS)}
ROLE_ROW_ID = Qt.ItemDataRole.UserRole + 1
ROLE_SORT = Qt.ItemDataRole.UserRole + 2


def _number(fmt: str) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return format(value, fmt)

    return show


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    show: Callable[[Any], str] = _text
    tip: str = ""

    def value(self, row: Sequence[Any]) -> Any:
        if self.field == "quality":
            return _quality(row)
        return row[_INDEX[self.field]]


def _quality(row: Sequence[Any]) -> float | None:
    for name in ("drb", "rb", "reliability"):
        value = row[_INDEX[name]]
        if value is not None:
            return value
    return None


COLUMNS = (
    Column("MJD", "mjd", _number(".5f"), "time of the exposure (UTC for ZTF, TAI for Rubin)"),
    Column("Object", "object_id"),
    Column("Alert id", "alert_id"),
    Column("Survey", "survey"),
    Column("Band", "band"),
    Column("Mag", "mag", _number(".2f"), "AB magnitude (difference image)"),
    Column("Flux [nJy]", "flux", _number(".0f"), "difference flux in nJy"),
    Column("RA", "ra", _number(".5f")),
    Column("Dec", "dec", _number("+.5f")),
    Column("Score", "quality", _number(".3f"), "ZTF drb (or rb), Rubin reliability"),
    Column("Det.", "n_detections", _text, "detections including this one"),
    Column("Topic", "topic"),
)


class AlertTableModel(QAbstractTableModel):
    """Rows are tuples in ``ROW_FIELDS`` order; appended, never reordered here."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[tuple] = []

    # -- Qt overrides ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.show(column.value(row))
        if role == ROLE_SORT:
            value = column.value(row)
            return float("-inf") if value is None and column.show is not _text else value
        if role == ROLE_ROW_ID:
            return row[0]
        if role == Qt.ItemDataRole.TextAlignmentRole and column.show is not _text:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip or None
        return None

    # -- data -------------------------------------------------------------------------------
    def append_rows(self, rows: Sequence[tuple]) -> None:
        """Add a batch with one insert notification (selections and scroll stay put)."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def row_tuple(self, row: int) -> tuple:
        return self._rows[row]

    def field(self, row: int, name: str) -> Any:
        return self._rows[row][_INDEX[name]]

    def rows_of_alert(self, alert_id: int) -> list[int]:
        return [i for i, r in enumerate(self._rows) if r[_INDEX["alert_id"]] == alert_id]

    def rows_of_object(self, object_id: str) -> list[int]:
        return [i for i, r in enumerate(self._rows) if r[_INDEX["object_id"]] == object_id]
