"""Grab the scanning views from a real X display, for the README.

    xvfb-run -a -s "-screen 0 1500x900x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/grab_scanning.py --view alerts docs/scan-alerts.png
    ... --view objects-ztf | objects-rubin [--dark] [--size 1920x1080] OUT.png

The session holds the real samples AlertView ships, Fink's ZTF alerts (with
its classifier fields) and, for one ZTF and one Rubin object, the earlier
alerts their packets' histories imply (``core/history_alerts``: measured
values are the real packets'; the stamps are the newest alert's). A few
alerts are triaged with the real keys on the table before the grab.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import fastavro
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from alertview.core.history_alerts import earlier_alerts
from alertview.core.session.store import AlertStore
from alertview.gui.app import make_application
from alertview.gui.main_window import MainWindow
from alertview.gui.theme import apply_color_scheme
from alertview.resources import samples_dir

HERE = Path(__file__).parent
FINK_ZTF = HERE.parent / "tests" / "data" / "alerts" / "fink" / "ztf-transfer"
#: ZTF19acihgng's real alert (the newest of its object).
ZTF_ALERT = 1060135832015015002
OBJECTS = {
    "objects-ztf": (samples_dir() / "ztf" / "ZTF19acihgng.avro", "ZTF19acihgng"),
    "objects-rubin": (samples_dir() / "rubin" / "fink-lsst-2026-03-06.avro", "170028513894596704"),
}


def write_histories(folder: Path, count: int = 8) -> None:
    """The earlier alerts of each object in ``OBJECTS``, one container file each."""
    for path, object_id in OBJECTS.values():
        with path.open("rb") as stream:
            reader = fastavro.reader(stream)
            records = list(reader)
            schema = reader.writer_schema
        record = next(r for r in records if object_id in str(r.get("objectId") or r["diaSource"]))
        for n, alert in enumerate(earlier_alerts(record, count)):
            with (folder / f"{object_id}-{n}.avro").open("wb") as out:
                fastavro.writer(out, schema, [alert])


def triage_some(window: MainWindow) -> None:
    """Real keys on the table: a few alerts marked, then on to the next unscanned."""
    window.activateWindow()  # no window manager gives it the focus under Xvfb
    QTest.qWaitForWindowActive(window, 3000)
    window.table.setFocus()
    for row, key in ((0, Qt.Key.Key_I), (2, Qt.Key.Key_F), (3, Qt.Key.Key_R), (5, Qt.Key.Key_F)):
        window.select_row(row)
        QTest.keyClick(window.table, key)
    window.store.add_tags(window.selected_rows(), ["spectrum"])
    window.store.set_note(window.selected_rows(), "rising in g and r; ask for a spectrum")
    window.triage.load_stored()
    QTest.keyClick(window.table, Qt.Key.Key_Space)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--view", choices=["alerts", *OBJECTS], default="alerts")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--size", default="1500x900")
    parser.add_argument("out")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    app = make_application()
    if args.dark:  # what a dark system scheme gives (Xvfb has no system scheme to follow)
        apply_color_scheme(app, Qt.ColorScheme.Dark)
    with tempfile.TemporaryDirectory() as folder:
        histories = Path(folder) / "histories"
        histories.mkdir()
        write_histories(histories)
        window = MainWindow(AlertStore(Path(folder) / "grab"))
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        window.open_paths([samples_dir(), FINK_ZTF, histories]).wait_done(120)
        app.processEvents()
        triage_some(window)
        if args.view == "alerts":
            window.filter_edit.setText('triage != "reject"')
            window.apply_filter()
            (row,) = window.model.rows_of_alert(ZTF_ALERT)
            window.select_row(row)
        else:
            _, object_id = OBJECTS[args.view]
            window.left_tabs.setCurrentIndex(1)
            objects = window.objects
            app.processEvents()
            ids = [objects.model.index(r, 0).data() for r in range(objects.model.rowCount())]
            objects.table.selectRow(ids.index(object_id))

        def grab() -> None:
            app.primaryScreen().grabWindow(0).copy(0, 0, width, height).save(args.out)
            window.close()
            app.quit()

        QTimer.singleShot(4000, grab)
        app.exec()
        window.store.close()


if __name__ == "__main__":
    main()
