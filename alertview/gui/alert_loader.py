"""Decoding the selected alert off the GUI thread, and the next one before it is asked for.

A Rubin packet's light curve takes ~5 ms to decode with ~250 previous
sources (benchmarks/results/decode.json), longer with a longer history;
browsing the table row by row should not wait for it. The loader
decodes on one background thread (the GUI thread waits a few frames for
it at most), drops results for rows no longer selected (a generation
counter), keeps the last few alerts ready, and fetches the row after the
selected one while the user looks at it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from PySide6.QtCore import QObject, QTimer, Signal

from alertview.controllers.cutouts import prepare
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import decode_stored
from alertview.core.session.store import AlertStore
from alertview.gui.limits_ahead import LimitsAhead

#: Decoded alerts kept ready (each holds its packet and scaled stamps: ~0.1-1 MB).
KEEP = 16

#: Seconds the GUI thread waits for a selected row's decode before going on without it.
WAIT_FOR_DECODE = 0.03


class AlertLoader(QObject):
    #: (generation, Alert or None, (cutouts, prepared) or an error message).
    loaded = Signal(int, object, object)

    def __init__(self, store: AlertStore, cache: SchemaCache, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.cache = cache
        self.generation = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode")
        self._ready: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self.ahead = LimitsAhead(self._executor, store, cache)
        #: Runs its argument once the shown alert is painted (the window's: see
        #: ``after_paint``); by default once the event loop has run.
        self.after_shown: Callable[[Callable[[], None]], None] = self._next_turn

    def warm(self, row_ids: list[int], choices: tuple[str, str]) -> None:
        """New rows: their stamps' display limits are fitted ahead (``limits_ahead``)."""
        self.ahead.add(row_ids, choices[0])

    def request(self, row_id: int, choices: tuple[str, str]) -> int:
        """Decode ``row_id`` for display; ``loaded`` follows with the returned generation.

        The GUI thread waits up to ``WAIT_FOR_DECODE`` for the decode and shows the
        alert at once: left to run while the event loop repaints the table, the decode
        shares the GIL with that painting and a ~4 ms ZTF decode took 15-25 ms
        (``benchmarks/inspect_latency.py``). A longer decode (a Rubin light curve of
        thousands of sources, a busy machine) is answered later, the loop running."""
        self.generation += 1
        generation = self.generation
        key = (row_id, choices)
        ready = self._take(key)
        if ready is None:
            future = self._executor.submit(lambda: self._take(key) or self._decode(key))
            self.ahead.wake()  # the limits' pause between rows ends: this is next
            try:
                ready = future.result(timeout=WAIT_FOR_DECODE)
            except FutureTimeout:
                future.add_done_callback(lambda done: self._answer(generation, row_id, done))
                return generation
            except Exception as exc:  # shown in the status bar, never a crash
                self.loaded.emit(generation, None, f"cannot decode row {row_id}: {exc}")
                return generation
        self.loaded.emit(generation, ready[0], ready[1:])
        return generation

    def _answer(self, generation: int, row_id: int, done: Future) -> None:
        """A decode that outlasted the wait: ``loaded`` from the decode thread."""
        error = done.exception()
        if error is not None:
            self.loaded.emit(generation, None, f"cannot decode row {row_id}: {error}")
            return
        found = done.result()
        self.loaded.emit(generation, found[0], found[1:])

    def prefetch(self, row_id: int, choices: tuple[str, str]) -> None:
        """Decode ``row_id`` in the background unless the user moves on first.

        It starts after the shown alert is painted (``after_shown``): a decode started
        at once shares the GIL with that painting and made each selection ~6 ms slower
        (``benchmarks/inspect_latency.py``)."""
        generation = self.generation
        self.after_shown(lambda: self._submit_prefetch((row_id, choices), generation))

    def _next_turn(self, then: Callable[[], None]) -> None:
        QTimer.singleShot(0, self, then)

    def _submit_prefetch(self, key: tuple, generation: int) -> None:
        if generation != self.generation:
            return  # another row was selected since, or the window is closing
        with self._lock:
            if key in self._ready:
                return

        def work() -> None:
            if generation != self.generation:
                return  # another row was selected since: that one comes first
            try:
                found = self._decode(key)
            except Exception:
                return  # the error shows if the row is selected
            with self._lock:
                self._ready[key] = found
                while len(self._ready) > KEEP:
                    self._ready.popitem(last=False)

        self._executor.submit(work)

    def clear(self) -> None:
        """Forget the alerts kept ready (their memory; a benchmark's cold selections)."""
        with self._lock:
            self._ready.clear()

    def _take(self, key: tuple) -> tuple | None:
        with self._lock:
            found = self._ready.get(key)
            if found is not None:
                self._ready.move_to_end(key)
            return found

    def _decode(self, key: tuple) -> tuple:
        row_id, choices = key
        # the light curve's fields of the history only; the packet tree decodes the rest
        alert = decode_stored(self.store, row_id, self.cache, Detail.LIGHT_CURVE)
        cutouts = decode_cutouts(alert)
        return alert, cutouts, prepare(cutouts, choices)  # zscale here, not in the GUI

    def shutdown(self) -> None:
        self.generation += 1  # queued prefetches return at once
        self.ahead.stop()
        self._executor.shutdown(wait=True)
