"""A small, safe filter language over alert fields (no eval of user code).

Expressions use Python's syntax for comparisons and arithmetic::

    rb >= 0.65 and nbad == 0 and fwhm <= 5 and elong <= 1.2 and abs(magdiff) <= 0.1
    band == "r" and mag < 19
    n_history_detections >= 2 and survey in ("ztf", "lsst")

They are parsed with :mod:`ast` and only a whitelist of node types is
accepted; the tree is turned into closures, never compiled or evaluated as
Python. A name is looked up among the Alert's fields (those of ``inspect
--json``), then in the raw record, then in its ``candidate`` (ZTF) or
``diaSource`` (Rubin) sub-record. A missing field or a null value makes a
comparison false, as in SQL.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError

#: The sub-records searched for raw field names, in order.
NESTED = ("candidate", "diaSource", "diaObject")

#: Comparison operators of the language (the column evaluator uses them too).
COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log10": math.log10,
    "len": len,
    "isnull": lambda v: v is None or (isinstance(v, float) and math.isnan(v)),
}

Getter = Callable[[Any], Any]


class FilterError(AlertViewError):
    """A filter expression that cannot be used, with a pointer to where."""

    def __init__(self, message: str, expression: str = "", column: int | None = None):
        self.message = message
        self.expression = expression
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.column is None:
            return f"bad filter: {self.message}"
        return f"bad filter: {self.message} at column {self.column + 1}: {self.pointer()}"

    def pointer(self) -> str:
        """The expression with ``>>>`` marking the offending place."""
        if self.column is None:
            return self.expression
        return f"{self.expression[: self.column]}>>>{self.expression[self.column :]}"


class _Missing:
    """A field that is absent or null: every comparison with it is false."""

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def _alert_fields(alert: Alert) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "survey": alert.survey,
        "schema": alert.schema_label,
        "alert_id": alert.alert_id,
        "object_id": alert.object_id,
        "ra": alert.ra,
        "dec": alert.dec,
        "mjd": alert.mjd,
        "time_scale": alert.time_scale,
        "band": alert.band,
        "mag": alert.mag,
        "mag_err": alert.mag_err,
        "flux": alert.flux,
        "flux_err": alert.flux_err,
        "flux_unit": alert.flux_unit,
        "n_history_detections": alert.n_history_detections,
        "n_upper_limits": alert.n_upper_limits,
        "n_forced": alert.n_forced,
        "publisher": alert.publisher,
        "topic": alert.origin.topic,
        "partition": alert.origin.partition,
        "offset": alert.origin.offset,
    }
    fields.update(alert.quality)
    return fields


class FieldLookup:
    """Resolves names for one alert."""

    def __init__(self, alert: Alert) -> None:
        self.alert = alert
        self._fields: dict[str, Any] | None = None

    def get(self, name: str) -> Any:
        if self._fields is None:
            self._fields = _alert_fields(self.alert)
        if name in self._fields:
            return self._fields[name]
        return _from_record(self.alert.record, name)


class MappingLookup:
    """Resolves names from ready fields (a table row), then from a record loaded on demand.

    The record is only loaded (e.g. decoded from the store) when a name is
    not among the fields, so filters on table columns stay fast.
    """

    def __init__(self, fields: Mapping[str, Any], record: Callable[[], Mapping] | None = None):
        self.fields = fields
        self._load = record
        self._record: Mapping | None = None

    def get(self, name: str) -> Any:
        if name in self.fields:
            return self.fields[name]
        if self._load is None:
            raise KeyError(name)
        if self._record is None:
            self._record = self._load()
        return _from_record(self._record, name)


def _from_record(record: Mapping[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    for nested in NESTED:
        sub = record.get(nested)
        if isinstance(sub, Mapping) and name in sub:
            return sub[name]
    raise KeyError(name)


@dataclass
class AlertFilter:
    """A compiled filter; call it with an Alert, or ``matches`` with any lookup."""

    expression: str
    _test: Getter = field(repr=False)
    names: frozenset[str] = frozenset()
    found: set[str] = field(default_factory=set)
    #: The parsed expression, for evaluators over whole columns.
    tree: ast.expr | None = field(default=None, repr=False)

    def __call__(self, alert: Alert) -> bool:
        return self.matches(FieldLookup(alert))

    def matches(self, lookup: FieldLookup | MappingLookup) -> bool:
        try:
            return bool(_truth(self._test(_Tracking(lookup, self.found))))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return False

    def never_found(self) -> set[str]:
        """Names that no alert so far had (typos, or fields of another survey)."""
        return set(self.names) - self.found


class _Tracking:
    """Remembers which names were ever found, to report typos."""

    def __init__(self, inner: FieldLookup | MappingLookup, found: set[str]) -> None:
        self._inner = inner
        self._found = found

    def get(self, name: str) -> Any:
        value = self._inner.get(name)
        self._found.add(name)
        return value


def _truth(value: Any) -> bool:
    return False if value is MISSING else bool(value)


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return value


def parse_filter(expression: str) -> AlertFilter:
    """Compile ``expression``; raises FilterError pointing at the problem."""
    text = expression.strip()
    if not text:
        raise FilterError("the expression is empty", expression, 0)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if _parses(f"{text} 0"):
            raise FilterError("the expression ends too early", text, len(text)) from None
        column = (exc.offset or 1) - 1
        raise FilterError(exc.msg, text, min(column, len(text))) from None
    names: set[str] = set()
    test = _Compiler(text, names).compile(tree.body)
    return AlertFilter(text, test, frozenset(names), tree=tree.body)


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


class _Compiler:
    def __init__(self, text: str, names: set[str]) -> None:
        self.text = text
        self.names = names

    def fail(self, node: ast.AST, message: str) -> FilterError:
        return FilterError(message, self.text, getattr(node, "col_offset", None))

    def compile(self, node: ast.AST) -> Getter:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__.lower()} is not allowed in a filter")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Getter:
        if not isinstance(node.value, int | float | str | bool | type(None)):
            raise self.fail(node, f"constant {node.value!r} is not allowed")
        value = node.value
        return lambda _: value

    def _Name(self, node: ast.Name) -> Getter:
        name = node.id
        if name in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[name]
            return lambda _: constant
        self.names.add(name)

        def get(fields: Any) -> Any:
            try:
                return _value(fields.get(name))
            except KeyError:
                return MISSING

        return get

    def _Tuple(self, node: ast.Tuple) -> Getter:
        items = [self.compile(e) for e in node.elts]
        return lambda f: tuple(i(f) for i in items)

    _List = _Tuple

    def _BoolOp(self, node: ast.BoolOp) -> Getter:
        parts = [self.compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda f: all(_truth(p(f)) for p in parts)
        return lambda f: any(_truth(p(f)) for p in parts)

    def _UnaryOp(self, node: ast.UnaryOp) -> Getter:
        inner = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda f: not _truth(inner(f))
        if isinstance(node.op, ast.USub):
            return lambda f: MISSING if (v := inner(f)) is MISSING else -v
        if isinstance(node.op, ast.UAdd):
            return inner
        raise self.fail(node, "this operator is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Getter:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(node, "this operator is not allowed")
        left, right = self.compile(node.left), self.compile(node.right)

        def arith(f: Any) -> Any:
            a, b = left(f), right(f)
            return MISSING if a is MISSING or b is MISSING else op(a, b)

        return arith

    def _Compare(self, node: ast.Compare) -> Getter:
        operands = [self.compile(node.left), *(self.compile(c) for c in node.comparators)]
        ops = []
        for op_node in node.ops:
            if isinstance(op_node, ast.In | ast.NotIn):
                negate = isinstance(op_node, ast.NotIn)
                ops.append(lambda a, b, negate=negate: (a in b) != negate)
            elif type(op_node) in COMPARISONS:
                ops.append(COMPARISONS[type(op_node)])
            else:
                raise self.fail(node, "use ==, !=, <, <=, >, >=, in or not in")

        def compare(f: Any) -> bool:
            values = [o(f) for o in operands]
            for op, a, b in zip(ops, values, values[1:], strict=False):
                if a is MISSING or b is MISSING or not op(a, b):
                    return False
            return True

        return compare

    def _Call(self, node: ast.Call) -> Getter:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise self.fail(node, f"only these functions are allowed: {allowed}")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        func = _FUNCTIONS[node.func.id]
        args = [self.compile(a) for a in node.args]
        is_null_test = node.func.id == "isnull"

        def call(f: Any) -> Any:
            values = [a(f) for a in args]
            if is_null_test:
                return any(v is MISSING for v in values)
            if any(v is MISSING for v in values):
                return MISSING
            return func(*values)

        return call
