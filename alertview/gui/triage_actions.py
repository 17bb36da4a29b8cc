"""The Triage menu and keys on the alert table, the note and tags dialogs, and the
scanned / left counter in the status bar. ``TriageController`` decides; this
module holds the widgets (``install_triage`` puts them on a main window).

The keys act only while the table has the focus: typing "r" in the filter box
must not reject an alert.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.triage import TriageController
from alertview.core.wording import counted

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow

#: (menu text, state, keys): the states set by a key; Shift with it: the whole object.
MARKS = (
    ("&Interesting", "interesting", ("I",)),
    ("&Follow-up", "followup", ("F",)),
    ("&Reject", "reject", ("R",)),
    ("&Clear", None, ("0", "Backspace")),
)
NOTE_KEY, TAGS_KEY, NEXT_KEYS = "N", "T", ("Space", "J")
#: The counter waits this long after rows or the filter change (a stream adds rows often).
COUNTER_DELAY_MS = 200


class TriageWidgets:
    """The ``TriageView`` of a main window: its table, status bar and counter."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.table = window.table
        self.counter = QLabel()
        self.counter.setContentsMargins(12, 0, 4, 0)  # apart from the alert count
        self.counter.setToolTip("alerts shown that are triaged / not yet (Space: next unscanned)")

    def selected_table_rows(self) -> list[int]:
        return self.table.selected_table_rows().tolist()  # from the ranges: Ctrl+A is cheap

    def current_table_row(self) -> int:
        current = self.table.currentIndex()
        return current.row() if current.isValid() else -1

    def go_to_row(self, row: int) -> None:
        self.table.select_row(row)  # in sight at once, or once its alert is drawn

    def show_counter(self, text: str) -> None:
        self.counter.setText(text)

    def show_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)


class TagCompleter(QCompleter):
    """Completes the word being typed among the session's tags, not the whole line."""

    def splitPath(self, path: str) -> list[str]:
        return [path.replace(",", " ").split(" ")[-1]]

    def pathFromIndex(self, index: QModelIndex) -> str:
        typed = self.widget().text() if self.widget() is not None else ""
        cut = max(typed.rfind(" "), typed.rfind(",")) + 1
        return typed[:cut] + str(index.data())


class TagsDialog(QDialog):
    """The tags of the selected alerts as one line, completed from the tags in use."""

    def __init__(self, parent: QWidget, tags: list[str], known: list[str], what: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tags")
        self.edit = QLineEdit(", ".join(tags))
        self.edit.setPlaceholderText("e.g. sn-candidate, bright")
        self.edit.setMinimumWidth(360)
        completer = TagCompleter(known, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.edit.setCompleter(completer)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Tags of {what} (letters, digits, _ and -; commas between)"))
        layout.addWidget(self.edit)
        layout.addWidget(buttons)


def install_triage(window: MainWindow) -> TriageController:
    """The Triage menu, its keys on the table, the counter; the session's triage loaded."""
    view = TriageWidgets(window)
    controller = TriageController(view, window.store, window.model)
    window.triage = controller
    window.statusBar().addPermanentWidget(view.counter)
    menu = window.menuBar().addMenu("T&riage")
    table = window.table

    def add(text: str, keys: tuple[str, ...], slot: Callable[[], object]) -> QAction:
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the table's focus only
        action.triggered.connect(lambda _checked=False: slot())
        table.addAction(action)
        menu.addAction(action)
        return action

    for whole in (False, True):
        if whole:
            menu.addSection("The whole object of each selected alert")
        shift = (lambda k: f"Shift+{k}") if whole else (lambda k: k)
        for text, state, keys in MARKS:
            keys = tuple(shift(k) for k in keys if not whole or k != "0")
            add(text, keys, lambda s=state, w=whole: controller.mark(s, w))
        add("&Note…", (shift(NOTE_KEY),), lambda w=whole: ask_note(window, w))
        add("&Tags…", (shift(TAGS_KEY),), lambda w=whole: ask_tags(window, w))
    menu.addSeparator()
    add("Next &unscanned", NEXT_KEYS, controller.next_unscanned)

    timer = QTimer(window, singleShot=True, interval=COUNTER_DELAY_MS)
    timer.timeout.connect(controller.update_counter)
    model = window.model
    for signal in (model.rowsInserted, model.layoutChanged, model.modelReset):
        # at most once per delay: restarted by each batch, it would wait for the stream's end
        signal.connect(lambda *_: timer.isActive() or timer.start())
    window.rows_loaded.connect(controller.load_stored)
    controller.load_stored()  # the rows already in the table (a small session loads at once)
    return controller


def _what(controller: TriageController, whole_object: bool) -> str:
    count = len(controller.target_positions(whole_object))
    alerts = counted(count, "alert")
    return f"{alerts} (whole objects)" if whole_object else alerts


def ask_note(window: MainWindow, whole_object: bool = False) -> QInputDialog | None:
    """The note of the selected alerts, in a small window-modal dialog."""
    controller = window.triage
    if not controller.view.selected_table_rows():
        controller.view.show_message("select the alerts to write a note on first")
        return None
    dialog = note_dialog(window, f"Note on {_what(controller, whole_object)} (empty: none)")
    dialog.setTextValue(controller.current_note())
    dialog.textValueSelected.connect(lambda text: controller.set_note(text, whole_object))
    open_triage_dialog(window, dialog, window.table)
    return dialog


def ask_tags(window: MainWindow, whole_object: bool = False) -> TagsDialog | None:
    """The tags of the selected alerts: those they all have, to edit."""
    controller = window.triage
    if not controller.view.selected_table_rows():
        controller.view.show_message("select the alerts to tag first")
        return None
    start = controller.common_tags()
    dialog = TagsDialog(window, start, controller.known_tags(), _what(controller, whole_object))
    dialog.accepted.connect(lambda: controller.edit_tags(dialog.edit.text(), start, whole_object))
    open_triage_dialog(window, dialog, window.table)
    return dialog


def note_dialog(window: QWidget, label: str) -> QInputDialog:
    """The note box (multi-line, long notes wrapped), for the alert table and the
    Objects tab."""
    dialog = QInputDialog(window)
    dialog.setWindowTitle("Note")
    dialog.setLabelText(label)
    dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
    editor = dialog.findChild(QPlainTextEdit)
    if editor is not None:  # a long note wraps instead of running off to the right
        editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    return dialog


def open_triage_dialog(window: MainWindow, dialog: QDialog, back_to: QWidget) -> None:
    """Show ``dialog`` window-modal (``window.triage_dialog`` while it is open); when it
    closes, the keys go on where they were: the window active again (without a window
    manager nothing gives it back) and ``back_to`` focused."""
    window.triage_dialog = dialog
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _result: setattr(window, "triage_dialog", None))
    dialog.finished.connect(lambda _result: (window.activateWindow(), back_to.setFocus()))
    dialog.open()


__all__ = ["TagCompleter", "TagsDialog", "TriageWidgets", "ask_note", "ask_tags", "install_triage"]
