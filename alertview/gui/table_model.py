"""The alert table: the session's rows as columns, sorted and filtered in numpy.

A filter on table columns is vectorised and applies at once. One that must
go row by row, above all one reading raw packet fields (a decode per row,
milliseconds each), runs on a background thread (``_FilterJob``); the table
waits briefly for it, then goes on with its rows until the result arrives.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from alertview.core.columns import AlertColumns
from alertview.core.filter_columns import (
    TABLE_NAMES,
    NotVectorised,
    filter_mask,
    origin_samples,
    row_mask,
)
from alertview.core.filters import AlertFilter, FilterError, check_names, record_names

log = logging.getLogger(__name__)

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
#: How long setting a filter that reads packets waits for its result (a small table then
#: filters at once, as a vectorised filter does); a longer run goes on in the background.
SYNC_WAIT = 0.5
#: Packets read (one per origin) to learn the raw field names before refusing a name.
NAME_SAMPLES = 32


@dataclass(eq=False)
class _FilterJob:
    """Rows to test on the filter thread, and what came of it (the message both ways)."""

    generation: int
    alert_filter: AlertFilter
    positions: np.ndarray
    #: "all" (a new filter), "tail" (appended rows) or "recheck" (rows whose counts came)
    kind: str
    #: Read packets for names first: of origins not in ``seen``, after the names ``known``.
    sample: bool = False
    seen: frozenset[tuple] = frozenset()
    known: frozenset[str] = frozenset()
    samples: dict[tuple, int] = field(default_factory=dict)  # origin -> position read
    complete: bool = False  # every origin's packet was read
    records: dict[int, Mapping] = field(default_factory=dict)  # read for names: row -> record
    stopped: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    mask: np.ndarray | None = None
    error: FilterError | None = None
    names: set[str] = field(default_factory=set)


class AlertTableModel(QAbstractTableModel):
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

    def __init__(self, record_of: Callable[[int], Mapping] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.columns = AlertColumns()
        self.record_of = record_of
        self.alert_filter: AlertFilter | None = None
        self.sort_field: str | None = None
        self.descending = False
        self._view: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._pending: AlertFilter | None = None  # set, its result not yet shown
        self._covered = 0  # rows the view has taken into account
        self._queued = 0  # rows handed to the filter (evaluated or in a job)
        self.generation = 0  # a job of an older one is stale
        self._jobs: list[_FilterJob] = []  # oldest first; only the first runs
        self._threads: list[threading.Thread] = []
        self._record_names: set[str] = set()  # raw fields seen in packets
        self._sampled: set[tuple] = set()  # origins whose packet was read for names
        self._sampled_all = 0  # every origin of the first this many rows was read
        self._job_progressed.connect(self._progressed)
        self._job_finished.connect(self._finished)

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

    def set_filter(self, alert_filter: AlertFilter | None, wait: float = SYNC_WAIT) -> None:
        """Show the rows that pass ``alert_filter`` (None: all of them).

        A filter on table columns applies at once. One that goes row by row runs
        on the filter thread, and this waits up to ``wait`` seconds for it; after
        that the rows shown stay until its result comes (``filter_progressed``
        meanwhile). Raises FilterError, changing nothing, for a name found in none
        of the packets (then ``filter_failed`` if that is known only later).
        """
        if alert_filter is None:
            self._cancel()
            self._apply(None, None)
            return
        try:
            mask = filter_mask(alert_filter, self.columns)
        except NotVectorised:
            pass
        else:
            self._cancel()
            self._apply(alert_filter, mask)
            return
        unknown = alert_filter.names - TABLE_NAMES - self._record_names
        sample = bool(unknown) and len(self.columns) > 0 and self.record_of is not None
        if sample and self._sampled_all == len(self.columns):  # every origin was read
            try:
                check_names(alert_filter, TABLE_NAMES | self._record_names)
            except FilterError as exc:
                self._refused(exc, raise_error=True)
        self._cancel()
        job = self._job(alert_filter, np.arange(len(self.columns)), "all")
        job.sample, job.seen = sample, frozenset(self._sampled)
        job.known = frozenset(self._record_names)
        self._pending = alert_filter
        self._queued = len(self.columns)
        self._start(job)
        if wait > 0 and job.thread is not None:
            job.thread.join(wait)
            if not job.thread.is_alive():
                self._finished(job, raise_error=True)
                return
        self.filter_progressed.emit(0, len(job.positions))

    @property
    def filtering(self) -> bool:
        """Whether the filter thread has rows to test."""
        return bool(self._jobs)

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
        self._filter_new()

    def _filter_new(self) -> None:
        """Take the rows not yet handed to the filter into the view (or to the thread)."""
        start, stop = self._queued, len(self.columns)
        if start >= stop:
            return
        self._queued = stop
        alert_filter = self._pending or self.alert_filter
        if alert_filter is None:
            self._covered = stop
            if self._view is not None:
                self._insert(np.arange(start, stop))
            return
        if alert_filter is self.alert_filter and self._covered == start:
            try:
                mask = filter_mask(alert_filter, self.columns, start)
            except NotVectorised:
                pass
            else:
                self._extend(mask)
                return
        self._start(self._job(alert_filter, np.arange(start, stop), "tail"))

    def _extend(self, mask: np.ndarray) -> None:
        """The filter's result for the rows after those covered: they take their places."""
        start = self._covered
        self._mask = mask if self._mask is None else np.concatenate([self._mask, mask])
        self._covered = len(self._mask)
        self._insert(start + np.flatnonzero(mask))

    def _insert(self, new: np.ndarray) -> None:
        """Show column positions ``new`` (after those shown) in their sorted places."""
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
        table = np.asarray([u[:4] for u in updates], dtype=np.float64)
        positions = np.searchsorted(self.columns.row.values, table[:, 0].astype(np.int64))
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

    def _recheck(self, positions: np.ndarray) -> None:
        """Test the filter again on rows whose counts changed."""
        alert_filter = self._pending or self.alert_filter
        assert alert_filter is not None
        if self._pending is None and self._mask is not None:
            try:
                mask = filter_mask(alert_filter, self.columns)
            except NotVectorised:
                pass
            else:
                self._mask = mask[: len(self._mask)]
                self._relayout(self._compute_view())
                return
        self._start(self._job(alert_filter, np.unique(positions), "recheck"))

    # -- the filter thread ------------------------------------------------------------------
    def _job(self, alert_filter: AlertFilter, positions: np.ndarray, kind: str) -> _FilterJob:
        return _FilterJob(self.generation, alert_filter, positions, kind)

    def _start(self, job: _FilterJob) -> None:
        self._jobs.append(job)
        if len(self._jobs) == 1:
            self._launch(job)

    def _launch(self, job: _FilterJob) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        job.thread = threading.Thread(target=self._run, args=(job,), name="filter", daemon=True)
        self._threads.append(job.thread)
        job.thread.start()

    def _run(self, job: _FilterJob) -> None:
        """On the filter thread: the job's rows, after its packets' names if asked."""
        try:
            if job.sample:
                self._learn_names(job)
            if job.error is None:
                job.mask = row_mask(
                    job.alert_filter,
                    self.columns,
                    job.positions,
                    self._reader(job),
                    job.stopped.is_set,
                    lambda done: self._job_progressed.emit(job, done),
                )
        except Exception as exc:  # never a crash, never a silent stop
            log.exception("filter %r failed", job.alert_filter.expression)
            job.error = FilterError(f"the filter failed ({type(exc).__name__}: {exc})")
        with contextlib.suppress(RuntimeError):  # the model is gone (window closed)
            self._job_finished.emit(job)

    def _reader(self, job: _FilterJob) -> Callable[[int], Mapping] | None:
        """``record_of``, taking the packets read for names first (each read once)."""
        record_of = self.record_of
        if record_of is None or not job.records:
            return record_of
        return lambda row: job.records.pop(row, None) or record_of(row)

    def _learn_names(self, job: _FilterJob) -> None:
        """Read one packet per origin not seen yet; refuse a name none of them has."""
        assert self.record_of is not None
        job.samples, job.complete = origin_samples(
            self.columns, len(job.positions), job.seen, NAME_SAMPLES
        )
        for position in job.samples.values():
            if job.stopped.is_set():
                return
            row = int(self.columns.row.values[position])
            try:
                job.records[row] = self.record_of(row)
                job.names |= record_names(job.records[row])
            except Exception as exc:  # an undecodable packet tells no names
                log.debug("no field names from position %d: %r", position, exc)
        try:
            check_names(job.alert_filter, TABLE_NAMES | job.known | job.names)
        except FilterError as exc:
            job.error = exc

    def _progressed(self, job: _FilterJob, done: int) -> None:
        if self._jobs and job is self._jobs[0] and job.generation == self.generation:
            self.filter_progressed.emit(done, len(job.positions))

    def _finished(self, job: _FilterJob, raise_error: bool = False) -> None:
        """A job is done: its result shown (or its error told), the next one started."""
        if job not in self._jobs:
            return  # waited for already, or cancelled
        self._jobs.remove(job)
        if job.thread is not None:
            job.thread.join()  # it has only to return
        self._sampled.update(job.samples)
        self._record_names |= job.names
        if job.complete and not job.stopped.is_set():
            self._sampled_all = max(self._sampled_all, len(job.positions))
        if self._jobs:
            self._launch(self._jobs[0])
        if job.generation != self.generation or job.stopped.is_set():
            return
        if job.error is not None and job.kind == "all":
            self._refused(job.error, raise_error)
            return
        if job.error is not None:  # rows added or updated: cannot happen, short of a bug
            self.filter_failed.emit(str(job.error))
            job.mask = np.zeros(len(job.positions), dtype=bool)
        if job.mask is not None:
            if job.kind == "all":
                self._apply(job.alert_filter, job.mask, covered=len(job.positions))
                self._filter_new()
            elif job.kind == "tail" and job.positions[0] == self._covered:
                self._extend(job.mask)
            elif job.kind == "recheck" and self._mask is not None:
                inside = job.positions < len(self._mask)
                self._mask[job.positions[inside]] = job.mask[inside]
                self._relayout(self._compute_view())
        self.filter_progressed.emit(len(job.positions), len(job.positions))

    def _refused(self, error: FilterError, raise_error: bool) -> None:
        """A new filter failed: the one shown before stays, and takes the rows since."""
        self._cancel()
        self._queued = self._covered
        self._filter_new()
        if raise_error:
            raise error
        self.filter_failed.emit(str(error))

    def _cancel(self) -> None:
        """Drop the pending filter and every job (a running one stops at its next row)."""
        self.generation += 1
        for job in self._jobs:
            job.stopped.set()
        self._jobs.clear()
        self._pending = None

    def stop_filtering(self, timeout: float = 2.0) -> None:
        """Drop the filter thread's work and let it end (the window is closing)."""
        self._cancel()
        for thread in self._threads:
            thread.join(timeout)

    def wait_for_filter(self, timeout: float = 5.0) -> bool:
        """Finish the filter thread's work now (tests, and closing); False on timeout."""
        while self._jobs:
            job = self._jobs[0]
            assert job.thread is not None
            job.thread.join(timeout)
            if job.thread.is_alive():
                return False
            self._finished(job)
        for thread in self._threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

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
        if self.sort_field is None and self.alert_filter is None:
            return None
        if self.sort_field is None:
            order = np.arange(self._covered)
        else:
            order = self.columns.order(self.sort_field, self.descending)
            order = order[order < self._covered]
        if self._mask is not None:
            order = order[self._mask[order]]
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
