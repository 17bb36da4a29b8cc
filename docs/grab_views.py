"""Grab the inspection views and the sky map from a real X display, for the README.

    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/grab_views.py --alert ztf|rubin|prototype \\
        [--sky N] [--dark] [--size 1920x1080] OUT.png

The session holds the real packets of ``tests/data/alerts`` and the samples
AlertView ships. ``--alert`` picks the alert shown: ZTF19acihgng (ZTF, 33
detections), a Rubin alert sent by Fink (rotated 30x30 stamps) or ZTF's 2018
prototype packet. ``--sky N`` adds N rows spread over the whole sky (the
real rows copied with new ids and positions: a survey-sized session without
decoding N packets), opens the Sky tab and draws a lasso with real mouse
events, so the table shows the alerts inside it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from alertview.core import sky
from alertview.core.session.store import AlertStore
from alertview.core.table.rows import ROW_FIELDS
from alertview.gui.app import make_application
from alertview.gui.main_window import MainWindow
from alertview.gui.theme import apply_color_scheme
from alertview.resources import samples_dir

DATA = Path(__file__).parent.parent / "tests" / "data" / "alerts"
#: The alert each ``--alert`` shows: (object id or None, alert id or None).
ALERTS = {
    "ztf": 1060135832015015002,  # ZTF19acihgng
    "prototype": 87704463155000,  # ZTF's 2018 prototype packet
    "rubin": None,  # the first Rubin alert with stamps (Fink's LSST sample)
}


def add_sky_rows(window: MainWindow, count: int, seed: int = 3) -> None:
    """``count`` rows copied from the stored ones, with new ids and positions spread
    uniformly over the sphere (no packet behind them)."""
    field = {name: i for i, name in enumerate(ROW_FIELDS)}
    rng = np.random.default_rng(seed)
    templates = window.store.rows()
    first = max(t[field["row"]] for t in templates) + 1
    ra = rng.uniform(0, 360, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, count)))
    rows = []
    for n in range(count):
        row = list(templates[n % len(templates)])
        row[field["row"]] = first + n
        row[field["alert_id"]] = 10**15 + n
        row[field["ra"]], row[field["dec"]] = float(ra[n]), float(dec[n])
        rows.append(tuple(row))
    window.model.append_rows(rows)


def lasso(window: MainWindow, row: int) -> None:
    """A real left-drag lasso over part of the map, around table row ``row``'s alert."""
    view = window.skymap
    view.set_tool("lasso")
    viewport = view.plot.viewport()
    model = window.model
    x, y = sky.project(
        np.array([model.field(row, "ra")]),
        np.array([model.field(row, "dec")]),
        view.controller.projection,
    )
    centre = view.plot.mapFromScene(view.box.mapViewToScene(QPointF(x[0], y[0])))
    width = viewport.rect().width()
    points = [
        QPoint(
            int(centre.x() + 0.12 * width * np.cos(a) * (1 + 0.25 * np.cos(3 * a))),
            int(centre.y() + 0.08 * width * np.sin(a)),
        )
        for a in np.linspace(0, 2 * np.pi, 36)
    ]
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons) -> None:
        local = QPointF(pos)
        event = QMouseEvent(
            kind, local, QPointF(viewport.mapToGlobal(pos)), button, buttons,
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(viewport, event)

    send(QMouseEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        QTest.qWait(15)
        send(QMouseEvent.Type.MouseMove, point, none, left)
    QTest.qWait(15)
    send(QMouseEvent.Type.MouseButtonRelease, points[-1], left, none)


def chosen_row(window: MainWindow, which: str) -> int:
    """The table row of the alert ``which`` names."""
    alert_id = ALERTS[which]
    if alert_id is None:
        model = window.model
        rows = [r for r in range(model.rowCount()) if model.field(r, "survey") == "lsst"]
        return rows[0]
    (row,) = window.model.rows_of_alert(alert_id)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alert", choices=list(ALERTS), default="ztf")
    parser.add_argument("--sky", type=int, default=0, help="rows spread over the sky")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--size", default="1500x900")
    parser.add_argument("out")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    app = make_application()
    if args.dark:  # what a dark system scheme gives (Xvfb has no system scheme to follow)
        apply_color_scheme(app, Qt.ColorScheme.Dark)
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(AlertStore(Path(folder) / "grab"))
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        window.open_paths([DATA, samples_dir() / "rubin"]).wait_done(120)
        app.processEvents()
        window.activateWindow()  # no window manager gives it the focus under Xvfb
        QTest.qWaitForWindowActive(window, 3000)
        if args.sky:
            alert_id = window.model.field(chosen_row(window, args.alert), "alert_id")
            add_sky_rows(window, args.sky)
            window.inspection.tabs.setCurrentWidget(window.skymap)
            QTest.qWait(1500)
            (row,) = window.model.rows_of_alert(alert_id)
            lasso(window, row)  # around the chosen alert (the copies have no packets)
            QTest.qWait(500)
            (row,) = window.model.rows_of_alert(alert_id)
            window.select_row(row)
        else:
            window.select_row(chosen_row(window, args.alert))

        def grab() -> None:
            app.primaryScreen().grabWindow(0).copy(0, 0, width, height).save(args.out)
            window.close()
            app.quit()

        QTimer.singleShot(3000, grab)
        app.exec()
        window.store.close()


if __name__ == "__main__":
    main()
