"""Broker fields as columns of ``AlertColumns`` (its ``extras``), made when a session
first has them.

Which fields a session holds depends on what it received: none for ZTF's own
stream, ~40 for Fink's (``surveys.brokers``). Each name becomes a column the
first time a row carries it, null for the rows before: float64 (NaN is null)
for numbers, text codes for text, so a filter or a sort on ``snn_sn_vs_all`` or
``finkclass`` runs in numpy like one on ``mag``. A value of the other kind than
its column's first one is kept as well as it can be (a number as its text; text
in a number column as null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from alertview.core.table.columns import TextColumn, _Growing

#: A row's broker fields as the store gives them: name -> float or text (no nulls), or None.
Extras = Mapping[str, float | str] | None


class ExtraColumns:
    """One column per broker field name met so far, as long as the table's."""

    def __init__(self) -> None:
        self.numbers: dict[str, _Growing] = {}
        self.texts: dict[str, TextColumn] = {}
        self.size = 0
        self._names: list[str] = []  # in the order they were met
        self._fractional: set[str] = set()  # number columns holding a non-integer

    def names(self) -> list[str]:
        """The broker field columns, in the order the session met them."""
        return list(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self.numbers or name in self.texts

    def extend(self, extras: Sequence[Extras]) -> None:
        """The broker fields of rows appended to the table.

        Column by column, not value by value in Python: each name's values come out of
        the batch's dicts in one C-level ``map(dict.get, ...)`` and become an array in
        one ``np.array`` call, 3-4x faster than a Python loop per row and column (a
        Fink session holds 10^6 rows x ~40 fields). Only a column holding a value of
        the other kind falls back to converting value by value.
        """
        count, before = len(extras), self.size
        self.size += count
        if not any(extras):  # rows without broker fields: nulls only
            for number in self.numbers.values():
                number.extend(np.full(count, np.nan))
            for text in self.texts.values():
                text.extend([None] * count)
            return
        rows = [f if type(f) is dict else dict(f) if f else _NONE for f in extras]
        new = set().union(*rows).difference(self._names)
        if new:
            self._meet(rows, new, before)
        batch = _by_name(rows, self._names)
        for name, column in self.numbers.items():
            values = _numbers(batch[name])
            column.extend(values)
            if name not in self._fractional and np.any(np.mod(values[~np.isnan(values)], 1)):
                self._fractional.add(name)
        for name, text_column in self.texts.items():
            text_column.extend(_texts(batch[name]))

    def _meet(self, rows: list[dict[str, float | str]], new: set[str], before: int) -> None:
        """Columns for the names the batch brings first, in the order they come (the kind
        of a column is that of its first value)."""
        for fields in rows:
            if not new:
                return
            if new.isdisjoint(fields):
                continue
            for name, value in fields.items():
                if name in new:
                    new.discard(name)
                    self._new(name, value, before)

    def _new(self, name: str, value: Any, before: int) -> None:
        """A column for a name first met, null for the ``before`` rows held already."""
        from alertview.core.table.columns import TextColumn, _Growing  # (columns imports us)

        if isinstance(value, str):
            text = TextColumn()
            text.extend([None] * before)
            self.texts[name] = text
        else:
            number = _Growing(np.float64)
            number.extend(np.full(before, np.nan))
            self.numbers[name] = number
        self._names.append(name)

    def value(self, position: int, name: str) -> float | int | str | None:
        """One broker field (None for null); a column of whole numbers gives ints."""
        if name in self.texts:
            return self.texts[name][position]
        number = float(self.numbers[name].values[position])
        if np.isnan(number):
            return None
        return number if name in self._fractional or not number.is_integer() else int(number)

    def integral(self, name: str) -> bool:
        """Whether a number column has held whole numbers only (a class code, a count)."""
        return name in self.numbers and name not in self._fractional

    def of(self, position: int) -> dict[str, float | str] | None:
        """A row's broker fields as the store gives them (None: it has none)."""
        fields: dict[str, float | str] = {}
        # a filter thread reads while the GUI thread adds columns: copy the dicts first
        # (list() of a dict's items runs without letting another thread in)
        for name, column in list(self.numbers.items()):
            number = float(column.values[position])
            if not np.isnan(number):
                fields[name] = number
        for name, text_column in list(self.texts.items()):
            text = text_column[position]
            if text is not None:
                fields[name] = text
        return fields or None

    def sort_key(self, name: str) -> np.ndarray:
        """Values whose ascending order is the column's (nulls first)."""
        if name in self.texts:
            return self.texts[name].sort_key()
        key = self.numbers[name].values.copy()
        key[np.isnan(key)] = -np.inf
        return key

    def columns(self) -> list[_Growing | TextColumn]:
        """Every column (for the table's memory use)."""
        return [*self.numbers.values(), *self.texts.values()]


#: Rows whose broker fields are read name by name before the next rows'.
CHUNK = 512
#: The broker fields of a row that has none.
_NONE: dict[str, float | str] = {}
#: The kinds of value ``np.array(values, np.float64)`` converts as ``_number`` does.
_NUMBER_TYPES = frozenset({float, int, bool, type(None)})
_TEXT_TYPES = frozenset({str, type(None)})


def _by_name(rows: list[dict[str, float | str]], names: list[str]) -> dict[str, list[Any]]:
    """Each name's value in each row (None where a row lacks it), without a Python loop
    per value: ``map(dict.get, ...)`` over ``CHUNK`` rows at a time, so a row's dict is
    still in the CPU cache when the next name is looked up in it (the lookups take a
    quarter of the time of one pass per name over 10^4 rows of distinct dicts)."""
    found: dict[str, list[Any]] = {name: [] for name in names}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for name, values in found.items():
            values.extend(map(dict.get, chunk, repeat(name)))
    return found


def _numbers(values: list[Any]) -> np.ndarray:
    """A number column's values as float64, NaN for null and for text."""
    if _NUMBER_TYPES.issuperset(map(type, values)):
        return np.array(values, dtype=np.float64)  # None -> NaN
    return np.fromiter(map(_number, values), np.float64, len(values))


def _texts(values: list[Any]) -> list[str | None]:
    """A text column's values, numbers as their text."""
    if _TEXT_TYPES.issuperset(map(type, values)):
        return values
    return [_text(v) for v in values]


def _number(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    return np.nan  # null, or text where the column's first value was a number


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format(value, "g") if isinstance(value, float) else str(value)
