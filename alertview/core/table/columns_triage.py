"""The triage columns of ``AlertColumns``: state, tags and note of each row.

They grow with the rows (a new row is unscanned: None, "", "") and change
when the user triages (``set_triage``), touching only the rows changed. Like
the other text columns they are codes into distinct values, so a filter tests
each distinct value once and a sort is a ``np.argsort`` of small integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from alertview.core.table.triage import TRIAGE_STATES, Triage, triage_fields

if TYPE_CHECKING:
    from alertview.core.table.columns import TextColumn, TextSlice, _Growing

#: The table columns of a row's triage.
TRIAGE_COLUMNS = ("triage", "tags", "note")


class TriageColumns:
    """Mixed into ``AlertColumns``: ``triage``, ``tags`` and ``note`` columns."""

    # provided by AlertColumns
    row: _Growing
    texts: dict[str, TextColumn]

    def _init_triage(self) -> None:
        from alertview.core.table.columns import TextColumn  # (columns imports this module)

        self.triage = TextColumn()  # a state of TRIAGE_STATES, or None: unscanned
        self.tags = TextColumn()  # "a, b"
        self.note = TextColumn()
        self._rows_ascending = True  # positions_of can search the row numbers

    def _extend_triage(self, count: int, first_row: int) -> None:
        """``count`` new rows, unscanned; ``first_row`` is the first one's number."""
        size = self.row.size - count
        if size > 0 and first_row <= self.row.values[size - 1]:
            self._rows_ascending = False
        if self._rows_ascending and count > 1:
            self._rows_ascending = bool(np.all(np.diff(self.row.values[size:]) > 0))
        for column, empty in ((self.triage, None), (self.tags, ""), (self.note, "")):
            column.extend_same(empty, count)

    def triage_column(self, name: str) -> TextColumn:
        """The column ``name`` of ``TRIAGE_COLUMNS``."""
        if name not in TRIAGE_COLUMNS:
            raise KeyError(name)
        column: TextColumn = getattr(self, name)
        return column

    def set_triage(self, triages: Iterable[Triage]) -> np.ndarray:
        """Show the new triage of some rows; returns the positions changed (rows not
        held are skipped)."""
        triages = list(triages)
        if not triages:
            return np.empty(0, dtype=np.int64)
        positions = self.positions_of([t.row for t in triages])
        held = positions >= 0
        kept = [t for t, h in zip(triages, held.tolist(), strict=True) if h]
        positions = positions[held]
        self.triage.assign(positions, [t.state for t in kept])
        self.tags.assign(positions, [t.tags_text for t in kept])
        self.note.assign(positions, [t.note for t in kept])
        return positions

    def positions_of(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The positions of store rows (-1 for a row not held)."""
        wanted = np.asarray(rows, dtype=np.int64).reshape(-1)
        held = self.row.values
        if not len(held):
            return np.full(len(wanted), -1, dtype=np.int64)
        if self._rows_ascending:
            order = None
            places = np.searchsorted(held, wanted)
        else:
            order = np.argsort(held, kind="stable")
            places = np.searchsorted(held[order], wanted)
        places = np.minimum(places, len(held) - 1)
        found = (held if order is None else held[order])[places] == wanted
        positions = places if order is None else order[places]
        return np.where(found, positions, -1).astype(np.int64)

    def object_positions(self, object_id: str, survey: str) -> np.ndarray:
        """Every position of an object's alerts, in arrival order. An object is its id
        within its survey, as the Objects table groups them (``objects``): ZTF's "A" is
        not Rubin's "A"."""
        objects, surveys = self.texts["object_id"], self.texts["survey"]
        code, survey_code = objects._code_of.get(object_id), surveys._code_of.get(survey)
        if code is None or survey_code is None:
            return np.empty(0, dtype=np.int64)
        found = (objects.codes.values == code) & (surveys.codes.values == survey_code)
        return np.flatnonzero(found)

    def unscanned_mask(self) -> np.ndarray:
        """Which positions have no triage state (for "next unscanned" and its counter)."""
        code = self.triage._code_of.get(None)
        codes = self.triage.codes.values
        return codes == code if code is not None else np.zeros(len(codes), dtype=bool)

    def triage_value(self, position: int, name: str) -> Any:
        """``triage`` (a state or None), ``tags`` ("a, b") or ``note`` of one row."""
        return self.triage_column(name)[position]

    def triage_sort_key(self, name: str) -> np.ndarray:
        """Unscanned first, then the states in ``TRIAGE_STATES`` order; tags and notes
        by text (none first)."""
        if name != "triage":
            return self.triage_column(name).sort_key()
        ranks = np.array(
            [0 if v is None else 1 + TRIAGE_STATES.index(v) for v in self.triage.values],
            dtype=np.int64,
        )
        return ranks[self.triage.codes.values] if len(ranks) else np.zeros(0, np.int64)

    def triage_fields(self, position: int) -> dict[str, Any]:
        """One row's triage under the filter's names (``triage_fields``)."""
        return triage_fields(self.triage[position], self.tags[position], self.note[position])

    def triage_slice(self, name: str, start: int = 0) -> TextSlice:
        """The rows from ``start`` on of ``triage`` (unscanned as ``UNSCANNED``), ``tags``
        or ``note``, as codes for the column filter."""
        from alertview.core.table.columns import TextSlice

        column = self.triage_column(name)
        if name == "triage":
            labels: list[str | None] = [triage_fields(v)["triage"] for v in column.values]
            return TextSlice(labels, column.codes.values[start:])
        return column.tail(start)

    @property
    def triage_nbytes(self) -> int:
        return self.triage.nbytes + self.tags.nbytes + self.note.nbytes
