"""The session behind the main window: files in, live batches in, the filter, the
status text, and which alert to decode next.

The window keeps what only Qt can hold (the worker thread, the decode thread,
dialogs, timers); it reports what happened and this controller decides what
follows and what the window says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from alertview.controllers.follow import Attention
from alertview.controllers.rate import Rate
from alertview.controllers.views import AlertLoader, SessionView, TableModel
from alertview.core.alert import Alert
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.session.store import AlertStore
from alertview.core.stream.messages import BrokerStatus
from alertview.core.table.filters import FilterError, parse_filter
from alertview.core.wording import counted

#: Alerts read from files are stored (and read back) in batches of this size.
OPEN_BATCH = 500
#: Rows read from the store at a time: a reopened session can hold millions, and
#: small chunks keep the transient Python tuples (~1.5 KB a row) from bloating RSS.
REFRESH_CHUNK = 5_000
#: Seconds of batches the ingest rate is averaged over.
RATE_WINDOW = 5.0


class SessionController:
    """Rows into the table, the filter, the status bar and the read-ahead policy."""

    def __init__(
        self,
        view: SessionView,
        store: AlertStore,
        cache: SchemaCache,
        model: TableModel,
        loader: AlertLoader,
    ) -> None:
        self.view = view
        self.store = store
        self.cache = cache
        self.model = model
        self.loader = loader
        #: Messages that could not be read from files, and stream failures.
        self.errors: list[str] = []
        self.streaming = False
        self.follow = False  # scroll to the newest rows as they arrive
        self.lag: int | None = None
        self.broker_status = BrokerStatus()
        #: Why the stream stores nothing now (a nearly full disk), or "".
        self.storage_problem = ""
        self.received = 0
        self.match_text = ""
        self._rate = Rate(RATE_WINDOW)
        self._read_ahead: tuple[int, tuple[str, str]] | None = None  # (row id, choices)
        self._last_row = 0
        self._loading = False
        #: The last row stored when the load began: rows after it are new, not loaded.
        self._loaded_upto = 0
        #: Called with each batch once it is in the model's columns, and whether it is
        #: a reopened session's own rows (stored before its load began), which
        #: ``controllers.watches`` does not report.
        self.row_listeners: list[Callable[[list[tuple], bool], None]] = []

    @property
    def loading(self) -> bool:
        """A reopened session's stored rows are being appended (a chunk per turn of the
        event loop): rows stored meanwhile wait in the store for their turn."""
        return self._loading

    @loading.setter
    def loading(self, on: bool) -> None:
        if on and not self._loading:
            # the session's own rows end here; a stream's rows stored while they load
            # come after, go in with the load, and are new (the watches tell them)
            self._loaded_upto = self.store.last_row()
        self._loading = on

    # -- rows in --------------------------------------------------------------------------------
    def open_paths(self, paths: Iterable[str | os.PathLike]) -> int:
        """Read files, folders or archives into the session; returns alerts added."""
        added, batch = 0, []
        for item in read_alerts(paths, self.cache):
            if isinstance(item, DecodeError):
                self.errors.append(f"warning: {item}" if item.warning else str(item))
                continue
            batch.append(item)
            if len(batch) >= OPEN_BATCH:
                added += self.store.add(batch)
                batch = []
        added += self.store.add(batch)
        self.refresh_rows()
        return added

    def rows_read(self, rows: list[tuple], errors: Iterable[str]) -> None:
        """A file import's batch (``controllers.file_import``): its stored rows to the
        table, its unreadable inputs to the errors panel."""
        self.errors.extend(errors)
        self._append(rows)
        self.update_status()

    def refresh_rows(self, limit: int | None = None) -> bool:
        """Append the rows the store gained since the last call (one insert per chunk).

        ``limit``: at most that many (a reopened session's first load goes in chunks
        between events: ``gui.file_import.FileImports.load_rows``). Returns whether rows
        may remain.
        """
        chunk = REFRESH_CHUNK if limit is None else min(limit, REFRESH_CHUNK)
        added = 0
        while rows := self.store.rows(after=self._last_row, limit=chunk):
            self._show_rows(rows)
            added += len(rows)
            if len(rows) < chunk or (limit is not None and added >= limit):
                break
        self.update_status()
        return limit is not None and added >= limit

    def _append(self, rows: list[tuple]) -> None:
        """New rows (a stream's, an import's) to the table; while the stored ones load,
        they are left to the load, which reads them from the store in their turn (shown
        now, they would make the load skip the older rows not shown yet). A batch past
        rows not shown yet (an import's, stored before a stream's batch whose news came
        first) takes them from the store with it, in store order: shown alone, it would
        make them be skipped as already shown when their own news came."""
        if self.loading or not rows:
            return
        if rows[0][0] > self._last_row + 1:  # (or a gap: duplicates leave row numbers out)
            self.refresh_rows()
        else:
            self._show_rows(rows)

    def _show_rows(self, rows: list[tuple]) -> None:
        """Rows in store order; any already shown (read by ``refresh_rows``) are skipped."""
        if rows and rows[0][0] <= self._last_row:
            rows = [r for r in rows if r[0] > self._last_row]
        if not rows:
            return
        first = self.model.total == 0
        self._last_row = rows[-1][0]
        self.model.append_rows(rows)  # one insert: the table sees one chunk
        self.view.rows_added(first)
        # the rows the session held before its load began are no watch's news
        upto = self._loaded_upto if self.loading else 0
        loaded = [r for r in rows if r[0] <= upto] if rows[0][0] <= upto else []
        for part, was_loaded in ((loaded, True), (rows[len(loaded) :], False)):
            if part:
                for listener in self.row_listeners:
                    listener(part, was_loaded)
        if len(rows) > len(loaded):  # new rows: their stamps' limits fitted ahead
            self.loader.warm([r[0] for r in rows[len(loaded) :]], self.view.display_choices())

    # -- the filter -----------------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        """Filter the table; a bad filter (a typo, a hostile text) is explained, never
        raised. One reading packets finishes in the model's background thread."""
        text = text.strip()
        try:
            self.model.set_filter(parse_filter(text) if text else None)
        except FilterError as exc:
            self.filter_failed(str(exc))
            return
        self.view.show_filter_error(None)
        self.update_status()
        if self.model.filtering:
            self._show_match("filtering…")

    def filter_failed(self, message: str) -> None:
        self.view.show_filter_error(message)
        self._show_match(message)

    def filter_progressed(self, done: int, total: int) -> None:
        if done < total:
            self._show_match(f"filtering… {done} of {total}")
        else:
            self.update_status()

    def _show_match(self, text: str) -> None:
        self.match_text = text
        self.view.show_match(text)

    # -- the status bar -------------------------------------------------------------------------
    @property
    def error_count(self) -> int:
        return len(self.errors) + self.store.error_count()

    def status_text(self) -> str:
        lag = "" if self.lag is None else f", lag {self.lag}"
        live = f", {self.received} received, {self.rate:.0f}/s{lag}" if self.streaming else ""
        outage = f" — {self.broker_status.describe()}" if self.broker_status.down else ""
        dropped = self.store.packets_dropped()
        kept = f", {counted(dropped, 'packet')} dropped (retention)" if dropped else ""
        storing = f" — {self.storage_problem}" if self.storage_problem else ""
        return f"{counted(self.model.total, 'alert')}{kept}{live}{outage}{storing}"

    def match_count(self) -> str:
        """What the filter passes, out of what the table would show without it: the
        sky map's selection when there is one (the table shows only its alerts)."""
        shown = self.model.rowCount()
        sky = getattr(self.model, "sky_count", None)
        if sky is None:
            return f"{shown:,} of {self.model.total:,} match"
        return f"{shown:,} of {sky:,} in the sky selection match"

    def update_status(self) -> None:
        self.model.set_dropped_before(self.store.dropped_before())
        if self.model.alert_filter is not None:
            self._show_match(self.match_count())
        elif not self.match_text.startswith("bad filter"):
            self._show_match("")
        self.view.show_error_count(self.error_count)
        self.view.show_status(self.status_text())

    # -- the live stream ------------------------------------------------------------------------
    def stream_started(self, topics: Iterable[str], bootstrap: str) -> None:
        self.streaming = True
        self.view.show_stream_controls(True)
        self.view.show_title(f"AlertView — {', '.join(topics)} @ {bootstrap}")

    def stream_stopped(self) -> None:
        """The worker has ended (or none ran): no stream, so no outage to show."""
        if self.streaming:
            self.streaming = False
            self.health_changed(BrokerStatus())
        self.view.show_stream_controls(False)

    def batches_stored(self, rows: list[tuple], messages: int, errors: int) -> None:
        now = time.monotonic()
        self.received += messages
        self._rate.add(now, messages)
        # where the user is looking is taken before the rows go in (they may move it)
        attention = self.view.table_attention() if self.follow else None
        self._append(rows)
        self.update_status()
        if attention is not None and self.model.rowCount():
            self._follow(attention)

    def set_follow(self, on: bool) -> None:
        """Follow newest turned on or off; on, the newest row is brought in sight at once
        (unless the user is on a row)."""
        self.follow = on
        if on and self.model.rowCount():
            self._follow(replace(self.view.table_attention(), newest_in_sight=True))

    def _follow(self, attention: Attention) -> None:
        """Scroll to the newest row if the user is on none (never select it)."""
        if attention.follow_step() == "scroll":
            self.view.scroll_to_newest()

    @property
    def rate(self) -> float:
        """Alerts a second over the last few seconds."""
        return self._rate.per_second

    def lag_changed(self, lag: int | None) -> None:
        self.lag = lag  # shown with the next batch

    def health_changed(self, status: BrokerStatus) -> None:
        """The outage stays in sight until the broker answers (the stream resumes by itself)."""
        self.broker_status = status
        self.update_status()

    def storage_stopped(self, reason: str) -> None:
        """The disk is nearly full: the stream stores nothing and commits nothing until
        space is freed (it retries by itself). Said in the status bar until then, and
        kept in the errors panel."""
        self.storage_problem = "storing stopped: disk nearly full"
        self.errors.append(reason)
        self.view.show_stream_state(self.storage_problem)
        self.update_status()

    def storage_resumed(self) -> None:
        self.storage_problem = ""
        self.view.show_stream_state("receiving")
        self.update_status()

    def stream_failed(self, message: str) -> None:
        """The stream ended (a refused password or certificate, a broker not found):
        said in a dialog the user cannot miss, kept in the errors panel."""
        self.errors.append(message)
        self.view.show_stream_state(message)
        self.update_status()
        self.view.show_failure(message)

    # -- the selected alert ---------------------------------------------------------------------
    def current_changed(self, row: int, previous: int) -> None:
        """Row ``row`` was selected (``previous``: -1 if none): decode it off the GUI
        thread; browsing row by row, the next row in the same direction is decoded once
        this one is shown (not before: the two would share the GIL with the drawing)."""
        if row < 0:
            return
        choices = self.view.display_choices()
        following = row + (-1 if previous == row + 1 else 1)
        self._read_ahead = None
        if 0 <= following < self.model.rowCount():
            self._read_ahead = (self.model.row_id(following), choices)
        self.loader.request(self.model.row_id(row), choices)

    def decoded(self, generation: int, alert: Alert | None, result: Any) -> None:
        """The loader's answer (an alert and ``(cutouts, prepared)``, or None and why):
        drawn if its row is still the selected one."""
        if generation != self.loader.generation:
            return  # the user has moved on
        if alert is None:
            self.view.show_message(str(result))
            return
        cutouts, prepared = result
        self.view.show_alert(alert, cutouts, prepared)
        if self._read_ahead is not None:
            self.loader.prefetch(*self._read_ahead)
            self._read_ahead = None
