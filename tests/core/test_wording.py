"""Counts in words: one alert, many alerts, thousands separated as the window shows them."""

from __future__ import annotations

import pytest

from alertview.core.wording import counted


@pytest.mark.parametrize(
    ("count", "noun", "plural", "said"),
    [(0, "alert", None, "0 alerts"), (1, "alert", None, "1 alert"),
     (2, "forced epoch", None, "2 forced epochs"), (59174, "alert", None, "59,174 alerts"),
     (1, "match", "matches", "1 match"), (1234567, "match", "matches", "1,234,567 matches")],
)  # fmt: skip
def test_counted_says_singular_plural_and_thousands(count, noun, plural, said):
    assert counted(count, noun, plural) == said
