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

The text comes from a user (or a fuzzer), so what it may cost is bounded:
``MAX_LENGTH`` characters, ``MAX_DEPTH`` levels of nesting, numbers within a
double's range (±1.8e308) and texts or tuples of at most ``MAX_ITEMS``, each
checked *before* computing. A part made of constants only is computed once,
at parse time, where breaking a bound is a ``FilterError``; on fields, an
undefined or out-of-range result (``flux / 0``, ``mag ** 1000``) is null, as
NaN is in the table's columns, so both evaluators agree.
"""

from __future__ import annotations

import ast
import logging
import math
import operator
import re
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError

log = logging.getLogger(__name__)

#: The sub-records searched for raw field names, in order.
NESTED = ("candidate", "diaSource", "diaObject")
#: Longest expression accepted: a pasted list of several hundred object ids fits.
MAX_LENGTH = 20_000
#: Deepest nesting of operations (``a + b + c`` is 3 deep); both evaluators recurse.
MAX_DEPTH = 100
#: Longest text or tuple an operation may build (``"a" * n``, ``t + t``).
MAX_ITEMS = 10_000
_INT_MAX = int(sys.float_info.max)
_TOO_LARGE = "the result is beyond ±1.8e308"
_SEQUENCES = (str, bytes, bytearray, tuple, list)

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
#: What makes an operation on values null (or, on constants, a FilterError).
_FAILURES = (ArithmeticError, TypeError, ValueError)


class OutOfRange(ArithmeticError):
    """A result too large to compute or to hold, refused before it is computed."""


def _power(a: Any, b: Any) -> Any:
    # 9**9**9 is 370 million digits: minutes of CPU that Ctrl-C cannot interrupt
    whole = isinstance(a, int) and isinstance(b, int)
    if whole and b > 0 and abs(a) > 1 and b * math.log2(abs(a)) > 1100:
        raise OutOfRange(_TOO_LARGE)
    try:
        return a**b
    except OverflowError:
        raise OutOfRange(_TOO_LARGE) from None


def _times(a: Any, b: Any) -> Any:
    for items, count in ((a, b), (b, a)):
        repeated = isinstance(items, _SEQUENCES) and isinstance(count, int)
        if repeated and len(items) * count > MAX_ITEMS:
            raise OutOfRange(f"the result is longer than {MAX_ITEMS} items")
    return a * b


def _plus(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ITEMS:
        raise OutOfRange(f"the result is longer than {MAX_ITEMS} items")
    return a + b


def _modulo(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes | bytearray):  # "%0999999999d" % 1 would allocate 1 GB
        raise TypeError("% is not text formatting in a filter")
    return a % b


_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _plus,
    ast.Sub: operator.sub,
    ast.Mult: _times,
    ast.Div: operator.truediv,
    ast.Mod: _modulo,
    ast.Pow: _power,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log10": math.log10,
    "len": len,
    "isnull": lambda *values: any(v is MISSING for v in values),
}

Getter = Callable[[Any], Any]


def _checked(value: Any) -> Any:
    """``value`` if it is within the bounds of the language, else OutOfRange."""
    if isinstance(value, float):
        if not math.isfinite(value):  # as the columns' float64 overflow (inf) and NaN
            raise OutOfRange("the result is not a finite number")
    elif isinstance(value, int):
        if abs(value) > _INT_MAX:
            raise OutOfRange(_TOO_LARGE)
    elif isinstance(value, complex):  # (-8) ** (1/3)
        raise OutOfRange("the result is not a real number")
    elif isinstance(value, _SEQUENCES) and len(value) > MAX_ITEMS:
        raise OutOfRange(f"the result is longer than {MAX_ITEMS} items")
    return value


def _strict_arithmetic(op: type, a: Any, b: Any) -> Any:
    if a is MISSING or b is MISSING:
        return MISSING
    return _checked(_ARITH[op](a, b))


def _strict_call(name: str, values: list[Any]) -> Any:
    if name == "isnull":
        return any(v is MISSING for v in values)
    if any(v is MISSING for v in values):
        return MISSING
    return _checked(_FUNCTIONS[name](*values))


def _strict_negative(value: Any) -> Any:
    return MISSING if value is MISSING else _checked(-value)


def _or_null(strict: Callable[..., Any]) -> Callable[..., Any]:
    def tolerant(*args: Any) -> Any:
        try:
            return strict(*args)
        except _FAILURES:
            return MISSING

    tolerant.__doc__ = f"{strict.__name__.removeprefix('_strict_')}, null where undefined."
    return tolerant


#: One value each, as the filter defines them: null when an operand is null or the
#: result is undefined or out of bounds. The column evaluator applies them to exact
#: integers, so its results are the row-by-row ones.
arithmetic = _or_null(_strict_arithmetic)
call_function = _or_null(_strict_call)
negative = _or_null(_strict_negative)


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
        """The expression with ``>>>`` marking the offending place (a long one cut to
        the ~60 characters around it, so the message stays one readable line)."""
        text, column = self.expression, self.column
        if column is None:
            return text
        before, after = text[:column], text[column:]
        if len(before) > 40:
            before = f"…{before[-30:]}"
        if len(after) > 40:
            after = f"{after[:30]}…"
        return f"{before}>>>{after}"


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


def record_names(record: Mapping[str, Any]) -> set[str]:
    """The names a raw record answers: its fields and those of its ``NESTED`` records."""
    names = set(record)
    for nested in NESTED:
        sub = record.get(nested)
        if isinstance(sub, Mapping):
            names.update(sub)
    return names


def check_names(alert_filter: AlertFilter, known: Collection[str]) -> None:
    """Refuse a name that is none of ``known``, suggesting the closest one.

    Without this a typo costs a decode of every stored packet, to find nothing.
    """
    unknown = sorted(alert_filter.names.difference(known), key=alert_filter.name_columns.get)
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
    test = compiler.compile(tree.body)
    return AlertFilter(
        text,
        test,
        frozenset(compiler.names),
        tree=compiler.folded(tree.body),
        name_columns=compiler.name_columns,
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


def _reason(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return _TOO_LARGE
    return str(exc) or type(exc).__name__


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
        # ast's lines (not str.splitlines', which also ends one at \x0c, \u2028...)
        lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n|$)", text)
        self._lines = lines
        self._starts = [0]
        for line in lines[:-1]:
            self._starts.append(self._starts[-1] + len(line))

    def at(self, lineno: int, offset: int) -> int:
        """A column of the text from ast's line number and UTF-8 byte offset."""
        line = self._lines[min(lineno, len(self._lines)) - 1]
        if not line.isascii():
            offset = len(line.encode()[:offset].decode("utf-8", errors="ignore"))
        return self._starts[min(lineno, len(self._lines)) - 1] + offset

    def column(self, node: ast.AST) -> int | None:
        if not hasattr(node, "col_offset"):
            return None
        return self.at(node.lineno, node.col_offset)

    def fail(self, node: ast.AST, message: str, column: int | None = None) -> FilterError:
        return FilterError(message, self.text, self.column(node) if column is None else column)

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

        return Fold().visit(tree)

    def constant(self, node: ast.AST, compute: Callable[[], Any], column: int | None = None):
        """Compute a part made of constants now; breaking a bound is the user's error."""
        try:
            value = compute()
        except _FAILURES as exc:
            raise self.fail(node, _reason(exc), column) from None
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
        if isinstance(value, int) and abs(value) > _INT_MAX:
            raise self.fail(node, "this number is beyond ±1.8e308")
        return self.constant(node, lambda: MISSING if value is None else value)

    def _Name(self, node: ast.Name) -> Getter:
        name = node.id
        if name in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": MISSING}[name]
            return self.constant(node, lambda: constant)
        self.names.add(name)
        self.name_columns.setdefault(name, self.at(node.lineno, node.col_offset))

        def get(fields: Any) -> Any:
            try:
                return _value(fields.get(name))
            except KeyError:
                return MISSING

        return get

    def _Tuple(self, node: ast.Tuple) -> Getter:
        items = [self.compile(e) for e in node.elts]
        if all(isinstance(i, _Const) for i in items):
            return self.constant(node, lambda: tuple(i.value for i in items))
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
                return self.constant(node, lambda: _strict_negative(inner.value))
            return lambda f: negative(inner(f))
        if isinstance(node.op, ast.UAdd):
            return inner
        raise self.fail(node, "this operator is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Getter:
        kind = type(node.op)
        if kind not in _ARITH:
            raise self.fail(node, "this operator is not allowed")
        left, right = self.compile(node.left), self.compile(node.right)
        if isinstance(left, _Const) and isinstance(right, _Const):
            start = self.at(node.left.end_lineno or 1, node.left.end_col_offset or 0)
            found = self.text.find(_SYMBOLS[kind], start, self.column(node.right))
            compute = lambda: _strict_arithmetic(kind, left.value, right.value)  # noqa: E731
            return self.constant(node, compute, found if found >= 0 else None)
        return lambda f: arithmetic(kind, left(f), right(f))

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
                if a is MISSING or b is MISSING:
                    return False
                try:
                    if not op(a, b):
                        return False
                except _FAILURES:  # text against a number: false, as in the columns
                    return False
            return True

        return self._fold(node, operands, compare)

    def _Call(self, node: ast.Call) -> Getter:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise self.fail(node, f"only these functions are allowed: {allowed}")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        name = node.func.id
        args = [self.compile(a) for a in node.args]
        if all(isinstance(a, _Const) for a in args):
            return self.constant(node, lambda: _strict_call(name, [a.value for a in args]))
        return lambda f: call_function(name, [a(f) for a in args])
