"""A bad filter told to the user: what is wrong, and where in the expression.

The text may span lines and hold any Unicode, while ``ast`` counts lines its
own way and offsets in UTF-8 bytes; ``TextPositions`` turns those into
columns of the text, so the pointer lands on the character the user typed.
"""

from __future__ import annotations

import ast
import re

from alertview.core.errors import AlertViewError


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


class TextPositions:
    """Columns of an expression's text from the positions ``ast`` gives its nodes."""

    def __init__(self, text: str) -> None:
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
        """Where ``node`` starts, if it has a position."""
        lineno, offset = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if lineno is None or offset is None:
            return None
        return self.at(lineno, offset)
