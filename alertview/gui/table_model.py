"""The alert table: the session's rows as columns, sorted and filtered in numpy.

Sorting, the rows' places and what each cell shows are here; which rows pass
the filter, at once or on the filter thread, is ``table_filtering``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_jobs import FilterQueue, RecordOf
from alertview.core.table.filters import AlertFilter
from alertview.gui.table_columns import COLUMNS, Column, extra_column, show_text
from alertview.gui.table_filtering import TableFiltering
from alertview.gui.triage_cells import TRIAGE_ROLES, triage_cell

ROLE_ROW_ID = Qt.ItemDataRole.UserRole + 1
ROLE_SORT = Qt.ItemDataRole.UserRole + 2
#: The Triage column draws itself (``triage_cells``): a marker, the state, a tooltip.
_TRIAGE_COLUMN = [c.field for c in COLUMNS].index("triage")

_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
_ROLES = frozenset(
    {_DISPLAY, _ALIGNMENT, _FOREGROUND, _TOOLTIP, _BACKGROUND, int(ROLE_ROW_ID), int(ROLE_SORT)}
)
#: The background of a row a watch matched and the user has not selected yet.
HIGHLIGHT_COLOUR = QColor(255, 196, 0, 90)
#: How a row whose packet the session's retention dropped is drawn, and why.
_DROPPED_COLOUR = QColor(128, 128, 128)
_DROPPED_TIP = "packet dropped by the session's retention: the row stays, the cutouts went"

#: Row fields known only once an alert's history is decoded, and their filter names.
COUNT_FIELDS = ("n_detections", "n_upper_limits", "n_forced")
COUNT_NAMES = {"n_detections", "n_history_detections", "n_upper_limits", "n_forced", "schema"}


class AlertTableModel(TableFiltering, QAbstractTableModel):
    """The session's alerts as numpy columns, shown filtered and sorted.

    Sorting and filtering happen here on whole columns (``np.argsort``, a
    vectorised filter) rather than in a QSortFilterProxyModel calling Python
    for every comparison: a million rows sort or filter in well under a second.
    ``view`` lists the column positions shown, in display order (None: all of
    them in arrival order). ``_mask`` says which positions pass the applied
    filter; rows past its end wait for the filter thread and are not shown.
    """

    #: (rows tested, rows to test) while a filter runs in the background; equal when done.
    filter_progressed = Signal(int, int)
    #: A filter refused after its packets were looked at (a FilterError's message).
    filter_failed = Signal(str)
    _job_progressed = Signal(object, int)  # from the filter thread: (job, rows tested)
    _job_finished = Signal(object)  # from the filter thread: the job

    def __init__(self, record_of: RecordOf | None = None, parent=None) -> None:
        super().__init__(parent)
        self.columns = AlertColumns()
        self.alert_filter: AlertFilter | None = None
        self.sort_field: str | None = None
        self.descending = False
        self._view: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        #: Rows (store numbers) below this lost their packets to the retention policy.
        self.dropped_before = 0
        #: Columns of the broker fields met so far (``finkclass``...), after the fixed ones.
        self._extra: list[Column] = []
        #: Store rows drawn highlighted (new matches of a watch: ``gui.watches_view``).
        self.highlighted: frozenset[int] = frozenset()
        #: Positions inside the sky map's selection (None: no sky selection; positions
        #: past its end are outside): intersected with the filter (``set_sky_subset``).
        self._sky: np.ndarray | None = None
        self._pending: AlertFilter | None = None  # set, its result not yet shown
        self._covered = 0  # rows the view has taken into account
        self._queued = 0  # rows handed to the filter (evaluated or in a job)
        self._jobs = FilterQueue(
            self.columns,
            record_of,
            lambda job, done: self._job_progressed.emit(job, done),
            self._announce,
        )
        self._job_progressed.connect(self._progressed)
        self._job_finished.connect(self._finished)

    # -- Qt overrides ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self.columns) if self._view is None else len(self._view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS) + len(self._extra)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role in TRIAGE_ROLES and index.column() == _TRIAGE_COLUMN and index.isValid():
            return triage_cell(self.columns, self.position(index.row()), role)
        # Qt asks ~8 roles per painted cell: answer the unused ones first and cheaply
        # (plain ints, no enum arithmetic) so painting stays quick while a stream runs
        if role not in _ROLES or not index.isValid():
            return None
        column = self.column(index.column())
        if role == _DISPLAY:
            return column.show(self.columns.value(self.position(index.row()), column.field))
        if role == _ALIGNMENT:
            return None if column.show is show_text else _RIGHT
        if role == _BACKGROUND:
            if not self.highlighted or self.row_id(index.row()) not in self.highlighted:
                return None
            return HIGHLIGHT_COLOUR
        if role in (_FOREGROUND, _TOOLTIP):
            if not self.dropped_before or self.row_id(index.row()) >= self.dropped_before:
                return None
            return _DROPPED_COLOUR if role == _FOREGROUND else _DROPPED_TIP
        if role == ROLE_ROW_ID:
            return self.row_id(index.row())
        return self.columns.value(self.position(index.row()), column.field)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.column(section).header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.column(section).tip or None
        return None

    def column(self, number: int) -> Column:
        """What column ``number`` shows: a fixed one, then a broker field the session has."""
        fixed = len(COLUMNS)
        return COLUMNS[number] if number < fixed else self._extra[number - fixed]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header click: sort by a column (-1: arrival order); the selection follows."""
        self.sort_field = self.column(column).field if 0 <= column < self.columnCount() else None
        self.descending = order == Qt.SortOrder.DescendingOrder
        self._relayout(self._compute_view())

    # -- data -------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Alerts in the session, shown or not."""
        return len(self.columns)

    @property
    def record_of(self) -> RecordOf | None:
        """Reads a row's packet (row id -> record), for names that are no column."""
        return self._jobs.record_of

    @record_of.setter
    def record_of(self, record_of: RecordOf | None) -> None:
        self._jobs.record_of = record_of

    def position(self, row: int) -> int:
        """The column position shown at table row ``row``."""
        return row if self._view is None else int(self._view[row])

    def append_rows(self, rows: Sequence[tuple]) -> None:
        """Add a batch of stored rows; new rows that pass take their sorted places."""
        if not rows:
            return
        first = len(self.columns)
        if self._view is None:
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.columns.append_rows(rows)
            self.endInsertRows()
            self._covered = len(self.columns)
        else:
            self.columns.append_rows(rows)
        self._show_extra_columns()
        self._filter_new()

    def _show_extra_columns(self) -> None:
        """Columns for the broker fields the new rows were the first to carry."""
        names = self.columns.extra_names()
        if len(names) == len(self._extra):
            return
        first = self.columnCount()
        self.beginInsertColumns(QModelIndex(), first, first + len(names) - len(self._extra) - 1)
        texts = self.columns.extras.texts
        self._extra += [extra_column(n, n in texts) for n in names[len(self._extra) :]]
        self.endInsertColumns()

    def _insert(self, new: np.ndarray) -> None:
        """Show column positions ``new`` (after those shown) in their sorted places."""
        if self._sky is not None:
            new = new[self._in_sky(new)]
        if not len(new) or self._view is None:
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
        shown = self.columns.row.values
        ids = np.asarray([u[0] for u in updates], dtype=np.int64)
        positions = np.searchsorted(shown, ids)
        known = positions < len(shown)
        known[known] = shown[positions[known]] == ids[known]
        if not known.all():  # rows this table does not hold: nothing to update
            updates = [u for u, k in zip(updates, known, strict=True) if k]
            positions = positions[known]
            if not updates:
                return
        table = np.asarray([u[:4] for u in updates], dtype=np.float64)
        for number, name in enumerate(COUNT_FIELDS, start=1):
            self.columns.numbers[name].values[positions] = table[:, number]
        self.columns.texts["schema"].assign(positions, [u[4] for u in updates])
        alert_filter = self._pending or self.alert_filter
        depends = set(alert_filter.names) if alert_filter is not None else set()
        if depends & COUNT_NAMES:
            self._recheck(positions)
        elif self.sort_field in COUNT_FIELDS:
            self._relayout(self._compute_view())
        elif self.rowCount():
            counts = [n for n, c in enumerate(COLUMNS) if c.field in COUNT_FIELDS]
            for number in counts:
                top, bottom = self.index(0, number), self.index(self.rowCount() - 1, number)
                self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])

    def _apply(
        self, alert_filter: AlertFilter | None, mask: np.ndarray | None, covered: int | None = None
    ) -> None:
        self.alert_filter = alert_filter
        self._pending = None
        self._mask = mask
        self._covered = len(self.columns) if covered is None else covered
        self._queued = max(self._queued, self._covered)
        self._relayout(self._compute_view())

    def _compute_view(self) -> np.ndarray | None:
        if self.sort_field is None and self.alert_filter is None and self._sky is None:
            return None
        if self.sort_field is None:
            order = np.arange(self._covered)
        else:
            order = self.columns.order(self.sort_field, self.descending)
            order = order[order < self._covered]
        if self._mask is not None:
            order = order[self._mask[order]]
        if self._sky is not None:
            order = order[self._in_sky(order)]
        return order

    # -- the sky map's selection ------------------------------------------------------------
    @property
    def sky_mask(self) -> np.ndarray | None:
        """The sky selection as a mask over column positions (None: no sky selection);
        replaced, never changed in place, when the selection changes."""
        return self._sky

    @property
    def sky_subset(self) -> np.ndarray | None:
        """Positions in the sky selection, ascending (None: no sky selection)."""
        return None if self._sky is None else np.flatnonzero(self._sky)

    @property
    def sky_count(self) -> int | None:
        """How many alerts the sky selection holds (None: no sky selection)."""
        return None if self._sky is None else int(np.count_nonzero(self._sky))

    def set_sky_subset(self, positions: np.ndarray | None) -> None:
        """Show only the rows at these column positions that pass the filter too (the
        alerts a box or lasso on the sky map holds); None shows every row again."""
        if positions is None:
            self._sky = None
        else:
            self._sky = np.zeros(len(self.columns), dtype=bool)
            self._sky[np.asarray(positions, dtype=np.int64)] = True
        self._relayout(self._compute_view())

    def extend_sky_subset(self, positions: np.ndarray) -> None:
        """Rows that arrived inside the sky map's region join the sky selection: the
        ones the filter passes take their places (they are the newest rows)."""
        if self._sky is None or not len(positions):
            return
        positions = np.asarray(positions, dtype=np.int64)
        grown = np.zeros(len(self.columns), dtype=bool)
        grown[: len(self._sky)] = self._sky
        grown[positions] = True
        self._sky = grown
        shown = positions[positions < self._covered]
        if self._mask is not None:
            shown = shown[shown < len(self._mask)]
            shown = shown[self._mask[shown]]
        self._insert(np.sort(shown))

    def _in_sky(self, positions: np.ndarray) -> np.ndarray:
        """Which of ``positions`` the sky selection holds."""
        assert self._sky is not None
        inside = positions < len(self._sky)
        inside[inside] = self._sky[positions[inside]]
        return inside

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

    def set_dropped_before(self, row: int) -> None:
        """Grey the rows whose packets the retention dropped (store rows below ``row``)."""
        if row != self.dropped_before:
            self.dropped_before = row
            if self.rowCount():
                last = self.index(self.rowCount() - 1, self.columnCount() - 1)
                self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.ForegroundRole])

    def shown_positions(self) -> np.ndarray:
        """The column positions shown, in table order (table row -> position)."""
        return np.arange(len(self.columns)) if self._view is None else self._view

    def newest_row(self) -> int:
        """The table row of the newest alert shown (the last to arrive), -1 if none."""
        if self._view is None:
            return len(self.columns) - 1
        return int(np.argmax(self._view)) if len(self._view) else -1

    def fields_changed(self, positions: np.ndarray, names: set[str]) -> None:
        """Fields ``names`` of the rows at ``positions`` were set (their triage): a
        filter on them is applied again, a sort on them redone, else they are redrawn."""
        alert_filter = self._pending or self.alert_filter
        if alert_filter is not None and set(alert_filter.names) & names:
            self._recheck(np.asarray(positions))
        elif self.sort_field in names:
            self._relayout(self._compute_view())
        elif len(positions) and self.rowCount():
            view = self._view
            rows = positions if view is None else np.flatnonzero(np.isin(view, positions))
            if len(rows):
                top = self.index(int(rows.min()), 0)
                self.dataChanged.emit(top, self.index(int(rows.max()), self.columnCount() - 1))

    def set_highlighted(self, rows: frozenset[int]) -> None:
        """Highlight the rows of these store row ids (and no others)."""
        if rows != self.highlighted:
            self.highlighted = rows
            if self.rowCount():
                last = self.index(self.rowCount() - 1, self.columnCount() - 1)
                self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.BackgroundRole])

    def row_id(self, row: int) -> int:
        """The store's row id of table row ``row``."""
        return int(self.columns.row.values[self.position(row)])

    def field(self, row: int, name: str) -> Any:
        return self.columns.value(self.position(row), name)

    def rows_of_alert(self, alert_id: int) -> list[int]:
        """Table rows showing ``alert_id`` (none if it is filtered out)."""
        positions = np.flatnonzero(self.columns.alert_id.values == alert_id)
        if self._view is None:
            return [int(p) for p in positions]
        return [int(r) for r in np.flatnonzero(np.isin(self._view, positions))]
