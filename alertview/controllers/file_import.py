"""Opening files without freezing the window: what the progress widget says, the rate,
and what follows a finished, failed or cancelled import.

A reader off the GUI thread (``gui.file_import.FileImport``) reads files,
folders and archives into the session's store and reports ``ImportProgress``
a few times a second; this controller hands the rows and errors to the
``SessionController`` and decides the words. Opening more while an import
runs queues it: the files open one set after another, in the order asked.
Cancel stops the running import, keeps what it stored, and drops the queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertview.controllers.rate import Rate
from alertview.controllers.session import SessionController
from alertview.controllers.views import ImportView
from alertview.core.session.file_reader import ImportProgress
from alertview.core.wording import counted

#: Seconds of progress the alerts/s figure is averaged over.
RATE_WINDOW = 3.0


@dataclass
class _Job:
    handle: Any
    paths: list[str]
    started: float = 0.0
    total_bytes: int | None = None
    bytes_read: int = 0
    alerts: int = 0
    added: int = 0
    errors: int = 0
    history_done: int = 0
    counting: bool = False


def describe(paths: Sequence[str | os.PathLike]) -> str:
    """A short name for what is being opened: one file's name, or how many."""
    names = [Path(p).name or str(p) for p in paths]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


class FileImportController:
    """One import at a time, the others queued; the progress text and the summary."""

    def __init__(
        self,
        view: ImportView,
        session: SessionController,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.view = view
        self.session = session
        self.clock = clock
        self.current: _Job | None = None
        self.queue: list[_Job] = []
        self._rate = Rate(RATE_WINDOW)

    @property
    def running(self) -> bool:
        return self.current is not None

    # -- what the user asks ---------------------------------------------------------------
    def open(self, handle: Any, paths: Sequence[str | os.PathLike]) -> None:
        """Start reading ``paths`` (``handle``: the view's job), or queue them behind the
        import that runs."""
        job = _Job(handle, [str(p) for p in paths])
        if self.current is None:
            self._start(job)
            return
        self.queue.append(job)
        self.view.show_message(f"{describe(job.paths)} will open after {self._name()}")

    def cancel(self) -> None:
        """Stop the running import (what it stored stays) and forget the queued ones."""
        dropped, self.queue = self.queue, []
        for job in dropped:
            self.view.import_dropped(job.handle)
        if self.current is not None:
            self.view.cancel_import(self.current.handle)
            self.view.show_import(f"cancelling {self._name()}…", None)

    # -- what the reader reports ------------------------------------------------------------
    def sized(self, total_bytes: int | None) -> None:
        """The inputs' size on disk (None: not known, e.g. an unreadable path)."""
        if self.current is not None:
            self.current.total_bytes = total_bytes
            self._show()

    def progressed(self, progress: ImportProgress) -> None:
        job = self.current
        if job is None:
            return
        now = self.clock()
        job.alerts += progress.alerts
        job.added += len(progress.rows)
        job.errors += len(progress.errors) + progress.stored_errors
        job.bytes_read = max(job.bytes_read, progress.bytes_read)
        self._rate.add(now, progress.alerts)
        self.session.rows_read(progress.rows, progress.errors)  # stored errors: in the store
        self._show()

    def history_progressed(self, completed: int) -> None:
        """``completed`` more rows got their light-curve counts (after every row is in)."""
        job = self.current
        if job is None:
            return
        job.counting = True
        job.history_done += completed
        self._show()

    def finished(self, cancelled: bool) -> None:
        """The reader has ended: say what came of it, then start the next queued set."""
        job = self.current
        if job is None:
            return
        self.current = None
        self._rate.restart()
        seconds = self.clock() - job.started
        errors = f", {counted(job.errors, 'error')}" if job.errors else ""
        if cancelled:
            text = f"cancelled {describe(job.paths)}: {job.added} new alerts kept{errors}"
        else:
            text = (
                f"opened {describe(job.paths)}: {job.added} new alerts of {job.alerts} "
                f"in {seconds:.1f} s{errors}"
            )
        self.view.show_import(None, None)
        self.view.show_message(text)
        self.view.import_ended(job.handle, job.added)
        if self.queue:
            self._start(self.queue.pop(0))

    # -- the words --------------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Alerts read a second over the last few seconds."""
        return self._rate.per_second

    def progress_text(self) -> str:
        """ "ztf_public_20180426.tar.gz: 12345 alerts, 812 of 4600 MB, 1850 alerts/s"."""
        job = self.current
        if job is None:
            return ""
        if job.counting:
            return (
                f"{self._name()}: light curves counted for {min(job.history_done, job.added)} "
                f"of {counted(job.added, 'alert')}"
            )
        megabytes = f"{job.bytes_read / 1e6:.0f}"
        if job.total_bytes:
            megabytes += f" of {job.total_bytes / 1e6:.0f}"
        queued = f" ({len(self.queue)} more queued)" if self.queue else ""
        return (
            f"{self._name()}: {counted(job.alerts, 'alert')}, {megabytes} MB, "
            f"{self.rate:.0f} alerts/s{queued}"
        )

    def fraction(self) -> float | None:
        """How far along the bar is (None: not known, a busy bar)."""
        job = self.current
        if job is None:
            return None
        if job.counting:
            return min(1.0, job.history_done / job.added) if job.added else None
        if job.total_bytes:
            return min(1.0, job.bytes_read / job.total_bytes)
        return None

    def _start(self, job: _Job) -> None:
        job.started = self.clock()
        self.current = job
        self._rate.restart(job.started)
        self._show()
        self.view.start_import(job.handle)

    def _name(self) -> str:
        return describe(self.current.paths) if self.current is not None else ""

    def _show(self) -> None:
        self.view.show_import(self.progress_text(), self.fraction())
