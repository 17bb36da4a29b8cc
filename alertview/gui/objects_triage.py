"""Triage keys in the Objects tab: I / F / R / 0 (or Backspace) mark every alert of the
chosen object, N writes a note on them, T edits their tags, as Shift with the key does
on the alert table (``ObjectTriage`` decides; the Shift keys work here too). The
Triage column follows any triage (these keys or the alert table's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog

from alertview.controllers.objects_triage import CHOOSE_FIRST, ObjectTriage
from alertview.core.wording import counted
from alertview.gui.triage_actions import (
    MARKS,
    NOTE_KEY,
    TAGS_KEY,
    TagsDialog,
    note_dialog,
    open_triage_dialog,
)

if TYPE_CHECKING:
    from alertview.gui.objects_view import ObjectsView


def install_objects_triage(window, view: ObjectsView) -> ObjectTriage:
    """The keys on the objects table (its focus only), and the Triage column's updates
    when the alert table's model redraws triaged rows."""
    triage = ObjectTriage(view.controller, lambda: getattr(window, "triage", None))
    view.triage = triage
    table = view.table

    def add(keys: tuple[str, ...], slot: Callable[[], object]) -> None:
        action = QAction(view)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _checked=False: chosen_only(slot))
        table.addAction(action)

    def chosen_only(slot: Callable[[], object]) -> None:
        # the table's current row without a selection (focus given, a filter that
        # dropped the chosen object) is no object the user chose
        if table.selectionModel().hasSelection():
            slot()
        else:
            window.statusBar().showMessage(CHOOSE_FIRST, 8000)

    for _text, state, keys in MARKS:
        both = keys + tuple(f"Shift+{k}" for k in keys if k != "0")
        add(both, lambda s=state: triage.mark(s))
    add((NOTE_KEY, f"Shift+{NOTE_KEY}"), lambda: ask_object_note(window, view))
    add((TAGS_KEY, f"Shift+{TAGS_KEY}"), lambda: ask_object_tags(window, view))

    def redrawn(_top, _bottom, roles=()) -> None:
        # the model's fields_changed (a triage) redraws with no roles; others name theirs
        if roles:
            return
        if window.left_tabs.currentWidget() is view:
            view.controller.refresh_triage()
        else:
            view._rebuilds.dirty = True  # counted when the tab is shown

    window.model.dataChanged.connect(redrawn)
    return triage


def _what(view: ObjectsView) -> str:
    count = len(view.triage.positions())
    name = view.controller.chosen[0] if view.controller.chosen else ""
    return f"{counted(count, 'alert')} of {name}"


def ask_object_note(window, view: ObjectsView) -> QInputDialog | None:
    """A note on every alert of the chosen object (window-modal)."""
    if not len(view.triage.positions()):
        window.statusBar().showMessage(CHOOSE_FIRST, 8000)
        return None
    dialog = note_dialog(window, f"Note on the {_what(view)} (empty: none)")
    dialog.setTextValue(view.triage.current_note())
    dialog.textValueSelected.connect(view.triage.set_note)
    open_triage_dialog(window, dialog, view.table)
    return dialog


def ask_object_tags(window, view: ObjectsView) -> TagsDialog | None:
    """The tags every alert of the chosen object has, to edit on all of them."""
    if not len(view.triage.positions()):
        window.statusBar().showMessage(CHOOSE_FIRST, 8000)
        return None
    start = view.triage.common_tags()
    known = window.triage.known_tags()
    dialog = TagsDialog(window, start, known, f"the {_what(view)}")
    dialog.accepted.connect(lambda: view.triage.edit_tags(dialog.edit.text(), start))
    open_triage_dialog(window, dialog, view.table)
    return dialog
