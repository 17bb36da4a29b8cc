"""Files, folders and archives read into the session off the GUI thread, and a
reopened session's rows loaded into the table in chunks between events.

A ZTF nightly archive (~10^5 alerts, several GB) read on the GUI thread froze
the window for minutes. ``Reader`` reads it off the GUI thread: the table's
fields only (``Detail.TABLE``, as the live stream decodes), stored in batches,
the new rows handed to the GUI thread a few times a second; once every row is
in, the light-curve counts are completed (``HistoryCompletion``) the way the
stream does when idle. Large inputs are read in a child process, as the live
stream is: measured on a 20,000-alert archive on a busy 2-core machine, a
reader thread made a 10 ms GUI timer 75 ms late at the 99th percentile (it
holds the GIL), a child process 24 ms (``benchmarks/open_archive.py``,
docs/performance.md "Opening files"). Small inputs stay in the thread: a
child takes ~1 s to start.

``FileImportController`` (``controllers.file_import``) decides the words and
what follows; ``FileImports`` is the window's part: the thread, the status-bar
widget, the queue's Qt side.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from alertview.controllers.file_import import FileImportController
from alertview.core.avro.schemas import SchemaCache
from alertview.core.session.file_reader import (
    Ended,
    HistoryCounted,
    ImportNews,
    ImportProgress,
    Reader,
    Sized,
    input_sizes,
    read_in_child,
)
from alertview.core.session.store import AlertStore
from alertview.core.wording import counted

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

log = logging.getLogger(__name__)

#: Rows a reopened session appends at a time (one insert; ~5 ms here)...
LOAD_CHUNK = 500
#: ...for this many seconds per turn of the event loop; then the other events and
#: timers go (the table is drawn on some turns: ~13 ms with a million rows here).
LOAD_BUDGET = 0.010
#: Milliseconds between two such turns.
LOAD_EVERY_MS = 1
#: Seconds between two drawings of the table while the rows load.
LOAD_DRAW_EVERY = 0.25
#: Inputs of this many bytes or more are read in a child process (a few hundred alerts).
IN_PROCESS_BYTES = 32 * 2**20


class FileImport(QThread):
    """One import: runs a ``Reader`` and turns its news into signals.

    Inputs under ``IN_PROCESS_BYTES`` are read in this thread (a child process
    takes ~1 s to start); larger ones in a child process at a lower priority,
    this thread relaying its news: decoding in a thread of the viewer holds
    its GIL, and the GUI thread's timers come late (measured on a ZTF nightly
    archive: docs/performance.md "Opening files").
    """

    #: The inputs' size on disk in bytes (None: unknown).
    sized = Signal(object)
    #: An ``ImportProgress``: rows stored, alerts and bytes read, errors.
    progressed = Signal(object)
    #: [(row, n_detections, n_upper_limits, n_forced, schema)] completed later.
    history_completed = Signal(object)
    #: The reader is done (True: it was cancelled).
    ended = Signal(bool)
    #: The window has taken everything in (rows, counts, the summary): emitted by
    #: ``FileImports`` with the alerts added, also when a queued job is dropped.
    done = Signal(int)

    def __init__(
        self, paths: Sequence[str | os.PathLike], store: AlertStore, cache: SchemaCache
    ) -> None:
        super().__init__()
        self.paths = [str(p) for p in paths]
        self.store = store
        self.cache = cache
        self.cancelled = False
        self.added: int | None = None  # set when done
        #: Whether the reader ran in a child process (decided when it starts).
        self.in_process = False

    def cancel(self) -> None:
        self.cancelled = True

    def wait_done(self, timeout: float | None = None) -> bool:
        """For scripts: run the event loop until the window has taken this import in
        (``done``); False if ``timeout`` seconds passed first."""
        if self.added is not None:
            return True
        loop = QEventLoop()
        self.done.connect(loop.quit)
        if timeout is not None:
            QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        return self.added is not None

    def run(self) -> None:
        try:
            sizes = input_sizes(self.paths)
            self.in_process = sum(sizes.values()) >= IN_PROCESS_BYTES
            if self.in_process:
                self._run_child(sizes)
            else:
                cancelled = lambda: self.cancelled  # noqa: E731
                Reader(self.paths, self.store, self.cache, self._relay, cancelled, sizes).run()
        except Exception as exc:  # the child could not start (no memory, no process left)
            log.exception("reading %s failed", self.paths)
            known = isinstance(exc, OSError) and exc.strerror
            reason = f"cannot read: {exc.strerror if known else f'{type(exc).__name__}: {exc}'}"
            self.progressed.emit(ImportProgress(errors=[f"{' '.join(self.paths)}: {reason}"]))
            self.ended.emit(self.cancelled)  # the window must not wait for ever

    def _relay(self, news: ImportNews) -> None:
        match news:
            case Sized():
                self.sized.emit(news.total)
            case ImportProgress():
                self.progressed.emit(news)
            case HistoryCounted():
                self.history_completed.emit(news.rows)
            case Ended():
                self.ended.emit(news.cancelled)

    def _run_child(self, sizes: dict[str, int]) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process running Qt
        conn, child_conn = context.Pipe(duplex=True)
        cache = self.cache
        schemas = (
            cache.registry_url,
            tuple(sorted(cache.registry_config.items())),
            cache.use_lsst_package,
        )
        process = context.Process(
            target=read_in_child,
            args=(self.paths, sizes, str(self.store.folder), schemas, child_conn),
            name="alertview-import",
            daemon=True,
        )
        process.start()
        child_conn.close()
        told = False
        outcome: Ended | None = None
        try:
            while outcome is None:
                if self.cancelled and not told:
                    conn.send("stop")
                    told = True
                if not conn.poll(0.05):
                    continue
                news = conn.recv()
                if isinstance(news, Ended):
                    outcome = news
                else:
                    self._relay(news)
        except Exception as exc:  # the child died (killed, out of memory) or sent garbage
            process.join(2)
            reason = f"the reading process ended (exit code {process.exitcode})"
            if not isinstance(exc, (EOFError, OSError)):
                reason = f"internal error: {type(exc).__name__}: {exc} — please report"
            self.progressed.emit(ImportProgress(errors=[f"{' '.join(self.paths)}: {reason}"]))
            outcome = Ended(self.cancelled)
        finally:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
            conn.close()
        # said once the child has gone (its store closed, its interpreter ended: up to a
        # second): the window then waits for this thread without stalling
        self._relay(outcome)


class ImportProgressWidget(QWidget):
    """The status bar's progress: what is read, a bar, and Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("stop reading: what is stored already stays")
        self.cancel_button.clicked.connect(self.cancel_requested)
        for widget in (self.label, self.bar, self.cancel_button):
            layout.addWidget(widget)
        # the status bar gives its permanent widgets the spare width: the bar and the
        # button keep their own size, the spare goes before them
        self.bar.setFixedWidth(160)
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.insertStretch(0, 1)
        self.hide()

    def show_progress(self, text: str | None, fraction: float | None, cancel: bool = True) -> None:
        if text is None:
            self.hide()
            return
        self.label.setText(text)
        if fraction is None:
            self.bar.setRange(0, 0)  # busy
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(fraction * 1000))
        self.cancel_button.setVisible(cancel)
        self.show()


class FileImports(QObject):
    """The window's imports: starts ``FileImport`` threads as the controller says,
    relays their reports, and loads a reopened session's rows in chunks first.
    Implements ``controllers.views.ImportView``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.widget = ImportProgressWidget()
        self.controller = FileImportController(self, window.session)
        self.widget.cancel_requested.connect(self.controller.cancel)
        self.running: FileImport | None = None
        self.loading = False
        self._waiting: list[tuple[FileImport, list[str]]] = []  # opened while loading
        self._counting: threading.Thread | None = None  # the session's rows being counted
        # a timer, not singleShot(0): a posted call re-posted from itself can run again
        # before the other timers' turn (measured: a 10 ms timer ~50 ms late at p50)
        self._load_timer = QTimer(self)
        self._load_timer.setInterval(LOAD_EVERY_MS)
        self._load_timer.timeout.connect(self._load_step)

    # -- what the window asks ---------------------------------------------------------------
    def open(self, paths: Sequence[str | os.PathLike]) -> FileImport:
        """Read ``paths`` in the background (queued behind the running import, or the
        session's rows still loading); returns the job."""
        job = FileImport(paths, self.window.store, self.window.cache)
        if self.loading:  # its rows come after the stored ones: they go in first
            self._waiting.append((job, job.paths))
        else:
            self.controller.open(job, job.paths)
        return job

    def load_rows(self) -> None:
        """Append the store's rows to the table a chunk per turn of the event loop
        (a reopened session may hold 10^6: seconds of work)."""
        if self.loading:
            return
        self.loading = self.window.session.loading = True
        self._total: int | None = None
        self._drawn = 0.0
        # counting 10^6 rows reads the whole index: ~1 s when it is not cached yet
        self._counting = threading.Thread(target=self._count, name="alertview-count", daemon=True)
        self._counting.start()
        self._load_step()
        if self.loading:
            self._load_timer.start()

    def shutdown(self) -> None:
        """The window closes: stop reading (what is stored stays) and wait for it."""
        self._waiting = []
        self.controller.queue = []
        if self.running is not None:
            self.running.cancel()
            self.running.wait()
            self.running = None
        self.loading = self.window.session.loading = False
        self._load_timer.stop()
        self.window.table.setUpdatesEnabled(True)
        if self._counting is not None:  # its query must end before the store closes
            self._counting.join(10)  # (closing a connection mid-query crashed the process)
            self._counting = None

    def _count(self) -> None:
        with contextlib.suppress(Exception):  # only the progress text needs it
            self._total = len(self.window.store)

    def _load_step(self) -> None:
        if not self.loading:
            return
        now = time.monotonic()
        table = self.window.table
        # the table is drawn again a few times a second, not after every turn: drawing
        # it (~13 ms with 10^6 rows here) cost as much as the rows appended in a turn
        table.setUpdatesEnabled(False)
        draw = now - self._drawn >= LOAD_DRAW_EVERY
        deadline = now + (0.0 if draw else LOAD_BUDGET)  # a turn that draws appends less
        while (more := self.window.session.refresh_rows(limit=LOAD_CHUNK)) and (
            time.monotonic() < deadline
        ):
            pass
        if not more or draw:
            table.setUpdatesEnabled(True)  # drawn when the event loop comes to it
            self._drawn = now
        if more:
            shown, total = self.window.model.total, self._total
            # (a stream may be adding)
            count = f"{shown} of {counted(max(total, shown), 'alert')}" if total else ""
            fraction = min(1.0, shown / total) if total else None
            text = f"loading the session: {count or counted(shown, 'alert')}"
            self.widget.show_progress(text, fraction, False)
            return
        self.loading = self.window.session.loading = False
        self._load_timer.stop()
        if not self.controller.running:
            self.widget.show_progress(None, None)
        self.window.rows_loaded.emit()
        waiting, self._waiting = self._waiting, []
        for job, paths in waiting:
            self.controller.open(job, paths)

    # -- the ImportView the controller drives ----------------------------------------------------
    def start_import(self, handle: FileImport) -> None:
        controller = self.controller
        handle.sized.connect(controller.sized)
        handle.progressed.connect(controller.progressed)
        handle.history_completed.connect(self._history_completed)
        handle.ended.connect(controller.finished)
        self.running = handle
        handle.start()

    def _history_completed(self, completed: list[tuple]) -> None:
        self.window.model.update_counts(completed)
        self.controller.history_progressed(len(completed))

    def cancel_import(self, handle: FileImport) -> None:
        handle.cancel()

    def import_dropped(self, handle: FileImport) -> None:
        handle.added = 0
        handle.done.emit(0)

    def import_ended(self, handle: FileImport, added: int) -> None:
        handle.wait()  # the thread has emitted its last signal: a moment at most
        if self.running is handle:
            self.running = None
        self.window.session.update_status()
        handle.added = added
        handle.done.emit(added)
        self.window.import_finished.emit(handle)

    def show_import(self, text: str | None, fraction: float | None) -> None:
        self.widget.show_progress(text, fraction)

    def show_message(self, text: str) -> None:
        self.window.show_message(text)
