"""Watches: saved filters that tell the user when new alerts pass them.

The session controller calls ``rows_added`` with each batch once its rows are in the
table's columns. Each watch's filter runs vectorised over the rows not looked at yet
(``filter_mask(..., start=covered)``), so a row is tested once whatever happens
after: a watch reports a matching alert once, never again for older rows, never for
the rows a reopened session loads from its store, and not a second time when a
filter is saved again or the table's filter changes.

What the user sees is rate-limited: matches pile up per watch and go out as one
message (``WatchView.notify``) at most every ``interval`` seconds, never one per
alert. Matching rows stay highlighted until the user selects them; the count of
those is the watch's badge.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import NotVectorised, filter_mask
from alertview.core.table.filters import AlertFilter, FilterError, parse_filter
from alertview.core.table.saved_filters import SavedFilter, SavedFilters

log = logging.getLogger(__name__)

#: Seconds between two notifications: a burst of batches gives one message.
NOTIFY_INTERVAL = 5.0
#: New matches a watch keeps highlighted (the newest): a watch matching a whole
#: stream for hours must not grow without bound.
MAX_UNSEEN = 10_000


class WatchView(Protocol):
    """The window's side of the watches (``gui.watches_view``)."""

    def notify(self, text: str) -> None:
        """One desktop notification (or a status-bar message where there is no tray)."""

    def show_highlights(self, rows: frozenset[int]) -> None:
        """Highlight these store rows in the table (and no others)."""

    def show_watches(self) -> None:
        """The saved filters, watches or badges changed: redraw what shows them."""

    def flush_later(self, delay: float) -> None:
        """Call ``flush()`` in ``delay`` seconds (asked once until it has run)."""

    def show_problem(self, text: str) -> None:
        """A passing one-line message (a watch that cannot be checked)."""


class WatchController:
    """Saved filters and watches of one window; no widgets (see ``WatchView``).

    ``columns`` gives the table's columns (``AlertTableModel.columns``), whose rows
    are those the session has shown, in order.
    """

    def __init__(
        self,
        saved: SavedFilters,
        columns: Callable[[], AlertColumns],
        view: WatchView,
        clock: Callable[[], float] = time.monotonic,
        interval: float = NOTIFY_INTERVAL,
    ) -> None:
        self.saved = saved
        self.columns = columns
        self.view = view
        self.clock = clock
        self.interval = interval
        #: Column positions below this have been looked at (tested, or loaded).
        self.covered = len(columns())
        #: Per watch name: (new matches not told yet, the first one described).
        self.pending: dict[str, tuple[int, str]] = {}
        #: Per watch name: store rows that matched and the user has not selected yet.
        self.unseen: dict[str, set[int]] = {}
        self._parsed: dict[str, AlertFilter] = {}
        self._told: set[tuple[str, str]] = set()  # (watch, expression) problems said once
        self._last_sent = -math.inf
        self._flush_asked = False

    # -- rows in -------------------------------------------------------------------------
    def rows_added(self, rows: list[tuple], loaded: bool = False) -> None:
        """Rows were appended to the columns (``loaded``: a reopened session's stored
        rows, which no watch reports)."""
        columns = self.columns()
        start, stop = min(self.covered, len(columns)), len(columns)
        if rows:  # the rows' own places: a batch may come in parts (loaded, then new)
            ends = columns.positions_of([rows[0][0], rows[-1][0]])
            if ends.min() >= 0:
                start, stop = max(start, int(ends[0])), int(ends[-1]) + 1
        self.covered = max(self.covered, stop)
        if loaded or start >= stop:
            return
        fired = False
        for watch in self.saved.watches():
            positions = self._matches(watch, columns, start)
            if positions is not None:
                positions = positions[positions < stop]
            if positions is None or not len(positions):
                continue
            fired = True
            unseen = self.unseen.setdefault(watch.name, set())
            unseen.update(int(r) for r in columns.row.values[positions])
            if len(unseen) > MAX_UNSEEN:  # rows grow with time: the oldest go
                self.unseen[watch.name] = set(sorted(unseen)[-MAX_UNSEEN:])
            count, first = self.pending.get(watch.name, (0, ""))
            first = first or describe(columns, int(positions[0]))
            self.pending[watch.name] = (count + len(positions), first)
        if fired:
            self.view.show_highlights(self.highlighted())
            self.view.show_watches()
            self._notify()

    def _matches(self, watch: SavedFilter, columns: AlertColumns, start: int) -> np.ndarray | None:
        """Positions from ``start`` on that pass ``watch``; None (said once) if its
        filter cannot be tested on the table's columns."""
        try:
            alert_filter = self._parsed.get(watch.expression) or parse_filter(watch.expression)
            self._parsed[watch.expression] = alert_filter
            return start + np.flatnonzero(filter_mask(alert_filter, columns, start))
        except FilterError as exc:
            self._tell_once(watch, f"watch {watch.name}: not checked: {exc}")
        except NotVectorised as exc:
            self._tell_once(
                watch,
                f"watch {watch.name}: not checked: it needs packet fields ({exc}); "
                "a watch tests table columns only",
            )
        return None

    def _tell_once(self, watch: SavedFilter, text: str) -> None:
        key = (watch.name, watch.expression)
        if key not in self._told:
            self._told.add(key)
            log.info("%s", text)
            self.view.show_problem(text)

    # -- telling the user ------------------------------------------------------------------
    def _notify(self) -> None:
        wait = self._last_sent + self.interval - self.clock()
        if wait <= 0:
            self.flush()
        elif not self._flush_asked:
            self._flush_asked = True
            self.view.flush_later(wait)

    def flush(self) -> None:
        """Send what piled up since the last message: one message, a line per watch."""
        self._flush_asked = False
        if not self.pending:
            return
        lines = []
        for name, (count, first) in self.pending.items():
            alerts = "1 new alert" if count == 1 else f"{count} new alerts"
            unseen = self.badge(name)  # what the Saved button counts: since the last look
            waiting = f"; {unseen} not looked at yet" if unseen > count else ""
            lines.append(f"watch {name}: {alerts} (first: {first}){waiting}")
        self.pending.clear()
        self._last_sent = self.clock()
        self.view.notify("\n".join(lines))

    # -- highlights and badges ---------------------------------------------------------------
    def highlighted(self) -> frozenset[int]:
        """Store rows some watch matched that the user has not selected yet."""
        return frozenset().union(*self.unseen.values())

    def badge(self, name: str) -> int:
        """New matches of watch ``name`` not seen yet."""
        return len(self.unseen.get(name, ()))

    def unseen_total(self) -> int:
        return len(self.highlighted())

    def seen(self, row: int) -> None:
        """The user selected store row ``row``: no longer new for any watch."""
        changed = False
        for rows in self.unseen.values():
            if row in rows:
                rows.discard(row)
                changed = True
        if changed:
            self.view.show_highlights(self.highlighted())
            self.view.show_watches()

    def clear_seen(self) -> None:
        """Every match seen: no highlight, no badge."""
        if any(self.unseen.values()):
            self.unseen.clear()
            self.view.show_highlights(frozenset())
            self.view.show_watches()

    # -- changes to the saved filters ---------------------------------------------------------
    def save(self, name: str, expression: str, watch: bool | None = None) -> SavedFilter:
        """Save (or replace) a filter; rows already looked at stay looked at."""
        saved = self.saved.save(name, expression, watch)
        self._check_watchable(saved)
        self.view.show_watches()
        return saved

    def rename(self, name: str, new_name: str) -> SavedFilter:
        renamed = self.saved.rename(name, new_name)
        if name in self.unseen:
            self.unseen[renamed.name] = self.unseen.pop(name)
        if name in self.pending:
            self.pending[renamed.name] = self.pending.pop(name)
        self.view.show_watches()
        return renamed

    def remove(self, name: str) -> None:
        self.saved.remove(name)
        self._forget(name)

    def set_watch(self, name: str, watch: bool) -> SavedFilter:
        """Watch (from the next new row on) or stop watching a saved filter."""
        changed = self.saved.set_watch(name, watch)
        if watch:
            self._check_watchable(changed)
            self.view.show_watches()
        else:
            self._forget(name)
        return changed

    def _forget(self, name: str) -> None:
        self.pending.pop(name, None)
        had = bool(self.unseen.pop(name, None))
        if had:
            self.view.show_highlights(self.highlighted())
        self.view.show_watches()

    def _check_watchable(self, saved: SavedFilter) -> None:
        """Say at once when a new watch cannot be tested on the table's columns."""
        if saved.watch:
            columns = self.columns()
            self._matches(saved, columns, len(columns))


def describe(columns: AlertColumns, position: int) -> str:
    """An alert in a few words: its object, magnitude and band."""
    name = columns.value(position, "object_id")
    if not name:
        name = f"alert {columns.value(position, 'alert_id')}"
    mag, band = columns.value(position, "mag"), columns.value(position, "band")
    if mag is None:
        return str(name)
    return f"{name} mag {mag:.2f}" + (f" {band}" if band else "")
