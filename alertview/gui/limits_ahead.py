"""Display limits of new rows fitted ahead, on the decode thread, so selecting any row
(a cold jump: nothing of it decoded yet) only scales its stamps (issue 15 §3).

Rows are added as the table receives them; the newest are fitted first and at most
``KEEP_PENDING`` wait (a Rubin visit brings ~10,000 alerts every 30-40 s: the ones
the user is likely to click are the latest). The work shares the loader's single
decode thread one row per turn, so a selection waits for at most one row (~3 ms),
and pauses as long as it worked after each row: it never takes more than half the
thread, and a selection ends the pause at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import cast

from alertview.core.avro.schemas import SchemaCache
from alertview.core.scaling import Limits
from alertview.core.session.store import AlertStore
from alertview.core.stamp_limits import fit_row

log = logging.getLogger(__name__)

#: Rows waiting to be fitted, the newest kept.
KEEP_PENDING = 2_000


class LimitsAhead:
    """Rows whose stamps' limits are fitted, one a turn, on ``executor``."""

    def __init__(self, executor: Executor, store: AlertStore, cache: SchemaCache) -> None:
        self.executor = executor
        self.store = store
        self.cache = cache
        self.method: Limits = "zscale"
        self._rows: deque[int] = deque(maxlen=KEEP_PENDING)
        self._lock = threading.Lock()
        self._running = False
        self._stopped = False
        self._wake = threading.Event()
        self.fitted = 0  # rows done (tests, benchmarks)

    def add(self, rows: Iterable[int], method: str) -> None:
        """Fit these rows' limits (with ``method``) when the thread is free."""
        with self._lock:
            self.method = cast(Limits, method)
            self._rows.extend(rows)
            if self._running or self._stopped or not self._rows:
                return
            self._running = True
        self._submit()

    def wake(self) -> None:
        """A selection is waiting: end the pause between rows now."""
        self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._rows.clear()
        self._wake.set()

    def _submit(self) -> None:
        try:
            self.executor.submit(self._turn)
        except RuntimeError:  # the executor is shut down: the window is closing
            with self._lock:
                self._running = False

    def _turn(self) -> None:
        with self._lock:
            if self._stopped or not self._rows:
                self._running = False
                return
            row, method = self._rows.pop(), self.method  # the newest first
        start = time.monotonic()
        try:
            fit_row(self.store, self.cache, row, method)
            self.fitted += 1
        except Exception as exc:  # a broken packet: its selection will say why
            log.debug("limits of row %s not fitted ahead: %s", row, exc)
        self._wake.wait(time.monotonic() - start)
        self._wake.clear()
        self._submit()
