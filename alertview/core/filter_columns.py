"""A filter evaluated over whole columns at once, with the row-by-row meaning.

The filter language (``filters``) is defined row by row; this walks the same
parsed expression with numpy arrays so a million table rows filter in
milliseconds. Nulls behave as there: a comparison with a null is false, and
``isnull`` tests for them. Expressions on fields that are not table columns
(raw packet fields such as ``nbad``) raise ``NotVectorised``; the caller then
falls back to the row-by-row filter.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from alertview.core.columns import AlertColumns, TextSlice
from alertview.core.filters import COMPARISONS, AlertFilter

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


class NotVectorised(Exception):
    """The expression needs something the columns do not hold."""


@dataclass
class _Value:
    """Values (array or scalar) and where they are not null."""

    data: Any
    valid: Any = True
    text: TextSlice | None = None  # set while a text column is still in code form


def filter_mask(alert_filter: AlertFilter, columns: AlertColumns, start: int = 0) -> np.ndarray:
    """Which rows from position ``start`` on pass; NotVectorised if a name is no column."""
    if alert_filter.tree is None:
        raise NotVectorised("no parsed expression")
    with np.errstate(all="ignore"):
        result = _Evaluator(columns, alert_filter, start).truth(alert_filter.tree)
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
        elif name in ("alert_id", "row"):
            self.filter.found.add(node.id)
            return _Value(getattr(columns, name).values[self.start :], True)
        else:
            raise NotVectorised(name)
        self.filter.found.add(node.id)
        return _Value(data, ~np.isnan(data))

    def _Tuple(self, node: ast.Tuple) -> _Value:
        items = []
        for element in node.elts:
            value = self.value(element)
            if isinstance(value.data, np.ndarray) or value.text is not None:
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
            return _Value(-inner.data, inner.valid)
        return inner

    def _BinOp(self, node: ast.BinOp) -> _Value:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise NotVectorised("operator")
        left = self._number(self.value(node.left))
        right = self._number(self.value(node.right))
        data = op(left.data, right.data)
        # Python raises on 1/0 and the row fails; here the row's value becomes null
        return _Value(data, np.logical_and(left.valid & right.valid, np.isfinite(data)))

    def _number(self, value: _Value) -> _Value:
        if value.text is not None or isinstance(value.data, str | tuple):
            raise NotVectorised("arithmetic on text")
        return value

    def _Compare(self, node: ast.Compare) -> _Value:
        operands = [self.value(node.left), *(self.value(c) for c in node.comparators)]
        result: Any = True
        for op_node, a, b in zip(node.ops, operands, operands[1:], strict=False):
            result = np.logical_and(result, self._compare(op_node, a, b))
        return _Value(result, True)

    def _compare(self, op_node: ast.cmpop, a: _Value, b: _Value) -> Any:
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
        if value.text is None:
            return value
        data = value.text.materialise()
        return _Value(data, np.not_equal(data, None))

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
        valid: Any = True
        for arg in args:
            valid = np.logical_and(valid, arg.valid)
        if name == "abs" and len(args) == 1:
            return _Value(np.abs(args[0].data), valid)
        if name in ("min", "max") and len(args) >= 2:
            combine = np.minimum if name == "min" else np.maximum
            data = args[0].data
            for arg in args[1:]:
                data = combine(data, arg.data)
            return _Value(data, valid)
        if name == "sqrt" and len(args) == 1:
            data = np.sqrt(args[0].data)
            return _Value(data, np.logical_and(valid, np.isfinite(data)))
        if name == "log10" and len(args) == 1:
            data = np.log10(args[0].data)
            return _Value(data, np.logical_and(valid, np.isfinite(data)))
        raise NotVectorised(name)


def _safe(op: Callable[[Any, Any], Any], a: Any, b: Any) -> bool:
    try:
        return bool(op(a, b))
    except TypeError:
        return False
