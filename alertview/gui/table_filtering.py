"""The alert table's filtering: vectorised at once, or row by row on the filter thread.

A filter on table columns applies at once over whole numpy columns. One that
must go row by row, above all one reading raw packet fields (a decode per
row, milliseconds each), runs on a background thread (``filter_jobs.FilterQueue``):
the table waits briefly for it, then goes on with its rows until the result
arrives. Kept apart from the model's Qt overrides and sorting
(``table_model.AlertTableModel`` mixes it in).
"""

from __future__ import annotations

import contextlib

import numpy as np

from alertview.core.table.filter_columns import NotVectorised, filter_mask
from alertview.core.table.filter_errors import FilterError
from alertview.core.table.filter_jobs import FilterJob, JobKind
from alertview.core.table.filters import AlertFilter

#: How long setting a filter that reads packets waits for its result (a small table then
#: filters at once, as a vectorised filter does); a longer run goes on in the background.
SYNC_WAIT = 0.5


class TableFiltering:
    """The filter part of ``AlertTableModel``: which rows pass, and the filter thread.

    Uses the model's ``columns``, ``_jobs``, ``_mask``, ``_covered``, ``_queued``,
    ``_pending``, its signals and its ``_apply``/``_insert``/``_relayout``.
    """

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
        try:
            self._jobs.refuse_unknown(alert_filter)
        except FilterError as exc:
            self._refused(exc, raise_error=True)
        self._cancel()
        job = self._jobs.whole_table(alert_filter)
        self._pending = alert_filter
        self._queued = len(self.columns)
        self._jobs.start(job)
        if wait > 0 and job.thread is not None:
            job.thread.join(wait)
            if not job.thread.is_alive():
                self._finished(job, raise_error=True)
                return
        self.filter_progressed.emit(0, len(job.positions))

    @property
    def filtering(self) -> bool:
        """Whether the filter thread has rows to test."""
        return self._jobs.busy

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
        self._start(alert_filter, np.arange(start, stop), "tail")

    def _extend(self, mask: np.ndarray) -> None:
        """The filter's result for the rows after those covered: they take their places."""
        start = self._covered
        self._mask = mask if self._mask is None else np.concatenate([self._mask, mask])
        self._covered = len(self._mask)
        self._insert(start + np.flatnonzero(mask))

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
        self._start(alert_filter, np.unique(positions), "recheck")

    def _start(self, alert_filter: AlertFilter, positions: np.ndarray, kind: JobKind) -> None:
        self._jobs.start(self._jobs.job(alert_filter, positions, kind))

    def _announce(self, job: FilterJob) -> None:
        """On the filter thread: ``job`` is done, tell the GUI thread."""
        with contextlib.suppress(RuntimeError):  # the model is gone (window closed)
            self._job_finished.emit(job)

    def _progressed(self, job: FilterJob, done: int) -> None:
        if self._jobs.is_current(job):
            self.filter_progressed.emit(done, len(job.positions))

    def _finished(self, job: FilterJob, raise_error: bool = False) -> None:
        """A job is done: the next one started, its result shown (or its error told)."""
        if self._jobs.settle(job):
            self._use(job, raise_error)

    def _use(self, job: FilterJob, raise_error: bool = False) -> None:
        """The result of a job still wanted: rows shown, or the filter refused."""
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
        self._jobs.cancel()
        self._pending = None

    def stop_filtering(self, timeout: float = 2.0) -> None:
        """Drop the filter thread's work and let it end (the window is closing)."""
        self._cancel()
        self._jobs.join(timeout)

    def wait_for_filter(self, timeout: float = 5.0) -> bool:
        """Finish the filter thread's work now (tests, and closing); False on timeout."""
        return self._jobs.wait(self._use, timeout)
