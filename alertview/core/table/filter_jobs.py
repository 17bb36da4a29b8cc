"""The table's row-by-row filter, off the GUI thread: jobs run one at a time.

A filter that cannot be vectorised (``filter_columns``) tests a row at a time,
and a name that is no column decodes the row's packet, milliseconds each. So
``FilterQueue`` runs it on a background thread, one ``FilterJob`` at a time,
oldest first. The job is the message both ways: the rows to test, then their
mask or the error. A newer filter makes older jobs stale (a generation
counter) and stops the running one at its next row (a stop event). Before
testing a new filter's rows, a job reads one packet per origin
(``origin_samples``) and refuses a name found in none of them: without that a
typo costs a decode of every stored packet, to find nothing.

No Qt here: ``progressed`` and ``finished`` are called on the filter thread,
and the owner (the table model) hands them to its own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np

from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import TABLE_NAMES, table_fields
from alertview.core.table.filter_errors import FilterError
from alertview.core.table.filter_fields import MappingLookup, record_names
from alertview.core.table.filters import AlertFilter, check_names

log = logging.getLogger(__name__)

#: Where a row came from: rows of one origin share a writer schema, so one packet
#: of each names the raw fields of all of them.
ORIGIN_FIELDS = ("survey", "schema", "topic", "source")
#: Packets read (one per origin) to learn the raw field names before refusing a name.
NAME_SAMPLES = 32

RecordOf = Callable[[int], Mapping]
#: "all" (a new filter), "tail" (appended rows) or "recheck" (rows whose counts came)
JobKind = Literal["all", "tail", "recheck"]


def row_mask(
    alert_filter: AlertFilter,
    columns: AlertColumns,
    positions: Sequence[int] | np.ndarray,
    record_of: RecordOf | None = None,
    stopped: Callable[[], bool] = lambda: False,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray | None:
    """Which of the rows at ``positions`` pass, a row at a time; a row's packet is read
    (``record_of(row id)``) only for a name that is no column. None once ``stopped()``
    (a newer filter); ``progress(rows done)`` about every 0.1 s."""
    passing = np.zeros(len(positions), dtype=bool)
    reported = time.monotonic()
    for number, position in enumerate(positions):
        if stopped():
            return None
        fields = table_fields(columns.row_tuple(int(position)))
        fields.update(columns.triage_fields(int(position)))
        loader = None if record_of is None else partial(record_of, fields["row"])
        passing[number] = alert_filter.matches(MappingLookup(fields, loader))
        if progress is not None and time.monotonic() - reported > 0.1:
            progress(number + 1)
            reported = time.monotonic()
    return passing


def origin_samples(
    columns: AlertColumns, stop: int, seen: frozenset[tuple] = frozenset(), limit: int = 32
) -> tuple[dict[tuple, int], bool]:
    """A row position for each origin (``ORIGIN_FIELDS``) among the first ``stop`` rows
    and not in ``seen``: at most ``limit``, one per (survey, schema, topic) first; and
    whether that is all of them."""
    texts = [columns.texts[name] for name in ORIGIN_FIELDS]
    codes = [text.codes.values[:stop].astype(np.int64) for text in texts]
    key = codes[0]
    for text, code in zip(texts[1:], codes[1:], strict=True):
        key = key * (len(text.values) + 1) + code
    firsts = np.unique(key, return_index=True)[1]
    new = {}
    for position in sorted(int(p) for p in firsts):
        origin = tuple(
            text.values[code[position]] for text, code in zip(texts, codes, strict=True)
        )
        if origin not in seen:
            new[origin] = position
    kinds: dict[tuple, tuple] = {}
    for origin in new:
        kinds.setdefault(origin[:3], origin)
    chosen = dict.fromkeys([*kinds.values(), *new])  # in that order, each once
    return {o: new[o] for o in list(chosen)[:limit]}, len(new) <= limit


@dataclass(eq=False)
class FilterJob:
    """Rows to test on the filter thread, and what came of it (the message both ways)."""

    generation: int
    alert_filter: AlertFilter
    positions: np.ndarray
    kind: JobKind
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


class FilterQueue:
    """Filter jobs over ``columns``, run one at a time on background threads.

    ``progressed(job, rows tested)`` and ``finished(job)`` are called on the filter
    thread; the owner then calls ``settle(job)`` on its own thread and uses the job's
    result only if that says it is still wanted. The raw field names learned from
    packets are kept across filters (``record_names``).
    """

    def __init__(
        self,
        columns: AlertColumns,
        record_of: RecordOf | None,
        progressed: Callable[[FilterJob, int], None],
        finished: Callable[[FilterJob], None],
    ) -> None:
        self.columns = columns
        self.record_of = record_of  # row id -> its packet's record; None: no packets
        self._progressed = progressed
        self._finished = finished
        self.generation = 0  # a job of an older one is stale
        self._jobs: list[FilterJob] = []  # oldest first; only the first runs
        self._threads: list[threading.Thread] = []
        self.record_names: set[str] = set()  # raw fields seen in packets
        self._sampled: set[tuple] = set()  # origins whose packet was read for names
        self._sampled_all = 0  # every origin of the first this many rows was read

    @property
    def busy(self) -> bool:
        """Whether there are rows to test."""
        return bool(self._jobs)

    def job(self, alert_filter: AlertFilter, positions: np.ndarray, kind: JobKind) -> FilterJob:
        """A job of the current generation (not started)."""
        return FilterJob(self.generation, alert_filter, positions, kind)

    def whole_table(self, alert_filter: AlertFilter) -> FilterJob:
        """A new filter's job: every row, after packets for the names not known yet."""
        job = self.job(alert_filter, np.arange(len(self.columns)), "all")
        job.sample, job.seen = self._needs_names(alert_filter), frozenset(self._sampled)
        job.known = frozenset(self.record_names)
        return job

    def refuse_unknown(self, alert_filter: AlertFilter) -> None:
        """Raise FilterError now for a name none of the packets has, when every origin's
        packet was read already (else the job finds out, off the GUI thread)."""
        if self._needs_names(alert_filter) and self._sampled_all == len(self.columns):
            check_names(alert_filter, TABLE_NAMES | self.record_names | self._extra_names())

    def _needs_names(self, alert_filter: AlertFilter) -> bool:
        """Whether some name of ``alert_filter`` is not known yet, and packets can tell."""
        unknown = alert_filter.names - TABLE_NAMES - self.record_names - self._extra_names()
        return bool(unknown) and len(self.columns) > 0 and self.record_of is not None

    def _extra_names(self) -> set[str]:
        """The broker fields the table holds as columns (known names too)."""
        return set(self.columns.extra_names())

    def start(self, job: FilterJob) -> None:
        """Queue ``job``; it runs once those before it are settled."""
        self._jobs.append(job)
        if len(self._jobs) == 1:
            self._launch(job)

    def _launch(self, job: FilterJob) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        job.thread = threading.Thread(target=self._run, args=(job,), name="filter", daemon=True)
        self._threads.append(job.thread)
        job.thread.start()

    def _run(self, job: FilterJob) -> None:
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
                    lambda done: self._progressed(job, done),
                )
        except Exception as exc:  # never a crash, never a silent stop
            log.exception("filter %r failed", job.alert_filter.expression)
            job.error = FilterError(f"the filter failed ({type(exc).__name__}: {exc})")
        self._finished(job)

    def _reader(self, job: FilterJob) -> RecordOf | None:
        """``record_of``, taking the packets read for names first (each read once)."""
        record_of = self.record_of
        if record_of is None or not job.records:
            return record_of
        return lambda row: job.records.pop(row, None) or record_of(row)

    def _learn_names(self, job: FilterJob) -> None:
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
            known = TABLE_NAMES | job.known | job.names | self._extra_names()
            check_names(job.alert_filter, known)
        except FilterError as exc:
            job.error = exc

    def is_current(self, job: FilterJob) -> bool:
        """Whether ``job`` is the one running, for the latest filter (its progress counts)."""
        return bool(self._jobs) and job is self._jobs[0] and job.generation == self.generation

    def settle(self, job: FilterJob) -> bool:
        """``job`` has finished: drop it, keep the names it learned and start the next
        one. Whether its result is still wanted (not stale, not settled before)."""
        if job not in self._jobs:
            return False  # waited for already, or cancelled
        self._jobs.remove(job)
        if job.thread is not None:
            job.thread.join()  # it has only to return
        self._sampled.update(job.samples)
        self.record_names |= job.names
        if job.complete and not job.stopped.is_set():
            self._sampled_all = max(self._sampled_all, len(job.positions))
        if self._jobs:
            self._launch(self._jobs[0])
        return job.generation == self.generation and not job.stopped.is_set()

    def cancel(self) -> None:
        """Drop every job (a running one stops at its next row)."""
        self.generation += 1
        for job in self._jobs:
            job.stopped.set()
        self._jobs.clear()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for each thread to end; False if one still runs."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    def wait(self, use: Callable[[FilterJob], None], timeout: float) -> bool:
        """Run the queue out now, settling each job and handing a wanted one to ``use``;
        False on timeout."""
        while self._jobs:
            job = self._jobs[0]
            assert job.thread is not None
            job.thread.join(timeout)
            if job.thread.is_alive():
                return False
            if self.settle(job):
                use(job)
        return self.join(timeout)
