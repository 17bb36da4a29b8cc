"""Start the desktop viewer, or render one alert offscreen."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def make_application():
    """The QApplication, named so QSettings and the desktop know AlertView."""
    from PySide6.QtWidgets import QApplication

    # decoding a Rubin packet allocates ~10^5 objects: with Python's default
    # thresholds the collector runs dozens of times per selection (measured: cold
    # selection p95 94 -> 80 ms with these)
    gc.set_threshold(100_000, 50, 1000)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("AlertView")
    app.setOrganizationName("AlertView")
    app.setApplicationDisplayName("AlertView")
    import pyqtgraph as pg

    from alertview.gui.theme import follow_system_scheme

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    if not getattr(app, "_alertview_theme", False):
        follow_system_scheme(app)
        app._alertview_theme = True
    return app


def run_viewer(paths: Sequence[str | os.PathLike] = ()) -> int:
    """Open the main window on a temporary session holding ``paths``."""
    app = make_application()
    from alertview.core.session.store import AlertStore
    from alertview.gui.exception_hook import ExceptionHook
    from alertview.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="alertview-") as folder:
        store = AlertStore(Path(folder) / "files")
        window = MainWindow(store)
        # a bug from here on shows in a dialog (and the log), not only on a terminal
        with ExceptionHook(window):
            window.restore_settings()
            window.show()
            if paths:  # read off the GUI thread; the first alert shown once they are in
                job = window.open_paths(paths)
                job.done.connect(lambda _added: window.model.rowCount() and window.select_row(0))
            code = app.exec()
        store.close()
    return code


def render_alert(path: str | os.PathLike, index: int, out: Path, size=(1200, 850)) -> Path:
    """Draw the inspection view of one alert to a PNG, with no screen needed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_application()
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import read_alerts
    from alertview.core.errors import DecodeError, UsageError
    from alertview.gui.inspection import InspectionView

    alerts = []
    for item in read_alerts([path], SchemaCache()):
        if isinstance(item, DecodeError):
            if item.warning:  # a damaged tail: the alerts before it are drawn
                continue
            raise item
        alerts.append(item)
        if len(alerts) > index:
            break
    if len(alerts) <= index:
        raise UsageError(f"{path} holds {len(alerts)} alerts; --index {index} is past the end")
    view = InspectionView()
    view.resize(*size)
    view.show_alert(alerts[index])
    view.show()
    app.processEvents()
    image = view.grab()
    view.close()
    view.deleteLater()
    app.processEvents()
    if not image.save(str(out)):
        raise UsageError(f"cannot write {out}")
    return out
