"""File → Export selection: choose a format and a place, export with a cancellable progress."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QWidget

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError
from alertview.core.export import export_alerts
from alertview.core.export_triage import TriageByAlert
from alertview.core.wording import counted

#: File-dialog filter -> export format. "with units": units, descriptions and the time
#: scale go into the file (``core.export_units``); a CSV stays plain for every reader.
CHOICES = {
    "Avro packets (*.avro)": "avro",
    "ECSV table, with units (*.ecsv)": "ecsv",
    "CSV table (*.csv)": "csv",
    "VOTable, with units (*.xml)": "votable",
    "FITS table, with units (*.fits)": "fits",
    "Light curves, CSV (*.csv)": "lightcurve-csv",
    "Cutouts as FITS and PNG (folder)": "cutouts",
}


#: A typed file name's extension -> the format it asks for (what the user typed wins over
#: the type list's choice: "x.csv" with "Avro packets" still chosen means a CSV).
BY_EXTENSION = {
    ".avro": "avro",
    ".ecsv": "ecsv",
    ".csv": "csv",
    ".xml": "votable",
    ".vot": "votable",
    ".fits": "fits",
}
#: The extension added to a name typed without one.
EXTENSION = {"avro": ".avro", "ecsv": ".ecsv", "csv": ".csv", "votable": ".xml",
             "fits": ".fits", "lightcurve-csv": ".csv"}  # fmt: skip


def export_target(path: str, chosen: str) -> tuple[str, Path]:
    """The format and destination for the dialog's answer: the typed extension's format
    when it names one (light curves stay light curves in a .csv), else the chosen type's,
    its extension added to a name without one."""
    fmt, dest = CHOICES.get(chosen, "avro"), Path(path)
    if fmt == "cutouts":
        return fmt, dest
    typed = BY_EXTENSION.get(dest.suffix.lower())
    if typed is None:
        return fmt, dest.with_name(dest.name + EXTENSION[fmt])
    if fmt == "lightcurve-csv" and typed == "csv":
        return fmt, dest
    return typed, dest


#: Where the last export went (QSettings): the next one starts there.
FOLDER_KEY = "export/folder"


def start_path(name: str = "alerts") -> str:
    """The save dialog's first answer: ``name`` in the folder of the last export (the
    working folder the first time)."""
    folder = QSettings().value(FOLDER_KEY, "", type=str)
    return str(Path(folder) / name) if folder and Path(folder).is_dir() else name


def unasked_overwrite(typed: str, dest: Path) -> bool:
    """Whether ``dest`` would replace a file the save dialog did not ask about: the
    dialog asked for the name typed, and an extension added to it names another file."""
    return dest != Path(typed) and dest.exists()


def written_message(count: int, written: Sequence[Path]) -> str:
    """What the status bar says: the files themselves, not the name typed."""
    alerts = counted(count, "alert")
    if len(written) == 1:
        return f"exported {alerts} to {written[0]}"
    names = ", ".join(p.name for p in written[:4]) + (", …" if len(written) > 4 else "")
    return f"exported {alerts} to {len(written)} files in {written[0].parent}: {names}"


def run_export(
    parent: QWidget,
    rows: Sequence[int],
    load: Callable[[int], Alert],
    fmt: str,
    dest: Path,
    triage: TriageByAlert | None = None,
) -> list[Path]:
    """Export the alerts of ``rows`` with a progress dialog that can cancel; ``triage``
    (the session's, by survey and alert id) goes into the export as columns or sidecars."""
    label = f"Exporting {counted(len(rows), 'alert')}…"
    progress = QProgressDialog(label, "Cancel", 0, len(rows), parent)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    cancel = threading.Event()
    progress.canceled.connect(cancel.set)

    def advance(done: int) -> None:
        progress.setValue(done)
        QApplication.processEvents()

    try:
        return export_alerts((load(r) for r in rows), fmt, dest, advance, cancel, triage=triage)
    finally:
        progress.reset()
        progress.deleteLater()


def ask_and_export(
    parent: QWidget,
    rows: Sequence[int],
    load: Callable[[int], Alert],
    triage: Callable[[], TriageByAlert] | None = None,
) -> None:
    """Ask for a format and a place; ``triage`` reads the session's triage of ``rows``."""
    if not rows:
        QMessageBox.information(parent, "Export", "Select the alerts to export first.")
        return
    path, chosen = QFileDialog.getSaveFileName(
        parent, f"Export {counted(len(rows), 'alert')}", start_path(), ";;".join(CHOICES)
    )
    if not path:
        return
    fmt, dest = export_target(path, chosen)
    if unasked_overwrite(path, dest):
        answer = QMessageBox.question(
            parent, "Export", f"{dest.name} already exists in {dest.parent}. Replace it?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
    try:
        decided = triage() if triage is not None else None
        written = run_export(parent, rows, load, fmt, dest, decided)
    except (AlertViewError, sqlite3.Error) as exc:
        QMessageBox.warning(parent, "Export", str(exc))
        return
    if written:
        QSettings().setValue(FOLDER_KEY, str(dest.parent))
        parent.statusBar().showMessage(written_message(len(rows), written), 8000)
