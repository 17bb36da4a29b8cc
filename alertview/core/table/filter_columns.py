"""A filter evaluated over whole columns at once, with the row-by-row meaning.

The filter language (``filters``) is defined row by row; this walks the same
parsed expression with numpy arrays so a million table rows filter in
milliseconds. Nulls behave as there: a comparison with a null is false, and
``isnull`` tests for them. Expressions on fields that are not table columns
(raw packet fields such as ``nbad``) raise ``NotVectorised``; the caller then
falls back to the row-by-row filter.

Arithmetic on float columns runs in numpy, where an overflow or a division by
zero gives inf or NaN and so null, as the row-by-row bounds do. On integers
(ids, row numbers, booleans) int64 would wrap around silently: it is used only
where the operands and result are well inside its range, and otherwise the row
filter's own operations run value by value: the same results, by construction.
Any other failure here hands over to the row-by-row filter, which defines the
meaning.

What cannot be vectorised is filtered a row at a time, off the GUI thread
(``filter_jobs``), each row under the names ``table_fields`` gives it.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alertview.core.table.columns import AlertColumns, TextSlice
from alertview.core.table.filter_bounds import MISSING, arithmetic, call_function, negative
from alertview.core.table.filters import COMPARISONS, AlertFilter
from alertview.core.table.rows import ROW_FIELDS, row_as_fields
from alertview.core.table.triage import TRIAGE_NAMES, split_tags, triage_fields

log = logging.getLogger(__name__)

_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
#: Filter names that are table columns under another name.
_ALIASES = {"offset": "kafka_offset"}


def table_fields(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row under every name a filter may give its fields (as the columns do)."""
    fields = row_as_fields(row)
    fields["kafka_offset"] = fields["offset"]
    detections = fields["n_history_detections"]
    fields["n_detections"] = None if detections is None else detections + 1
    fields.update(triage_fields())  # unscanned; row_mask gives the row's own
    return fields


#: The names a table row answers without its packet.
TABLE_NAMES = frozenset(table_fields((0,) * len(ROW_FIELDS)))


class NotVectorised(Exception):
    """The expression needs something the columns do not hold."""


@dataclass
class _Value:
    """Values (array or scalar) and where they are not null."""

    data: Any
    valid: Any = True
    text: TextSlice | None = None  # set while a text column is still in code form
    tag: tuple[TextSlice, TextSlice] | None = None  # ``tag``: (tags, triage) codes


def filter_mask(alert_filter: AlertFilter, columns: AlertColumns, start: int = 0) -> np.ndarray:
    """Which rows from position ``start`` on pass; NotVectorised if a name is no column."""
    if alert_filter.tree is None:
        raise NotVectorised("no parsed expression")
    try:
        with np.errstate(all="ignore"):
            result = _Evaluator(columns, alert_filter, start).truth(alert_filter.tree)
    except NotVectorised:
        raise
    except Exception as exc:  # e.g. a dtype numpy has no loop for
        log.debug("filter %r left to the row-by-row filter: %r", alert_filter.expression, exc)
        raise NotVectorised(f"{type(exc).__name__}: {exc}") from None
    if np.ndim(result) == 0:
        return np.full(len(columns) - start, bool(result))
    return result


class _Evaluator:
    def __init__(self, columns: AlertColumns, alert_filter: AlertFilter, start: int) -> None:
        self.columns = columns
        self.start = start
        self.filter = alert_filter

    def truth(self, node: ast.AST) -> Any:
        value = self.value(node)
        if value.tag is not None:
            raise NotVectorised("tag outside a comparison")
        if value.text is not None:
            return value.text.code_mask(bool)
        data = value.data
        if isinstance(data, np.ndarray) and data.dtype == object:
            data = data.astype(bool)
        return np.logical_and(value.valid, np.asarray(data, dtype=bool))

    def value(self, node: ast.AST) -> _Value:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise NotVectorised(type(node).__name__)
        return method(node)

    def _Constant(self, node: ast.Constant) -> _Value:
        return _Value(node.value, node.value is not None)

    def _Name(self, node: ast.Name) -> _Value:
        name = node.id
        if name in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[name]
            return _Value(constant, constant is not None)
        columns = self.columns
        name = _ALIASES.get(name, name)
        if name == "n_history_detections":
            data = columns.numbers["n_detections"].values[self.start :] - 1
        elif name in columns.numbers:
            data = columns.numbers[name].values[self.start :]
        elif name in columns.texts:
            self.filter.found.add(node.id)
            return _Value(None, True, columns.texts[name].tail(self.start))
        elif name in TRIAGE_NAMES:
            self.filter.found.add(node.id)
            return self._triage(name)
        elif name in ("alert_id", "row"):
            self.filter.found.add(node.id)
            return _Value(getattr(columns, name).values[self.start :], True)
        elif name in columns.extras.numbers:  # a broker's fields (columns_extra)
            data = columns.extras.numbers[name].values[self.start :]
        elif name in columns.extras.texts:
            self.filter.found.add(node.id)
            return _Value(None, True, columns.extras.texts[name].tail(self.start))
        else:
            raise NotVectorised(name)
        self.filter.found.add(node.id)
        return _Value(data, ~np.isnan(data))

    def _triage(self, name: str) -> _Value:
        """``triage``, ``tags`` and ``note`` are text columns; ``tag`` is compared only."""
        columns, start = self.columns, self.start
        if name == "tag":
            # the state itself (None: no state), not its label: "unscanned" is not a state,
            # and ``tag == "unscanned"`` is false for every alert, as row by row (TagMatch)
            states = columns.triage_column("triage").tail(start)
            return _Value(None, True, tag=(columns.triage_slice("tags", start), states))
        return _Value(None, True, columns.triage_slice(name, start))

    def _tag_compare(self, op_node: ast.cmpop, tag: _Value, other: _Value) -> Any:
        """``tag == "x"`` (the alert has tag x or triage state x), ``!=``, ``in``, ``not in``."""
        assert tag.tag is not None
        words = other.data if isinstance(op_node, ast.In | ast.NotIn) else (other.data,)
        column = other.text is not None or other.tag is not None
        if column or isinstance(other.data, np.ndarray) or not isinstance(words, tuple):
            raise NotVectorised("tag compared with a column")
        if not isinstance(op_node, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
            raise NotVectorised("tag ordered")
        if not other.valid:  # null: false either way, as row by row
            return False
        wanted = {w for w in words if isinstance(w, str)}
        tags, states = tag.tag
        mask = tags.code_mask(lambda v: not wanted.isdisjoint(split_tags(v)))
        mask |= states.code_mask(lambda v: v in wanted)
        return ~mask if isinstance(op_node, ast.NotEq | ast.NotIn) else mask

    def _Tuple(self, node: ast.Tuple) -> _Value:
        items = []
        for element in node.elts:
            value = self.value(element)
            if isinstance(value.data, np.ndarray) or value.text is not None or value.tag:
                raise NotVectorised("a tuple of columns")
            items.append(value.data)
        return _Value(tuple(items), True)

    _List = _Tuple

    def _BoolOp(self, node: ast.BoolOp) -> _Value:
        parts = [self.truth(v) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = parts[0]
        for part in parts[1:]:
            result = combine(result, part)
        return _Value(result, True)

    def _UnaryOp(self, node: ast.UnaryOp) -> _Value:
        if isinstance(node.op, ast.Not):
            return _Value(np.logical_not(self.truth(node.operand)), True)
        inner = self._number(self.value(node.operand))
        if isinstance(node.op, ast.USub):
            if not _in_floats(inner):
                exact = _int64(ast.Sub, 0, inner.data)
                if exact is not None:
                    return _Value(exact, inner.valid)
                return _exactly(negative, inner)
            return _Value(-inner.data, inner.valid)
        return inner

    def _BinOp(self, node: ast.BinOp) -> _Value:
        kind = type(node.op)
        op = _ARITH.get(kind)
        if op is None:
            raise NotVectorised("operator")
        left = self._number(self.value(node.left))
        right = self._number(self.value(node.right))
        if not _in_floats(left, right):
            exact = _int64(kind, left.data, right.data)
            if exact is not None:
                return _Value(exact, np.logical_and(left.valid, right.valid))
            return _exactly(lambda a, b: arithmetic(kind, a, b), left, right)
        data = op(_float(left.data), _float(right.data))
        # an overflow (inf) or 1/0 is null, as the row-by-row filter's bounds make it
        return _Value(data, np.logical_and(left.valid & right.valid, np.isfinite(data)))

    def _number(self, value: _Value) -> _Value:
        if value.text is not None or value.tag or isinstance(value.data, str | tuple):
            raise NotVectorised("arithmetic on text")
        return value

    def _Compare(self, node: ast.Compare) -> _Value:
        operands = [self.value(node.left), *(self.value(c) for c in node.comparators)]
        result: Any = True
        for op_node, a, b in zip(node.ops, operands, operands[1:], strict=False):
            result = np.logical_and(result, self._compare(op_node, a, b))
        return _Value(result, True)

    def _compare(self, op_node: ast.cmpop, a: _Value, b: _Value) -> Any:
        if a.tag is not None:
            return self._tag_compare(op_node, a, b)
        if b.tag is not None:
            if isinstance(op_node, ast.In | ast.NotIn):
                raise NotVectorised("in tag")
            return self._tag_compare(op_node, b, a)
        if isinstance(op_node, ast.In | ast.NotIn):
            if not isinstance(b.data, tuple) or b.text is not None:
                raise NotVectorised("'in' needs a tuple of constants")
            negate = isinstance(op_node, ast.NotIn)
            if a.text is not None:
                return a.text.code_mask(lambda v: v is not None and (v in b.data) != negate)
            if isinstance(a.data, np.ndarray):
                numbers = [x for x in b.data if isinstance(x, int | float)]
                return a.valid & (np.isin(a.data, numbers) != negate)
            return a.valid and (a.data in b.data) != negate
        op = COMPARISONS.get(type(op_node))
        if op is None:
            raise NotVectorised("comparison")
        if a.text is not None and b.text is None and not isinstance(b.data, np.ndarray):
            if not b.valid:
                return False
            return a.text.code_mask(lambda v: v is not None and _safe(op, v, b.data))
        if b.text is not None and a.text is None and not isinstance(a.data, np.ndarray):
            if not a.valid:
                return False
            return b.text.code_mask(lambda v: v is not None and _safe(op, a.data, v))
        left, right = self._plain(a), self._plain(b)
        try:
            compared = op(left.data, right.data)
        except TypeError:  # text against a number: false, as row by row
            return False
        if isinstance(compared, np.ndarray) and compared.dtype == object:
            compared = compared.astype(bool)
        return np.logical_and(np.logical_and(left.valid, right.valid), compared)

    def _plain(self, value: _Value) -> _Value:
        if value.tag is not None:
            raise NotVectorised("tag outside a comparison")
        if value.text is None:
            return value
        data = value.text.materialise()
        return _Value(data, np.not_equal(data, None))  # type: ignore[call-overload]

    def _Call(self, node: ast.Call) -> _Value:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise NotVectorised("call")
        name = node.func.id
        args = [self.value(a) for a in node.args]
        if name == "isnull":
            missing: Any = False
            for arg in args:
                plain = self._plain(arg)
                missing = np.logical_or(missing, np.logical_not(plain.valid))
            return _Value(missing, True)
        args = [self._number(a) for a in args]
        if name in _FUNCTION_ARITY and _FUNCTION_ARITY[name](len(args)) and not _in_floats(*args):
            return _exactly(lambda *values: call_function(name, list(values)), *args)
        valid: Any = True
        for arg in args:
            valid = np.logical_and(valid, arg.valid)
        if name not in _FUNCTION_ARITY or not _FUNCTION_ARITY[name](len(args)):
            raise NotVectorised(name)
        if name in ("min", "max"):
            combine = np.minimum if name == "min" else np.maximum
            data = _float(args[0].data)
            for arg in args[1:]:
                data = combine(data, _float(arg.data))
        else:
            data = {"abs": np.abs, "sqrt": np.sqrt, "log10": np.log10}[name](args[0].data)
        return _Value(data, np.logical_and(valid, np.isfinite(data)))


#: The functions evaluated here, with the numbers of arguments they take here.
_FUNCTION_ARITY: dict[str, Callable[[int], bool]] = {
    "abs": lambda n: n == 1,
    "sqrt": lambda n: n == 1,
    "log10": lambda n: n == 1,
    "min": lambda n: n >= 2,
    "max": lambda n: n >= 2,
}
_IS_MISSING = np.frompyfunc(lambda value: value is MISSING, 1, 1)


def _in_floats(*values: _Value) -> bool:
    """Whether numpy's float64 arithmetic gives the filter's meaning: a float column
    is involved and nothing that must stay an exact integer."""
    arrays = [v.data for v in values if isinstance(v.data, np.ndarray)]
    return bool(arrays) and all(a.dtype.kind == "f" for a in arrays)


_INT64_EXACT = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Mod: np.mod}


def _int64(kind: type, a: Any, b: Any) -> np.ndarray | None:
    """``a op b`` in int64 when that is exact (operands and results well inside its
    range; ``%`` as Python's), else None: ids and row numbers in milliseconds."""
    operands = []
    for data in (a, b):
        if isinstance(data, bool | int) and abs(data) < 2**62:
            data = np.int64(data)
        integers = isinstance(data, np.ndarray | np.integer | np.bool_)
        if not integers or data.dtype.kind not in "biu":
            return None
        operands.append(data.astype(np.int64))
    if kind not in _INT64_EXACT:
        return None
    with np.errstate(all="ignore"):  # the estimate decides; its warnings do not matter
        floats = [o.astype(np.float64) for o in operands]
        estimate = _ARITH[kind](*floats)
        inside = [np.abs(v) < 2.0**62 for v in (*floats, estimate)]
    if not all(np.all(i) for i in inside):
        return None
    return _INT64_EXACT[kind](*operands)


def _float(data: Any) -> Any:
    """A scalar operand for float64 arithmetic (null as NaN; the row filter's bounds keep
    a Python integer within float range)."""
    if isinstance(data, np.ndarray):
        return data
    return np.nan if data is None else float(data)


def _exactly(function: Callable[..., Any], *values: _Value) -> _Value:
    """``function`` of the row-by-row filter, applied value by value to Python numbers:
    exact integers (no int64 wrap-around) and the same bounds and nulls."""
    args: list[Any] = []
    for value in values:
        data = value.data
        if isinstance(data, np.ndarray):
            data = data.astype(object)
            data[~np.broadcast_to(np.asarray(value.valid, dtype=bool), data.shape)] = MISSING
        elif not np.all(value.valid):
            data = MISSING
        elif isinstance(data, np.generic):
            data = data.item()
        args.append(data)
    result = np.frompyfunc(function, len(args), 1)(*args)
    if not isinstance(result, np.ndarray):  # constants only
        return _Value(None, False) if result is MISSING else _Value(result, True)
    missing = _IS_MISSING(result).astype(bool)
    result[missing] = 0
    return _Value(result, ~missing)


def _safe(op: Callable[[Any, Any], Any], a: Any, b: Any) -> bool:
    try:
        return bool(op(a, b))
    except TypeError:
        return False
