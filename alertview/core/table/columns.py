"""The table's fields as numpy columns: a few hundred bytes per alert, sorted in C.

A night holds 10^5-10^6 alerts. As Python tuples a stored row costs ~1.5 KB
and sorting it through Python comparisons takes tens of seconds; as columns
(float64 for numbers, NaN as null; small integer codes for text) a row costs
~200 bytes and ``np.argsort`` orders a million of them in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from alertview.core.table.columns_extra import ExtraColumns
from alertview.core.table.columns_triage import TRIAGE_COLUMNS, TriageColumns
from alertview.core.table.rows import ROW_FIELDS

#: Numbers held as float64 (NaN is null); counts and offsets are exact below 2**53.
NUMBER_FIELDS = (
    "ra", "dec", "mjd", "mag", "mag_err", "flux", "flux_err", "rb", "drb", "reliability",
    "snr", "n_detections", "n_upper_limits", "n_forced", "partition", "kafka_offset",
    "record_index",
)  # fmt: skip
#: Numbers shown without decimals.
INTEGER_FIELDS = frozenset(
    {"n_detections", "n_upper_limits", "n_forced", "partition", "kafka_offset", "record_index"}
)
#: Text held as codes into a list of distinct values (None is a value too).
TEXT_FIELDS = ("survey", "object_id", "schema", "time_scale", "band", "topic", "source")
_INDEX = {name: i for i, name in enumerate(ROW_FIELDS)}


class _Growing:
    """A 1-d array with spare capacity, so appending a batch does not copy it all."""

    def __init__(self, dtype: Any) -> None:
        self._data = np.empty(1024, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : need] = values
        self.size = need

    def widen(self, dtype: Any) -> None:
        self._data = self._data.astype(dtype)

    @property
    def values(self) -> np.ndarray:
        return self._data[: self.size]

    @property
    def nbytes(self) -> int:
        return self._data.nbytes


class TextColumn:
    """Codes into a list of distinct values; sorts by the values' order."""

    def __init__(self) -> None:
        self.codes = _Growing(np.int32)
        self.values: list[str | None] = []
        self._code_of: dict[str | None, int] = {}
        self._ranks: np.ndarray | None = None

    def extend(self, texts: Sequence[str | None]) -> None:
        self.codes.extend(self._codes(texts))

    def extend_same(self, text: str | None, count: int) -> None:
        """``count`` rows of one value, without a Python loop over them."""
        self.codes.extend(np.full(count, self._codes([text])[0], dtype=np.int32))

    def _codes(self, texts: Sequence[str | None]) -> np.ndarray:
        code_of, values = self._code_of, self.values
        codes = np.empty(len(texts), dtype=np.int32)
        for i, text in enumerate(texts):
            code = code_of.get(text)
            if code is None:
                code = code_of[text] = len(values)
                values.append(text)
                self._ranks = None
            codes[i] = code
        return codes

    def assign(self, positions: np.ndarray, texts: Sequence[str | None]) -> None:
        """New values for rows already held."""
        self.codes.values[positions] = self._codes(texts)

    def __getitem__(self, position: int) -> str | None:
        return self.values[self.codes.values[position]]

    def ranks(self) -> np.ndarray:
        """Each code's place in sorted order (None first), for sorting by codes."""
        if self._ranks is None:
            keys = np.array(["" if v is None else v for v in self.values], dtype=object)
            nulls = np.array([v is None for v in self.values], dtype=bool)  # bool when empty
            order = np.lexsort((keys, ~nulls))  # None first, then by text
            ranks = np.empty(len(order), dtype=np.int64)
            ranks[order] = np.arange(len(order))
            self._ranks = ranks
        return self._ranks

    def sort_key(self) -> np.ndarray:
        return self.ranks()[self.codes.values]

    def tail(self, start: int = 0) -> TextSlice:
        """The rows from position ``start`` on, still as codes."""
        return TextSlice(self.values, self.codes.values[start:])

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + sum(len(v or "") + 49 for v in self.values)


class TextSlice:
    """Rows of a text column as codes, tested once per distinct value."""

    def __init__(self, values: list[str | None], codes: np.ndarray) -> None:
        self.values = values
        self.codes = codes

    def code_mask(self, test: Callable[[str | None], object]) -> np.ndarray:
        """``test(value)`` evaluated once per distinct value, spread over the rows."""
        per_code = np.fromiter((bool(test(v)) for v in self.values), bool, len(self.values))
        return per_code[self.codes] if len(per_code) else np.zeros(len(self.codes), bool)

    def materialise(self) -> np.ndarray:
        values = np.empty(len(self.values), dtype=object)
        values[:] = self.values
        return values[self.codes]


class AlertColumns(TriageColumns):
    """Every table field of the alerts in a session, in arrival order."""

    def __init__(self) -> None:
        self.row = _Growing(np.int64)
        self.alert_id = _Growing(np.int64)
        self.numbers = {name: _Growing(np.float64) for name in NUMBER_FIELDS}
        self.texts = {name: TextColumn() for name in TEXT_FIELDS}
        self.extras = ExtraColumns()  # broker fields, as a session meets them (columns_extra)
        self._init_triage()  # triage, tags, note (columns_triage)

    def __len__(self) -> int:
        return self.row.size

    def append_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add stored rows (tuples in ``ROW_FIELDS`` order)."""
        if not rows:
            return
        by_field = list(zip(*rows, strict=True))
        self.row.extend(np.asarray(by_field[_INDEX["row"]], dtype=np.int64))
        ids = by_field[_INDEX["alert_id"]]
        try:
            id_array = np.asarray(ids, dtype=self.alert_id.values.dtype)
        except OverflowError:  # an id beyond int64: keep them all as Python ints
            self.alert_id.widen(object)
            id_array = np.asarray(ids, dtype=object)
        self.alert_id.extend(id_array)
        for name, column in self.numbers.items():
            values = by_field[_INDEX[name]]
            column.extend(np.array([np.nan if v is None else v for v in values], np.float64))
        for name, text_column in self.texts.items():
            text_column.extend(by_field[_INDEX[name]])
        self.extras.extend(by_field[_INDEX["extras"]])
        self._extend_triage(len(rows), int(by_field[_INDEX["row"]][0]))

    def extra_names(self) -> list[str]:
        """The broker fields this session holds as columns (``finkclass``, ...)."""
        return self.extras.names()

    def quality(self) -> np.ndarray:
        """The score a survey gives: ZTF drb, else rb; Rubin reliability."""
        drb, rb = self.numbers["drb"].values, self.numbers["rb"].values
        best = np.where(np.isnan(drb), rb, drb)
        return np.where(np.isnan(best), self.numbers["reliability"].values, best)

    def value(self, position: int, name: str) -> Any:
        """One field as Python shows it: None for null, int for counts and ids."""
        if name == "quality":
            for field in ("drb", "rb", "reliability"):
                score = self.value(position, field)
                if score is not None:
                    return score
            return None
        if name in self.numbers:
            number = self.numbers[name].values[position]
            if np.isnan(number):
                return None
            return int(number) if name in INTEGER_FIELDS else float(number)
        if name in self.texts:
            return self.texts[name][position]
        if name == "alert_id":
            return int(self.alert_id.values[position])
        if name == "row":
            return int(self.row.values[position])
        if name in TRIAGE_COLUMNS:
            return self.triage_value(position, name)
        if name == "extras":
            return self.extras.of(position)
        if name in self.extras:
            return self.extras.value(position, name)
        raise KeyError(name)

    def row_tuple(self, position: int) -> tuple:
        """A row as the store gives it (``ROW_FIELDS`` order)."""
        return tuple(self.value(position, name) for name in ROW_FIELDS)

    def sort_key(self, name: str) -> np.ndarray:
        """Values whose ascending order is the column's (nulls first)."""
        if name in self.numbers or name == "quality":
            key = self.quality() if name == "quality" else self.numbers[name].values.copy()
            key[np.isnan(key)] = -np.inf
            return key
        if name in self.texts:
            return self.texts[name].sort_key()
        if name == "alert_id":
            return self.alert_id.values
        if name in TRIAGE_COLUMNS:
            return self.triage_sort_key(name)
        if name in self.extras:
            return self.extras.sort_key(name)
        return self.row.values

    def order(self, name: str, descending: bool = False) -> np.ndarray:
        """Positions sorted by a field; ties keep arrival order."""
        key = self.sort_key(name)
        if key.dtype == object:  # ids beyond int64
            positions = sorted(range(len(key)), key=key.__getitem__, reverse=descending)
            return np.asarray(positions, dtype=np.int64)
        return np.argsort(-key if descending else key, kind="stable")

    @property
    def nbytes(self) -> int:
        numbers = [self.row, self.alert_id, *self.numbers.values(), *self.extras.columns()]
        texts = sum(t.nbytes for t in self.texts.values()) + self.triage_nbytes
        return sum(c.nbytes for c in numbers) + texts
