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
        """The broker fields of rows appended to the table."""
        count, before = len(extras), self.size
        self.size += count
        for fields in extras:
            if fields:
                for name, value in fields.items():
                    if name not in self:
                        self._new(name, value, before)
        if not self._names:
            return
        if not any(extras):  # rows without broker fields: nulls only
            for number in self.numbers.values():
                number.extend(np.full(count, np.nan))
            for text in self.texts.values():
                text.extend([None] * count)
            return
        for name, column in self.numbers.items():
            values = np.array([_number(f.get(name)) if f else np.nan for f in extras], np.float64)
            column.extend(values)
            if name not in self._fractional and np.any(np.mod(values[~np.isnan(values)], 1)):
                self._fractional.add(name)
        for name, text_column in self.texts.items():
            text_column.extend([_text(f.get(name)) if f else None for f in extras])

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
        for name, column in self.numbers.items():
            number = float(column.values[position])
            if not np.isnan(number):
                fields[name] = number
        for name, text_column in self.texts.items():
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


def _number(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    return np.nan  # null, or text where the column's first value was a number


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format(value, "g") if isinstance(value, float) else str(value)
