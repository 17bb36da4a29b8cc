"""Saved filters (named expressions, some of them watches) and the filter history.

Both live in the user's settings, which the GUI keeps in QSettings; here they go
through ``SettingsStore`` (two methods) so that this module and the watch
controller stay Qt-free and are tested with a dict. Each is kept as one JSON text
under its key: an INI file keeps a text as written, where lists of records would
come back in a form that depends on the settings backend.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any, Protocol

from alertview.core.table.filters import FilterError, parse_filter

log = logging.getLogger(__name__)

#: Settings keys.
SAVED_KEY = "filters/saved"
HISTORY_KEY = "filters/history"
#: Distinct applied expressions kept, newest first.
HISTORY_SIZE = 30
#: A name longer than this is cut (a menu entry, a notification's first words).
NAME_LENGTH = 60


class SettingsStore(Protocol):
    """Where the saved filters and the history persist (QSettings in the app)."""

    def value(self, key: str) -> Any: ...

    def set_value(self, key: str, value: str) -> None: ...


class DictSettings:
    """A ``SettingsStore`` in memory (tests, and a window without settings)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def value(self, key: str) -> Any:
        return self.values.get(key)

    def set_value(self, key: str, value: str) -> None:
        self.values[key] = value


@dataclass(frozen=True)
class SavedFilter:
    """A named filter expression; ``watch``: tell the user when new alerts pass it."""

    name: str
    expression: str
    watch: bool = False


class SavedFilters:
    """The user's saved filters, in the order saved, and the filter history.

    Every change is written to the settings at once. Methods refuse bad input with
    ``ValueError`` (or ``FilterError`` for an expression that does not parse) whose
    message is the one line the GUI shows.
    """

    def __init__(self, settings: SettingsStore) -> None:
        self.settings = settings
        self.filters: list[SavedFilter] = _load_filters(settings.value(SAVED_KEY))
        self.history: list[str] = _load_history(settings.value(HISTORY_KEY))

    # -- saved filters ------------------------------------------------------------------
    def names(self) -> list[str]:
        return [f.name for f in self.filters]

    def get(self, name: str) -> SavedFilter | None:
        return next((f for f in self.filters if f.name == name), None)

    def watches(self) -> list[SavedFilter]:
        return [f for f in self.filters if f.watch]

    def save(self, name: str, expression: str, watch: bool | None = None) -> SavedFilter:
        """Save ``expression`` as ``name`` (replacing one of that name, which keeps its
        watch flag unless ``watch`` is given)."""
        name = _clean_name(name)
        expression = expression.strip()
        if not expression:
            raise ValueError("nothing to save: the filter is empty")
        parse_filter(expression)  # FilterError: the reason, as the filter bar says it
        old = self.get(name)
        saved = SavedFilter(
            name, expression, bool(watch if watch is not None else old and old.watch)
        )
        if old is None:
            self.filters.append(saved)
        else:
            self.filters[self.filters.index(old)] = saved
        self._write_filters()
        return saved

    def rename(self, name: str, new_name: str) -> SavedFilter:
        old = self._existing(name)
        new_name = _clean_name(new_name)
        if new_name != name and self.get(new_name) is not None:
            raise ValueError(f"a saved filter is already called {new_name!r}")
        renamed = replace(old, name=new_name)
        self.filters[self.filters.index(old)] = renamed
        self._write_filters()
        return renamed

    def remove(self, name: str) -> None:
        self.filters.remove(self._existing(name))
        self._write_filters()

    def set_watch(self, name: str, watch: bool) -> SavedFilter:
        old = self._existing(name)
        changed = replace(old, watch=watch)
        self.filters[self.filters.index(old)] = changed
        self._write_filters()
        return changed

    def _existing(self, name: str) -> SavedFilter:
        found = self.get(name)
        if found is None:
            raise ValueError(f"no saved filter is called {name!r}")
        return found

    def _write_filters(self) -> None:
        records = [{"name": f.name, "expression": f.expression, "watch": f.watch}
                   for f in self.filters]  # fmt: skip
        self.settings.set_value(SAVED_KEY, json.dumps(records))

    # -- history ------------------------------------------------------------------------
    def remember(self, expression: str) -> None:
        """An applied expression goes first in the history (once; the oldest go)."""
        expression = expression.strip()
        if not expression or (self.history and self.history[0] == expression):
            return
        self.history = [expression, *(h for h in self.history if h != expression)]
        del self.history[HISTORY_SIZE:]
        self.settings.set_value(HISTORY_KEY, json.dumps(self.history))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())[:NAME_LENGTH]
    if not name:
        raise ValueError("a saved filter needs a name")
    return name


def _parsed(text: Any, key: str) -> list:
    """The JSON list kept under ``key``; a damaged or foreign value is logged and
    forgotten (the settings are the user's: they never stop the app)."""
    if text is None or text == "":
        return []
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else None
    except ValueError:
        value = None
    if not isinstance(value, list):
        log.warning("settings %s: not a list of saved filters, ignored", key)
        return []
    return value


#: The watch flags understood (a hand-edited file may say "true"); any other is no watch.
_FLAGS: dict[str, bool] = {"true": True, "false": False}


def _flag(value: Any) -> bool | None:
    """A watch flag read strictly: True/False, "true"/"false" (any case), 1/0; None
    for anything else (``bool("false")`` is True: a foreign text must not watch)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _FLAGS.get(value.strip().lower())
    return None


def _load_filters(text: Any) -> list[SavedFilter]:
    filters: list[SavedFilter] = []
    unreadable: list[str] = []
    for item in _parsed(text, SAVED_KEY):
        try:
            name, expression = _clean_name(str(item["name"])), str(item["expression"]).strip()
            flag = item.get("watch")
        except (TypeError, KeyError, ValueError, AttributeError):
            log.warning("settings %s: an entry without name or expression ignored", SAVED_KEY)
            continue
        watch = _flag(flag)
        if watch is None and flag is not None:
            unreadable.append(name)
        if expression and all(f.name != name for f in filters):
            filters.append(SavedFilter(name, expression, bool(watch)))
    if unreadable:  # one line for them all, not one per entry
        log.warning(
            "settings %s: watch flag not true or false, not watched: %s",
            SAVED_KEY,
            ", ".join(unreadable),
        )
    return filters


def _load_history(text: Any) -> list[str]:
    history: list[str] = []
    for item in _parsed(text, HISTORY_KEY):
        if isinstance(item, str) and item.strip() and item.strip() not in history:
            history.append(item.strip())
    return history[:HISTORY_SIZE]


def check_expression(expression: str) -> str | None:
    """Why ``expression`` cannot be a filter (one line), or None."""
    try:
        parse_filter(expression)
    except FilterError as exc:
        return str(exc)
    return None
