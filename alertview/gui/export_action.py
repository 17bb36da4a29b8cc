"""File → Export selection: choose a format and a place, export with a cancellable progress."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QWidget

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError
from alertview.core.export import export_alerts
from alertview.core.export_triage import TriageByAlert

#: File-dialog filter -> export format.
CHOICES = {
    "Avro packets (*.avro)": "avro",
    "ECSV table (*.ecsv)": "ecsv",
    "CSV table (*.csv)": "csv",
    "VOTable (*.xml)": "votable",
    "FITS table (*.fits)": "fits",
    "Light curves, CSV (*.csv)": "lightcurve-csv",
    "Cutouts as FITS and PNG (folder)": "cutouts",
}


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
    progress = QProgressDialog(f"Exporting {len(rows)} alerts…", "Cancel", 0, len(rows), parent)
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
        parent, f"Export {len(rows)} alerts", "alerts", ";;".join(CHOICES)
    )
    if not path:
        return
    try:
        decided = triage() if triage is not None else None
        written = run_export(parent, rows, load, CHOICES[chosen], Path(path), decided)
    except (AlertViewError, sqlite3.Error) as exc:
        QMessageBox.warning(parent, "Export", str(exc))
        return
    if written:
        parent.statusBar().showMessage(f"exported {len(rows)} alerts to {path}", 8000)
