"""The filter language's values and bounded operations: what one filter may cost.

The text comes from a user (or a fuzzer), so what it may cost is bounded:
``MAX_LENGTH`` characters, ``MAX_DEPTH`` levels of nesting, numbers within a
double's range (±1.8e308) and texts or tuples of at most ``MAX_ITEMS``, each
checked *before* computing. The ``strict_*`` operations raise where a result
is undefined or out of bounds (the parser computes constant parts with them,
and tells the user); ``arithmetic``, ``call_function`` and ``negative`` give
null (``MISSING``) instead, as NaN is in the table's columns, so the
row-by-row and the column evaluators agree.
"""

from __future__ import annotations

import ast
import math
import operator
import sys
from collections.abc import Callable
from typing import Any

#: Longest expression accepted: a pasted list of several hundred object ids fits.
MAX_LENGTH = 20_000
#: Deepest nesting of operations (``a + b + c`` is 3 deep); both evaluators recurse.
MAX_DEPTH = 100
#: Longest text or tuple an operation may build (``"a" * n``, ``t + t``).
MAX_ITEMS = 10_000
#: Largest integer a filter holds: what a double can still hold.
INT_MAX = int(sys.float_info.max)
_TOO_LARGE = "the result is beyond ±1.8e308"
_SEQUENCES = (str, bytes, bytearray, tuple, list)
#: What makes an operation on values null (or, on constants, a FilterError).
FAILURES = (ArithmeticError, TypeError, ValueError)


class _Missing:
    """A field that is absent or null: every comparison with it is false."""

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


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


#: The arithmetic operators of the language, each checked before it computes.
OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _plus,
    ast.Sub: operator.sub,
    ast.Mult: _times,
    ast.Div: operator.truediv,
    ast.Mod: _modulo,
    ast.Pow: _power,
}
#: The functions a filter may call.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log10": math.log10,
    "len": len,
    "isnull": lambda *values: any(v is MISSING for v in values),
}


def _checked(value: Any) -> Any:
    """``value`` if it is within the bounds of the language, else OutOfRange."""
    if isinstance(value, float):
        if not math.isfinite(value):  # as the columns' float64 overflow (inf) and NaN
            raise OutOfRange("the result is not a finite number")
    elif isinstance(value, int):
        if abs(value) > INT_MAX:
            raise OutOfRange(_TOO_LARGE)
    elif isinstance(value, complex):  # (-8) ** (1/3)
        raise OutOfRange("the result is not a real number")
    elif isinstance(value, _SEQUENCES) and len(value) > MAX_ITEMS:
        raise OutOfRange(f"the result is longer than {MAX_ITEMS} items")
    return value


def strict_arithmetic(op: type, a: Any, b: Any) -> Any:
    """``a op b`` (``op`` an ``ast`` operator type); null if an operand is."""
    if a is MISSING or b is MISSING:
        return MISSING
    return _checked(OPERATORS[op](a, b))


def strict_call(name: str, values: list[Any]) -> Any:
    """The function ``name`` of ``values``; null if one is (but for ``isnull``)."""
    if name == "isnull":
        return any(v is MISSING for v in values)
    if any(v is MISSING for v in values):
        return MISSING
    return _checked(FUNCTIONS[name](*values))


def strict_negative(value: Any) -> Any:
    """``-value``; null if it is."""
    return MISSING if value is MISSING else _checked(-value)


def reason(exc: Exception) -> str:
    """What an operation's failure tells the user."""
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return _TOO_LARGE
    return str(exc) or type(exc).__name__


def _or_null(strict: Callable[..., Any]) -> Callable[..., Any]:
    def tolerant(*args: Any) -> Any:
        try:
            return strict(*args)
        except FAILURES:
            return MISSING

    tolerant.__doc__ = f"{strict.__name__.removeprefix('strict_')}, null where undefined."
    return tolerant


#: One value each, as the filter defines them: null when an operand is null or the
#: result is undefined or out of bounds. The column evaluator applies them to exact
#: integers, so its results are the row-by-row ones.
arithmetic = _or_null(strict_arithmetic)
call_function = _or_null(strict_call)
negative = _or_null(strict_negative)
