"""Counts in words: the singular for one."""

from __future__ import annotations

from alertview.core.wording import counted


def test_one_is_singular_and_the_rest_plural() -> None:
    assert counted(1, "alert") == "1 alert"
    assert [counted(n, "error") for n in (0, 2)] == ["0 errors", "2 errors"]
    assert counted(3, "upper limit") == "3 upper limits"
    assert counted(2, "index", "indices") == "2 indices"
