"""The whole packet as a tree of fields, its search, and the links to look the alert up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertview.controllers.views import DetailsView
from alertview.core.alert import Alert
from alertview.core.decode import whole_record
from alertview.core.links import alert_links
from alertview.core.wording import counted

#: (field name, value as shown, children or None): one row of the tree.
Entry = tuple[str, str, Any]


def shown(value: Any) -> str:
    """A leaf value as the tree shows it; a list or mapping as its summary."""
    if isinstance(value, list):
        return counted(len(value), "item")
    if isinstance(value, Mapping):
        return ""
    if isinstance(value, bytes):
        return f"<{counted(len(value), 'byte')}>"
    if isinstance(value, float):
        return repr(value)
    return "null" if value is None else str(value)


def entries(value: Any) -> list[Entry]:
    """The rows under ``value``; a row's children are its non-empty list or mapping."""
    if isinstance(value, Mapping):
        items = [(str(key), inner) for key, inner in value.items()]
    elif isinstance(value, list):
        items = [(f"[{index}]", inner) for index, inner in enumerate(value)]
    else:
        return []
    return [
        (name, shown(inner), inner if isinstance(inner, Mapping | list) and inner else None)
        for name, inner in items
    ]


class DetailsController:
    """Every field of the packet (Fink's additions too); a search that shows the rows
    matching it and the rows above them."""

    def __init__(self, view: DetailsView) -> None:
        self.view = view
        self.alert: Alert | None = None
        self.search = ""
        self._top: list[Entry] | None = None  # decoded when first asked for

    def show_alert(self, alert: Alert) -> None:
        self.alert = alert
        self._top = None
        self.view.show_links(alert_links(alert))
        self.view.show_record()

    def top_entries(self) -> list[Entry]:
        """The tree's first level; decodes the whole packet (once per alert)."""
        if self._top is None:
            self._top = []
            if self.alert is not None:
                try:
                    record = whole_record(self.alert)  # the viewer decoded the light curve's
                except Exception as exc:  # it decoded once: say so rather than fail
                    record = self.alert.record
                    self._top.append(("(partly shown)", f"cannot decode the rest: {exc}", None))
                self._top += entries(record)
        return self._top

    def set_search(self, text: str) -> None:
        """Show the rows whose name or value holds ``text`` (any case), and their parents."""
        self.search = text
        self.view.show_matches(self.matches())

    def matches(self) -> set[tuple[int, ...]] | None:
        """Index paths of the rows the search shows; None: no search, every row."""
        needle = self.search.strip().lower()
        if not needle:
            return None
        found: set[tuple[int, ...]] = set()
        _visit(self.top_entries(), (), needle, found)
        return found

    def visible_fields(self) -> list[str]:
        """Top-level field names on show."""
        shown = self.matches()
        return [
            name
            for index, (name, _, _) in enumerate(self.top_entries())
            if shown is None or (index,) in shown
        ]


def _visit(rows: list[Entry], path: tuple[int, ...], needle: str, found: set) -> bool:
    """Add the paths of the rows matching ``needle`` or above one; True if any."""
    any_found = False
    for index, (name, text, children) in enumerate(rows):
        here = (*path, index)
        below = children is not None and _visit(entries(children), here, needle, found)
        if below or needle in name.lower() or needle in text.lower():
            found.add(here)
            any_found = True
    return any_found
