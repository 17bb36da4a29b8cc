"""Triage of the object chosen in the Objects tab: its keys mark every alert of it, as
Shift with the key does on the alert table, shown or not.

The alerts are the object's in the table's columns (``object_positions``); the change
goes through the window's ``TriageController`` (its store, then ``triages_changed``:
the columns, the table's filter and the counter follow as for the alert table's keys).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from alertview.controllers.objects import ObjectsController
from alertview.controllers.triage import TriageController
from alertview.core.errors import AlertViewError
from alertview.core.table.triage import Triage, split_tags, tag_edit

if TYPE_CHECKING:
    from alertview.core.session.store import AlertStore

log = logging.getLogger(__name__)

#: What the status bar says when a key is pressed with no object chosen.
CHOOSE_FIRST = "choose an object to triage first"


class ObjectTriage:
    """The triage keys and dialogs of the Objects tab, on the chosen object."""

    def __init__(
        self, objects: ObjectsController, triage: Callable[[], TriageController | None]
    ) -> None:
        self.objects = objects
        #: The window's triage controller (it is made after the Objects tab).
        self._triage = triage

    def positions(self) -> np.ndarray:
        """Column positions of every alert of the chosen object (none: nothing chosen)."""
        triage = self._triage()
        if triage is None or self.objects.chosen is None:
            return np.empty(0, dtype=np.int64)
        object_id, survey = self.objects.chosen  # (a survey of None is found as such)
        return triage.columns.object_positions(object_id, survey)  # type: ignore[arg-type]

    def mark(self, state: str | None) -> int:
        """Set (None: clear) the triage state of the chosen object's alerts; how many."""
        return self._change(lambda store, rows: store.set_triage(rows, state))

    def set_note(self, note: str) -> int:
        return self._change(lambda store, rows: store.set_note(rows, note.strip()))

    def edit_tags(self, text: str, start: Sequence[str]) -> int:
        """The tags dialog's answer: ``text`` replaces ``start`` on every alert of the
        object; a word that cannot be a tag refuses the whole edit (as on the table)."""
        edit = tag_edit(text, start)
        if edit.refused:
            self._say(edit.refused)
            return 0
        add, remove = list(edit.added), list(edit.removed)
        if not add and not remove:
            return 0

        def change(store: AlertStore, rows: list[int]) -> list[Triage]:
            changed = store.remove_tags(rows, remove) if remove else []
            return changed + (store.add_tags(rows, add) if add else [])

        return self._change(change)

    def current_note(self) -> str:
        """The note of the object's newest alert (the note dialog starts from it)."""
        row = self.objects.row_of_chosen()
        triage = self._triage()
        if row is None or triage is None or self.objects.columns is None:
            return ""
        position = int(self.objects.table.latest[self.objects.entry(row)])
        return triage.columns.value(position, "note") or ""

    def common_tags(self) -> list[str]:
        """Tags every alert of the object has (the tags dialog starts from them)."""
        triage = self._triage()
        positions = self.positions()
        if triage is None or not len(positions):
            return []
        column = triage.columns.tags
        found: set[str] | None = None
        for code in np.unique(column.codes.values[positions]).tolist():
            has = set(split_tags(column.values[code] or ""))
            found = has if found is None else found & has
        return sorted(found or ())

    def _change(self, call: Callable[[AlertStore, list[int]], list[Triage]]) -> int:
        triage = self._triage()
        positions = self.positions()
        if triage is None or not len(positions):
            self._say(CHOOSE_FIRST)
            return 0
        rows = [int(r) for r in triage.columns.row.values[positions]]
        try:
            triages = call(triage.store, rows)
        except (AlertViewError, sqlite3.Error, OSError, ValueError) as exc:
            log.warning("triage not saved: %s", exc)
            self._say(f"triage not saved: {exc}")
            return 0
        triage.triages_changed(triages)
        self.objects.refresh_triage()
        return len(positions)

    def _say(self, text: str) -> None:
        triage = self._triage()
        if triage is not None:
            triage.view.show_message(text)
