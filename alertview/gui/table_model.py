"""The alert table: the session's rows as columns, sorted and filtered in numpy."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from alertview.core.columns import AlertColumns
from alertview.core.filter_columns import NotVectorised, filter_mask
from alertview.core.filters import AlertFilter, MappingLookup
from alertview.core.store import row_as_fields

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
    Column("Det.", "n_detections", _number("d"), "detections including this one"),
    Column("Topic", "topic"),
)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_ROLES = frozenset({_DISPLAY, _ALIGNMENT, int(ROLE_ROW_ID), int(ROLE_SORT)})

#: Row fields known only once an alert's history is decoded, and their filter names.
COUNT_FIELDS = ("n_detections", "n_upper_limits", "n_forced")
COUNT_NAMES = {"n_detections", "n_history_detections", "n_upper_limits", "n_forced", "schema"}


class AlertTableModel(QAbstractTableModel):
    """The session's alerts as numpy columns, shown filtered and sorted.

    Sorting and filtering happen here on whole columns (``np.argsort``, a
    vectorised filter) rather than in a QSortFilterProxyModel calling Python
    for every comparison: a million rows sort or filter in well under a second.
    ``view`` lists the column positions shown, in display order (None: all of
    them in arrival order).
    """

    def __init__(self, record_of: Callable[[int], Mapping] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.columns = AlertColumns()
        self.record_of = record_of
        self.alert_filter: AlertFilter | None = None
        self.sort_field: str | None = None
        self.descending = False
        self._view: np.ndarray | None = None

    # -- Qt overrides ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self.columns) if self._view is None else len(self._view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Qt asks ~8 roles per painted cell: answer the unused ones first and cheaply
        # (plain ints, no enum arithmetic) so painting stays quick while a stream runs
        if role not in _ROLES or not index.isValid():
            return None
        column = COLUMNS[index.column()]
        if role == _DISPLAY:
            return column.show(self.columns.value(self.position(index.row()), column.field))
        if role == _ALIGNMENT:
            return None if column.show is _text else _RIGHT
        if role == ROLE_ROW_ID:
            return int(self.columns.row.values[self.position(index.row())])
        return self.columns.value(self.position(index.row()), column.field)

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

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header click: sort by a column (-1: arrival order); the selection follows."""
        self.sort_field = COLUMNS[column].field if 0 <= column < len(COLUMNS) else None
        self.descending = order == Qt.SortOrder.DescendingOrder
        self._relayout(self._compute_view())

    # -- data -------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Alerts in the session, shown or not."""
        return len(self.columns)

    def position(self, row: int) -> int:
        """The column position shown at table row ``row``."""
        return row if self._view is None else int(self._view[row])

    def set_filter(self, alert_filter: AlertFilter | None) -> None:
        self.alert_filter = alert_filter
        self._relayout(self._compute_view())

    def append_rows(self, rows: Sequence[tuple]) -> None:
        """Add a batch of stored rows; new rows that pass take their sorted places."""
        if not rows:
            return
        first = len(self.columns)
        if self._view is None:
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.columns.append_rows(rows)
            self.endInsertRows()
            return
        self.columns.append_rows(rows)
        new = np.arange(first, len(self.columns))
        if self.alert_filter is not None:
            new = new[self._passing(first)]
        if not len(new):
            return
        view = self._view
        if self.sort_field is None:
            places = np.full(len(new), len(view))
        else:
            key = self.columns.sort_key(self.sort_field)
            if key.dtype == object:
                self._relayout(self._compute_view())
                return
            key = -key if self.descending else key
            new = new[np.argsort(key[new], kind="stable")]
            places = np.searchsorted(key[view], key[new], side="right")
        if places[0] == len(view):  # all after the last row shown: a plain insert
            self.beginInsertRows(QModelIndex(), len(view), len(view) + len(new) - 1)
            self._view = np.concatenate([view, new])
            self.endInsertRows()
        else:
            self._relayout(np.insert(view, places, new))

    def update_counts(self, updates: Sequence[tuple[int, int, int, int, str]]) -> None:
        """History counts decoded after the rows were shown: (row, detections, limits,
        forced, schema label). A filter or sort on them is applied again."""
        if not updates:
            return
        table = np.asarray([u[:4] for u in updates], dtype=np.float64)
        positions = np.searchsorted(self.columns.row.values, table[:, 0].astype(np.int64))
        for number, name in enumerate(COUNT_FIELDS, start=1):
            self.columns.numbers[name].values[positions] = table[:, number]
        self.columns.texts["schema"].assign(positions, [u[4] for u in updates])
        depends = set(self.alert_filter.names) if self.alert_filter is not None else set()
        if self.sort_field in COUNT_FIELDS or depends & COUNT_NAMES:
            self._relayout(self._compute_view())
        elif self.rowCount():
            counts = [n for n, c in enumerate(COLUMNS) if c.field in COUNT_FIELDS]
            for number in counts:
                top, bottom = self.index(0, number), self.index(self.rowCount() - 1, number)
                self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def _passing(self, start: int = 0) -> np.ndarray:
        """Which rows from ``start`` on pass the filter (vectorised when it can be)."""
        assert self.alert_filter is not None
        try:
            return filter_mask(self.alert_filter, self.columns, start)
        except NotVectorised:
            pass
        passing = np.zeros(len(self.columns) - start, dtype=bool)
        for offset in range(len(passing)):
            fields = row_as_fields(self.columns.row_tuple(start + offset))
            loader = None
            if self.record_of is not None:
                loader = lambda row=fields["row"]: self.record_of(row)  # noqa: E731
            passing[offset] = self.alert_filter.matches(MappingLookup(fields, loader))
        return passing

    def _compute_view(self) -> np.ndarray | None:
        if self.sort_field is None and self.alert_filter is None:
            return None
        if self.sort_field is None:
            return np.flatnonzero(self._passing())
        order = self.columns.order(self.sort_field, self.descending)
        if self.alert_filter is not None:
            order = order[self._passing()[order]]
        return order

    def _relayout(self, view: np.ndarray | None) -> None:
        """Show ``view``, keeping persistent indexes (the selection) on their alerts."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        positions = [self.position(i.row()) for i in persistent]
        self._view = view
        if persistent:
            row_of = np.arange(len(self.columns))
            if view is not None:
                row_of = np.full(len(self.columns), -1)
                row_of[view] = np.arange(len(view))
            moved = []
            for index, position in zip(persistent, positions, strict=True):
                row = int(row_of[position])
                moved.append(QModelIndex() if row < 0 else self.index(row, index.column()))
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def field(self, row: int, name: str) -> Any:
        return self.columns.value(self.position(row), name)

    def rows_of_alert(self, alert_id: int) -> list[int]:
        """Table rows showing ``alert_id`` (none if it is filtered out)."""
        positions = np.flatnonzero(self.columns.alert_id.values == alert_id)
        if self._view is None:
            return [int(p) for p in positions]
        return [int(r) for r in np.flatnonzero(np.isin(self._view, positions))]
