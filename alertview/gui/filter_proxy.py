"""Sorting and the filter bar's expression over the table rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from alertview.core.filters import AlertFilter, MappingLookup
from alertview.core.store import row_as_fields
from alertview.gui.table_model import ROLE_SORT, AlertTableModel


class AlertFilterProxy(QSortFilterProxyModel):
    """Rows that pass the current filter, sorted by a column's raw value."""

    def __init__(self, record_of: Callable[[int], Mapping], parent=None) -> None:
        super().__init__(parent)
        self.record_of = record_of
        self.alert_filter: AlertFilter | None = None
        self.setSortRole(ROLE_SORT)

    def set_filter(self, alert_filter: AlertFilter | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            self.alert_filter = alert_filter
            self.endFilterChange()
        else:
            self.alert_filter = alert_filter
            self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self.alert_filter is None:
            return True
        model: AlertTableModel = self.sourceModel()  # type: ignore[assignment]
        row = model.row_tuple(source_row)
        lookup = MappingLookup(row_as_fields(row), lambda: self.record_of(row[0]))
        return self.alert_filter.matches(lookup)

    def lessThan(
        self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex
    ) -> bool:
        a, b = left.data(ROLE_SORT), right.data(ROLE_SORT)
        if a is None or b is None:
            return a is None and b is not None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
