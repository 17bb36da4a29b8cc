"""Start the desktop viewer, or render one alert offscreen."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alertview.core.session.folder import Session
    from alertview.core.stream.consumer import ConsumerSettings


def offer_image_exports_only() -> None:
    """A plot's Export... offers image files only: pyqtgraph's CSV and Matplotlib
    exporters read PlotDataItems, which no plot here has (they wrote empty files), and
    its SVG exporter fails on the light curve. Tables go out with File → Export."""
    from pyqtgraph.exporters import Exporter, ImageExporter

    Exporter.Exporters[:] = [e for e in Exporter.Exporters if e is ImageExporter]


def make_application():
    """The QApplication, named so QSettings and the desktop know AlertView."""
    from PySide6.QtWidgets import QApplication

    # decoding a Rubin packet allocates ~10^5 objects: with Python's default
    # thresholds the collector runs dozens of times per selection (measured: cold
    # selection p95 94 -> 80 ms with these)
    gc.set_threshold(100_000, 50, 1000)
    # Qt hands fills and image blits taller than ~96 lines to its GUI thread pool (a
    # quarter of the cores; one thread on two) and waits for them: on two cores the
    # cutouts' repaint took 1.7 ms that way, 1.0 ms painted by the GUI thread itself
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("AlertView")
    app.setOrganizationName("AlertView")
    app.setApplicationDisplayName("AlertView")
    # the name of packaging/alertview.desktop: Wayland and X match the window to its entry
    app.setDesktopFileName("alertview")
    if app.windowIcon().isNull():
        app.setWindowIcon(app_icon())
    import pyqtgraph as pg

    from alertview.gui.theme import follow_system_scheme

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    offer_image_exports_only()
    if not hasattr(app, "_alertview_gc"):
        # Python's cyclic collector runs in whichever thread allocates when a threshold
        # is crossed: in a reader thread it destroyed a closed window's widgets off the
        # GUI thread and deadlocked Qt's object mutex against the GIL (seen in the
        # tests: file import thread in ~QWidget, GUI thread in ~QAction). Collect in
        # the GUI thread only, on a timer (pyqtgraph's GarbageCollector).
        from pyqtgraph.util.garbage_collector import GarbageCollector

        app._alertview_gc = GarbageCollector(interval=0.5)
    if not getattr(app, "_alertview_theme", False):
        follow_system_scheme(app)
        app._alertview_theme = True
    return app


def app_icon():
    """AlertView's icon at every size shipped, from the PNGs (no SVG plugin needed, in a
    bundle either); a build without them has Qt's default icon, not an error."""
    from PySide6.QtGui import QIcon

    from alertview.resources import icons_dir

    icon = QIcon()
    for png in sorted((icons_dir() / "hicolor").glob("*/apps/alertview.png")):
        icon.addFile(str(png))
    return icon


def choose_session(
    paths: Sequence[str | os.PathLike], name: str | None = None, temporary: bool = False
) -> tuple[Session, list[str | os.PathLike]]:
    """The session the viewer opens, and the paths still to read into it.

    ``--no-store``: a temporary session. ``--session NAME|DIR``: that session
    (a new one if no session has that name). A session folder given as a path:
    that session. Files: the session named after them (the same files reopen
    the same session; alerts already there are kept once). Nothing: an
    untitled session, removed at exit if nothing went into it.
    """
    from alertview.core.session.folder import Session, is_session
    from alertview.core.session.listing import SessionError, is_path_like, resolve_session
    from alertview.core.session.meta import files_session_name

    if temporary:
        return Session.temporary(), list(paths)
    if name:
        try:
            return Session.at(resolve_session(name)), list(paths)
        except SessionError:
            if is_path_like(name):
                raise
            print(f"alertview: new session {name!r}", file=sys.stderr)
            return Session.named(name), list(paths)
    if len(paths) == 1 and is_session(Path(paths[0])):
        return Session.at(Path(paths[0])), []
    if paths:
        return Session.named(files_session_name(paths)), list(paths)
    return Session.untitled(), []


def run_viewer(
    paths: Sequence[str | os.PathLike] = (),
    session: str | None = None,
    temporary: bool = False,
    keep_packets: str | None = None,
    stream: ConsumerSettings | None = None,
    registry: str | None = None,
) -> int:
    """Open the main window on a named session (see ``choose_session``), reading ``paths``
    and ``stream`` (its schema ``registry`` asked for Confluent frames' ids)."""
    app = make_application()
    from alertview.gui.exception_hook import ExceptionHook
    from alertview.gui.interrupt import closing_on_signals
    from alertview.gui.session_windows import open_window

    # Ctrl-C, SIGTERM or a hangup close the windows in order (one before the event loop
    # runs: as soon as it does)
    with closing_on_signals(app):
        opened, paths = choose_session(paths, session, temporary)
        window = open_window(opened, show=False)
        # a bug from here on shows in a dialog (and the log), not only on a terminal
        with ExceptionHook(window):
            window.show()
            if keep_packets is not None:
                window.set_keep_packets(keep_packets)
            if paths:  # read off the GUI thread; the first alert shown once they are in
                job = window.open_paths(paths)
                job.done.connect(lambda _added: window.model.rowCount() and window.select_row(0))
            if registry:
                window.cache.use_registry(registry)
            if stream is not None:
                window.connect_stream(stream)
            return app.exec()


def render_alert(path: str | os.PathLike, index: int, out: Path, size=(1200, 850)) -> Path:
    """Draw the inspection view of one alert to a PNG, with no screen needed: a figure,
    without the view's tabs and controls, and no Qt messages on the terminal."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from alertview.gui.qt_messages import route_qt_messages

    route_qt_messages()
    app = make_application()
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import read_alerts
    from alertview.core.errors import DecodeError, UsageError
    from alertview.core.wording import counted
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
        held = counted(len(alerts), "alert")
        raise UsageError(f"{path} holds {held}; --index {index} is past the end")
    view = InspectionView()
    view.resize(*size)
    view.show_alert(alerts[index])
    view.hide_controls()
    view.show()
    app.processEvents()
    # pyqtgraph widens an axis for its tick labels only once it has painted them: paint
    # once, let the layout follow, then grab (else wide flux labels run into the title)
    for _ in range(3):
        view.grab()
        app.processEvents()
    image = view.grab()
    view.close()
    view.deleteLater()
    app.processEvents()
    if not image.save(str(out)):
        raise UsageError(f"cannot write {out}")
    return out
