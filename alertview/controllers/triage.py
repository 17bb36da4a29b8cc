"""Scanning a stream: the selected alerts (or their objects) marked, noted, tagged; the
next alert nobody has looked at; how many are scanned and left.

The session's store keeps the triage (it survives a reopen); the table's columns get
each new state so that filters, sorting and the Triage column see it at once. No
widgets here: the window is a ``TriageView``, the table's model a ``TriageModel``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from alertview.core.errors import AlertViewError
from alertview.core.table.triage import TRIAGE_NAMES, split_tags, tag_edit

if TYPE_CHECKING:
    from alertview.core.session.store import AlertStore
    from alertview.core.table.columns import AlertColumns
    from alertview.core.table.triage import Triage

log = logging.getLogger(__name__)


class TriageModel(Protocol):
    """What triage needs of the table's model (``gui.table_model.AlertTableModel``)."""

    columns: AlertColumns

    def rowCount(self, parent: Any = ...) -> int: ...

    def position(self, row: int) -> int: ...

    def shown_positions(self) -> np.ndarray: ...

    def fields_changed(self, positions: np.ndarray, names: set[str]) -> None: ...


class TriageView(Protocol):
    """The window's table and status bar, as triage sees them."""

    def selected_table_rows(self) -> list[int]:
        """Table rows selected, in table order."""

    def current_table_row(self) -> int:
        """The table row with the keyboard focus (-1: none)."""

    def go_to_row(self, row: int) -> None:
        """Make table row ``row`` the current, selected one, in sight."""

    def show_counter(self, text: str) -> None:
        """The scanned / left counter in the status bar."""

    def show_message(self, text: str) -> None:
        """A passing message (nothing selected, a store that refused)."""


class TriageController:
    """Triage keys and dialogs, the next unscanned alert, the counter."""

    def __init__(self, view: TriageView, store: AlertStore, model: TriageModel) -> None:
        self.view = view
        self.store = store
        self.model = model

    @property
    def columns(self) -> AlertColumns:
        return self.model.columns

    # -- which alerts ---------------------------------------------------------------------
    def target_positions(self, whole_object: bool = False) -> np.ndarray:
        """Column positions of the selected alerts; ``whole_object``: every alert of
        their objects (an id within its survey), shown or not."""
        rows = self.view.selected_table_rows()
        positions = np.asarray([self.model.position(r) for r in rows], dtype=np.int64)
        if whole_object and len(positions):
            columns = self.columns
            objects = {
                (columns.value(int(p), "object_id"), columns.value(int(p), "survey"))
                for p in positions
            }
            parts = [positions]
            parts += [columns.object_positions(o, s) for o, s in objects if o is not None]
            positions = np.unique(np.concatenate(parts).astype(np.int64))
        return positions

    def _store_rows(self, positions: np.ndarray) -> list[int]:
        return [int(r) for r in self.columns.row.values[positions]]

    # -- changes --------------------------------------------------------------------------
    def mark(self, state: str | None, whole_object: bool = False) -> int:
        """Set the triage state of the selected alerts (None: clear); returns how many."""
        return self._change(whole_object, lambda rows: self.store.set_triage(rows, state))

    def set_note(self, note: str, whole_object: bool = False) -> int:
        return self._change(whole_object, lambda rows: self.store.set_note(rows, note.strip()))

    def change_tags(
        self, add: Iterable[str], remove: Iterable[str] = (), whole_object: bool = False
    ) -> int:
        """Add tags ``add`` and remove ``remove`` on the selected alerts."""
        add, remove = list(add), list(remove)

        def change(rows: Sequence[int]) -> list[Triage]:
            changed = self.store.remove_tags(rows, remove) if remove else []
            return changed + (self.store.add_tags(rows, add) if add else [])

        return self._change(whole_object, change)

    def _change(self, whole_object: bool, call: Callable[[list[int]], list[Triage]]) -> int:
        positions = self.target_positions(whole_object)
        if not len(positions):
            self.view.show_message("select the alerts to triage first")
            return 0
        try:
            triages = call(self._store_rows(positions))
        except (AlertViewError, sqlite3.Error, OSError, ValueError) as exc:
            log.warning("triage not saved: %s", exc)
            self.view.show_message(f"triage not saved: {exc}")
            return 0
        self.triages_changed(triages)
        return len(positions)

    def triages_changed(self, triages: Iterable[Triage]) -> None:
        """New triage of rows (set here, or loaded with a reopened session's rows): into
        the columns, the table filtered or redrawn, the counter. The cursor stays on its
        table row when its alert leaves a filter on triage (the next one comes up)."""
        before = self.view.current_table_row()
        changed = self.columns.set_triage(triages)
        if not len(changed):
            return
        self.model.fields_changed(changed, set(TRIAGE_NAMES))  # the table filters again
        rows = self.model.rowCount()
        if before >= 0 and self.view.current_table_row() < 0 and rows:
            self.view.go_to_row(min(before, rows - 1))
        self.update_counter()

    def load_stored(self) -> None:
        """The triage the session kept, onto the rows in the table (a reopened session)."""
        try:
            stored = self.store.triage()
        except (AlertViewError, sqlite3.Error, OSError) as exc:
            self.view.show_message(f"the session's triage could not be read: {exc}")
            return
        self.triages_changed(stored.values())
        self.update_counter()

    # -- what the dialogs show ------------------------------------------------------------
    def current_note(self) -> str:
        """The note of the current alert (the note dialog starts from it)."""
        row = self.view.current_table_row()
        if row < 0:
            return ""
        return self.columns.value(self.model.position(row), "note") or ""

    def common_tags(self) -> list[str]:
        """Tags every selected alert has (the tags dialog starts from them)."""
        tags: set[str] | None = None
        for row in self.view.selected_table_rows():
            has = set(split_tags(self.columns.value(self.model.position(row), "tags")))
            tags = has if tags is None else tags & has
        return sorted(tags or ())

    def known_tags(self) -> list[str]:
        """Every tag used in the session (the tags dialog completes them)."""
        used: set[str] = set()
        for triage in self.store.triage().values():
            used.update(triage.tags)
        return sorted(used)

    def edit_tags(self, text: str, start: Sequence[str], whole_object: bool = False) -> int:
        """The tags dialog's answer: ``text`` replaces ``start`` (the tags shown). A word
        that cannot be a tag refuses the whole edit: what was typed in its place (``sn!``
        for ``sn``) would otherwise remove the tag it meant to keep."""
        edit = tag_edit(text, start)
        if edit.refused:
            self.view.show_message(edit.refused)
            return 0
        add, remove = list(edit.added), list(edit.removed)
        if not add and not remove:
            return 0
        return self.change_tags(add, remove, whole_object)

    # -- scanning -------------------------------------------------------------------------
    def untriaged(self, positions: np.ndarray) -> np.ndarray:
        """Which of ``positions`` have no triage state (vectorised over the column)."""
        return self.columns.unscanned_mask()[positions]

    def next_unscanned(self) -> int:
        """Go to the next table row after the current one whose alert has no triage
        state, wrapping round once; returns it (-1: every alert shown is triaged)."""
        shown = self.model.shown_positions()
        candidates = np.flatnonzero(self.untriaged(shown))
        if not len(candidates):
            self.view.show_message("every alert shown is triaged")
            return -1
        after = candidates[candidates > self.view.current_table_row()]
        row = int(after[0] if len(after) else candidates[0])
        self.view.go_to_row(row)
        return row

    def counts(self) -> tuple[int, int]:
        """(scanned, left) among the rows shown."""
        shown = self.model.shown_positions()
        left = int(np.count_nonzero(self.untriaged(shown)))
        return len(shown) - left, left

    def counter_text(self) -> str:
        scanned, left = self.counts()
        return f"{scanned:,} scanned · {left:,} left"

    def update_counter(self) -> None:
        self.view.show_counter(self.counter_text())
