"""What a user decided about an alert while scanning: a state, tags and a note.

The session keeps them (``session.store_triage``); the table holds them as
columns and the filter language sees them as ``triage``, ``tag``, ``tags`` and
``note``. They live here, below the session, because the table and its
filters need them and may not import the session (the core's layers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The states an alert can be given (keys I / F / R in the viewer).
TRIAGE_STATES = ("interesting", "followup", "reject")
#: What filters and exports see for an alert with no state.
UNSCANNED = "unscanned"
#: The names the filter language gives a row's triage.
TRIAGE_NAMES = ("triage", "tag", "tags", "note")
#: How tags are joined in the ``tags`` column and filter name.
TAG_SEPARATOR = ", "

_TAG = re.compile(r"[a-z0-9_-]+")
_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class Triage:
    """One alert's triage: ``row`` is its number in the session."""

    row: int
    state: str | None  # one of TRIAGE_STATES, or None: unscanned
    note: str = ""
    tags: tuple[str, ...] = ()  # sorted, unique, lower-case words [a-z0-9_-]

    @property
    def empty(self) -> bool:
        """Nothing decided: the session keeps no record of it."""
        return self.state is None and not self.note and not self.tags

    @property
    def label(self) -> str:
        """The state as filters and exports name it (``UNSCANNED`` for none)."""
        return self.state or UNSCANNED

    @property
    def tags_text(self) -> str:
        return TAG_SEPARATOR.join(self.tags)


def check_state(state: str | None) -> str | None:
    """``state`` if it is one of ``TRIAGE_STATES`` or None; else a ValueError saying which."""
    if state is None or state in TRIAGE_STATES:
        return state
    raise ValueError(f"unknown triage state {state!r}: use one of {', '.join(TRIAGE_STATES)}")


def parse_tags(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tags of a typed text, split at commas and spaces (``"SN, followup"``), as kept
    (lower-case, sorted, unique), and the words that cannot be tags, in the order typed.
    The one rule for what a tag is: the store's and the tags dialog's."""
    good: set[str] = set()
    bad: dict[str, None] = {}
    for part in _SPLIT.split(text.strip().lower()):
        if part and _TAG.fullmatch(part):
            good.add(part)
        elif part:
            bad[part] = None
    return tuple(sorted(good)), tuple(bad)


@dataclass(frozen=True)
class TagEdit:
    """What a tags dialog's answer changes: ``added``/``removed`` against the tags it
    showed, or ``refused`` (one line) when a word cannot be a tag: then nothing changes,
    since the word typed in a tag's place (``sn!`` for ``sn``) would remove that tag."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    refused: str = ""


def tag_edit(text: str, shown: Iterable[str]) -> TagEdit:
    """The change from the tags ``shown`` to those typed in ``text``."""
    tags, bad = parse_tags(text)
    if bad:
        return TagEdit(
            refused=f"tags not changed: not a tag (letters, digits, _ and - only): "
            f"{', '.join(bad)}"
        )
    shown = tuple(shown)
    return TagEdit(
        tuple(t for t in tags if t not in shown), tuple(t for t in shown if t not in tags)
    )


def normalise_tags(tags: Iterable[str] | str) -> tuple[str, ...]:
    """Tags as kept (``parse_tags``); a word that cannot be a tag is a ValueError."""
    words = [tags] if isinstance(tags, str) else list(tags)
    found: set[str] = set()
    for word in words:
        if not isinstance(word, str):
            raise ValueError(f"a tag must be text, not {type(word).__name__}")
        good, bad = parse_tags(word)
        if bad:
            raise ValueError(
                f"tag {bad[0]!r} is not allowed: use letters, digits, '-' and '_' only"
            )
        found.update(good)
    return tuple(sorted(found))


def split_tags(text: str | None) -> tuple[str, ...]:
    """The tags of a ``tags`` text (as ``Triage.tags_text`` wrote it)."""
    return tuple(t for t in (text or "").split(TAG_SEPARATOR) if t)


class TagMatch:
    """The filter value of ``tag``: equal to each of the alert's tags and to its state.

    ``tag == "followup"`` is true when the alert has that tag or that triage
    state, ``tag != "x"`` when it has not; ``tag in ("a", "b")`` when any
    matches. ``UNSCANNED`` is a label, not a state: no alert's ``tag`` equals it
    (``triage == "unscanned"`` asks that). Order comparisons are a TypeError, which
    the filter reads as false (as the column evaluator does).
    """

    __slots__ = ("words",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, state: str | None = None, tags: Iterable[str] = ()) -> None:
        self.words = frozenset(tags) | ({state} if state else set())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other in self.words

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __bool__(self) -> bool:
        return bool(self.words)

    def __repr__(self) -> str:
        return f"TagMatch({sorted(self.words)})"


def triage_fields(
    state: str | None = None, tags_text: str | None = "", note: str | None = ""
) -> dict[str, Any]:
    """A row's triage under the names the filter language gives it (``TRIAGE_NAMES``)."""
    return {
        "triage": state or UNSCANNED,
        "tag": TagMatch(state, split_tags(tags_text)),
        "tags": tags_text or "",
        "note": note or "",
    }
