"""A small, safe filter language over alert fields (no eval of user code).

Expressions use Python's syntax for comparisons and arithmetic::

    rb >= 0.65 and nbad == 0 and fwhm <= 5 and elong <= 1.2 and abs(magdiff) <= 0.1
    band == "r" and mag < 19
    n_history_detections >= 2 and survey in ("ztf", "lsst")

They are parsed with :mod:`ast` and only a whitelist of node types is
accepted; the tree is turned into closures, never compiled or evaluated as
Python. Names are looked up as ``filter_fields`` says; a missing field or a
null value makes a comparison false, as in SQL.

What a filter may cost is bounded (``filter_bounds``). A part made of
constants only is computed once, at parse time, where breaking a bound is a
``FilterError``; on fields, an undefined or out-of-range result (``flux / 0``,
``mag ** 1000``) is null, as NaN is in the table's columns, so both
evaluators agree.
"""

from __future__ import annotations

import ast
import logging
import math
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, cast

from alertview.core.alert import Alert
from alertview.core.table.filter_bounds import (
    FAILURES,
    FUNCTIONS,
    INT_MAX,
    MAX_DEPTH,
    MAX_LENGTH,
    MISSING,
    OPERATORS,
    arithmetic,
    call_function,
    negative,
    reason,
    strict_arithmetic,
    strict_call,
    strict_negative,
)
from alertview.core.table.filter_errors import FilterError, TextPositions
from alertview.core.table.filter_fields import FieldLookup, MappingLookup
from alertview.core.table.triage import TRIAGE_STATES, UNSCANNED

log = logging.getLogger(__name__)

#: Comparison operators of the language (the column evaluator uses them too).
COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.Pow: "**"}

Getter = Callable[[Any], Any]


def check_names(alert_filter: AlertFilter, known: Collection[str]) -> None:
    """Refuse a name that is none of ``known``, suggesting the closest one.

    Without this a typo costs a decode of every stored packet, to find nothing.
    """
    columns = alert_filter.name_columns
    unknown = sorted(alert_filter.names.difference(known), key=lambda n: columns.get(n, 0))
    if not unknown:
        return
    name = unknown[0]
    by_lower = {k.lower(): k for k in sorted(known, reverse=True)}
    close = get_close_matches(name.lower(), by_lower, n=1, cutoff=0.6)
    hint = f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
    column = alert_filter.name_columns.get(name)
    raise FilterError(f"unknown field {name!r}{hint}", alert_filter.expression, column)


@dataclass
class AlertFilter:
    """A compiled filter; call it with an Alert, or ``matches`` with any lookup."""

    expression: str
    _test: Getter = field(repr=False)
    names: frozenset[str] = frozenset()
    found: set[str] = field(default_factory=set)
    #: The parsed expression with its constant parts computed, for evaluators over
    #: whole columns.
    tree: ast.expr | None = field(default=None, repr=False)
    #: Where each name first appears (a column of ``expression``), to point at typos.
    name_columns: Mapping[str, int] = field(default_factory=dict, repr=False)

    def __call__(self, alert: Alert) -> bool:
        return self.matches(FieldLookup(alert))

    def matches(self, lookup: FieldLookup | MappingLookup) -> bool:
        try:
            return bool(_truth(self._test(_Tracking(lookup, self.found))))
        except Exception as exc:  # one odd row (or its packet) never stops a filter
            log.debug("filter %r failed on a row: %r", self.expression, exc)
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
    """Compile ``expression``; raises FilterError pointing at the problem.

    Nothing else ever leaves: the text comes straight from a user, and the
    viewer shows a FilterError where any other exception would be a crash.
    """
    text = expression.strip()
    if not text:
        raise FilterError("the expression is empty", expression, 0)
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the expression is too long ({len(text)} characters, max {MAX_LENGTH})")
    try:
        return _parse(text)
    except FilterError:
        raise
    except (RecursionError, MemoryError):  # Python's own parser, on thousands of levels
        raise FilterError(f"filter nested too deeply (max {MAX_DEPTH})", text) from None
    except Exception as exc:
        log.warning("filter %r could not be compiled", text, exc_info=True)
        raise FilterError(f"cannot use this expression ({type(exc).__name__})", text) from None


def _parse(text: str) -> AlertFilter:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if _parses(f"{text} 0"):
            raise FilterError("the expression ends too early", text, len(text)) from None
        if "Exceeds the limit" in str(exc.msg):  # an integer of over 4300 digits
            raise FilterError("this number is beyond ±1.8e308", text) from None
        if "too many nested" in str(exc.msg):
            raise FilterError(f"filter nested too deeply (max {MAX_DEPTH})", text) from None
        column = (exc.offset or 1) - 1
        raise FilterError(exc.msg, text, min(max(column, 0), len(text))) from None
    except ValueError as exc:  # e.g. a NUL character, on Python 3.11
        raise FilterError(str(exc), text) from None
    compiler = _Compiler(text)
    compiler.check_depth(tree.body)
    _check_triage_values(tree.body, text)
    test = compiler.compile(tree.body)
    return AlertFilter(
        text,
        test,
        frozenset(compiler.names),
        tree=compiler.folded(tree.body),
        name_columns=compiler.name_columns,
    )


def _check_triage_values(body: ast.expr, text: str) -> None:
    """``triage == "follow-up"`` (the label the table shows) matched nothing, silently:
    a triage is compared with one of its four values, or the filter is refused."""
    known = (*TRIAGE_STATES, UNSCANNED)
    for node in ast.walk(body):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if not any(isinstance(o, ast.Name) and o.id == "triage" for o in operands):
            continue
        for operand in operands:
            values = operand.elts if isinstance(operand, ast.Tuple | ast.List) else [operand]
            for value in values:
                if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
                    continue
                if value.value in known:
                    continue
                close = get_close_matches(value.value.replace("-", ""), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise FilterError(
                    f"no triage is {value.value!r}{hint}; it is one of {', '.join(known)}",
                    text,
                    value.col_offset,
                )


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Const:
    """A compiled part without fields: its value is known at parse time."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, _: Any) -> Any:
        return self.value


def _column_value(value: Any) -> Any:
    """A computed constant as the column evaluator reads it (null as None)."""
    if value is MISSING:
        return None
    if isinstance(value, tuple):
        return tuple(None if v is MISSING else v for v in value)
    return value


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.names: set[str] = set()
        self.name_columns: dict[str, int] = {}
        self._values: dict[int, Any] = {}  # id(node) -> value computed at parse time
        self.positions = TextPositions(text)

    def fail(self, node: ast.AST, message: str, column: int | None = None) -> FilterError:
        where = self.positions.column(node) if column is None else column
        return FilterError(message, self.text, where)

    def check_depth(self, tree: ast.AST) -> None:
        """Refuse deep nesting before anything recurses over it (iteratively here)."""
        stack = [(tree, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.fail(node, f"filter nested too deeply (max {MAX_DEPTH})")
            stack.extend(
                (child, depth + 1)
                for child in ast.iter_child_nodes(node)
                if isinstance(child, ast.expr)
            )

    def folded(self, tree: ast.expr) -> ast.expr:
        """``tree`` with its constant parts replaced by their values, so the column
        evaluator never computes them (numpy's int64 would wrap around silently)."""
        values = self._values

        class Fold(ast.NodeTransformer):
            def visit(self, node: ast.AST) -> ast.AST:
                if id(node) in values and not isinstance(node, ast.Constant):
                    return ast.copy_location(ast.Constant(_column_value(values[id(node)])), node)
                return super().visit(node)

        return cast(ast.expr, Fold().visit(tree))

    def constant(
        self, node: ast.AST, compute: Callable[[], Any], column: int | None = None
    ) -> _Const:
        """Compute a part made of constants now; breaking a bound is the user's error."""
        try:
            value = compute()
        except FAILURES as exc:
            raise self.fail(node, reason(exc), column) from None
        self._values[id(node)] = value
        return _Const(value)

    def compile(self, node: ast.AST) -> Getter:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__.lower()} is not allowed in a filter")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Getter:
        value = node.value
        if not isinstance(value, int | float | str | bool | type(None)):
            raise self.fail(node, f"constant {value!r} is not allowed")
        if isinstance(value, int) and abs(value) > INT_MAX:
            raise self.fail(node, "this number is beyond ±1.8e308")
        return self.constant(node, lambda: MISSING if value is None else value)

    def _Name(self, node: ast.Name) -> Getter:
        name = node.id
        if name in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": MISSING}[name]
            return self.constant(node, lambda: constant)
        self.names.add(name)
        self.name_columns.setdefault(name, self.positions.at(node.lineno, node.col_offset))

        def get(fields: Any) -> Any:
            try:
                return _value(fields.get(name))
            except KeyError:
                return MISSING

        return get

    def _Tuple(self, node: ast.Tuple) -> Getter:
        items = [self.compile(e) for e in node.elts]
        constants = [i for i in items if isinstance(i, _Const)]
        if len(constants) == len(items):
            return self.constant(node, lambda: tuple(c.value for c in constants))
        return lambda f: tuple(i(f) for i in items)

    _List = _Tuple

    def _BoolOp(self, node: ast.BoolOp) -> Getter:
        parts = [self.compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            test = lambda f: all(_truth(p(f)) for p in parts)  # noqa: E731
        else:
            test = lambda f: any(_truth(p(f)) for p in parts)  # noqa: E731
        return self._fold(node, parts, test)

    def _fold(self, node: ast.AST, parts: list[Getter], getter: Getter) -> Getter:
        """``getter``, or its value when every part is a constant."""
        if all(isinstance(p, _Const) for p in parts):
            return self.constant(node, lambda: getter(None))
        return getter

    def _UnaryOp(self, node: ast.UnaryOp) -> Getter:
        inner = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return self._fold(node, [inner], lambda f: not _truth(inner(f)))
        if isinstance(node.op, ast.USub):
            if isinstance(inner, _Const):
                return self.constant(node, lambda: strict_negative(inner.value))
            return lambda f: negative(inner(f))
        if isinstance(node.op, ast.UAdd):
            return inner
        raise self.fail(node, "this operator is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Getter:
        kind = type(node.op)
        if kind not in OPERATORS:
            raise self.fail(node, "this operator is not allowed")
        left, right = self.compile(node.left), self.compile(node.right)
        if isinstance(left, _Const) and isinstance(right, _Const):
            start = self.positions.at(node.left.end_lineno or 1, node.left.end_col_offset or 0)
            found = self.text.find(_SYMBOLS[kind], start, self.positions.column(node.right))
            compute = lambda: strict_arithmetic(kind, left.value, right.value)  # noqa: E731
            return self.constant(node, compute, found if found >= 0 else None)
        return lambda f: arithmetic(kind, left(f), right(f))

    def _Compare(self, node: ast.Compare) -> Getter:
        operands = [self.compile(node.left), *(self.compile(c) for c in node.comparators)]
        ops: list[Callable[..., Any]] = []
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
                if a is MISSING or b is MISSING:
                    return False
                try:
                    if not op(a, b):
                        return False
                except FAILURES:  # text against a number: false, as in the columns
                    return False
            return True

        return self._fold(node, operands, compare)

    def _Call(self, node: ast.Call) -> Getter:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.fail(node, f"only these functions are allowed: {allowed}")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        name = node.func.id
        args = [self.compile(a) for a in node.args]
        constants = [a for a in args if isinstance(a, _Const)]
        if len(constants) == len(args):
            return self.constant(node, lambda: strict_call(name, [c.value for c in constants]))
        return lambda f: call_function(name, [a(f) for a in args])
