"""Scale: memory, sort and filter with 10^5 and 10^6 alerts in a session; prints JSON.

    python benchmarks/scale.py [--sizes 100000 1000000] [--repeat 3]

For each size, a session is made from the real shared alerts, stored the
normal way, then copied in the index with new alert ids (and object ids, one
object per three alerts), times shifted by 0.0001 d per copy and magnitudes
jittered by up to 0.5 so that sorting is not sorting ties. The copies point
at the real packets on disk (selecting one shows a real alert); only the
index grows, so a million alerts need no 60 GB of packets here.

A fresh process then opens the viewer (Qt offscreen) on the session:

- ``rss``: resident memory of the empty window, then with every alert loaded
  in the table; ``bytes_per_alert`` is the difference over the alert count;
- ``load_s``: reading the session's rows into the table;
- ``sort_s``: a header click to sort by a column, until the view has redrawn;
- ``filter_s``: a filter typed in the filter bar, until the view has redrawn.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench_common import SHARED, machine, report, report_part, rss_bytes, run_child, spread

#: Copies of a real alert get ids this far apart (as the ingest benchmark's do).
ID_STEP = 10_000_000
SORTS = ("MJD", "Mag", "Object")
FILTERS = (
    'band == "r" and mag < 19',
    "n_history_detections >= 2 and abs(dec) < 30",
    'survey == "lsst" or (rb > 0.9 and flux / flux_err > 5)',
)


def make_session(folder: Path, size: int) -> int:
    """The real alerts stored, then copied in the index up to ``size`` rows."""
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import read_alerts
    from alertview.core.session.store import AlertStore

    with AlertStore(folder) as store:
        store.add(a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception))
        base = len(store)
    copies = -(-size // base) - 1
    db = sqlite3.connect(folder / "index.sqlite")
    columns = [r[1] for r in db.execute("PRAGMA table_info(alerts)")]
    changed = {
        "row": "NULL",
        "alert_id": f"alert_id + k.n * {ID_STEP}",
        "object_id": "object_id || '-' || (k.n / 3)",
        "mjd": "mjd + k.n * 0.0001",
        "mag": "mag + ((k.n * 7919 + row) % 1000) / 1000.0 - 0.5",
    }
    select = ", ".join(changed.get(c, c) for c in columns)
    with db:
        db.execute(
            f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?) "
            f"INSERT INTO alerts SELECT {select} FROM alerts, k WHERE row <= ? "
            f"ORDER BY k.n, row LIMIT ?",
            (copies, base, size - base),
        )
    total = db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    db.close()
    return total


def child(folder: str, repeat: int) -> None:
    """Open the viewer on the session; print what it cost."""
    from PySide6.QtWidgets import QApplication

    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.session.store import AlertStore
    from alertview.core.surveys import SURVEY_FIELDS
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow
    from alertview.gui.table_model import COLUMNS

    app = make_application()
    store = AlertStore(folder)
    window = MainWindow(store, SchemaCache(fields=SURVEY_FIELDS))
    window.resize(1500, 900)
    window.show()
    app.processEvents()
    gc.collect()
    empty = rss_bytes()
    started = time.perf_counter()
    window.refresh_rows()
    app.processEvents()
    load = time.perf_counter() - started
    gc.collect()
    loaded = rss_bytes()
    count = window.model.total

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        window.table.viewport().repaint()
        QApplication.processEvents()
        return time.perf_counter() - start

    header = [c.header for c in COLUMNS]
    sorts = {}
    for name in SORTS:
        number = header.index(name)
        sorts[name] = [
            timed(lambda n=number, r=r: window.table.sortByColumn(n, _order(r)))
            for r in range(repeat)
        ]
    window.table.sortByColumn(header.index("MJD"), _order(0))
    filters = {}
    for expression in FILTERS:

        def apply(text=expression) -> None:
            window.filter_edit.setText(text)
            window.apply_filter()

        runs = []
        for _ in range(repeat):
            runs.append(timed(apply))
            shown = window.model.rowCount()
            window.filter_edit.setText("")  # cleared between runs (itself not timed)
            window.apply_filter()
        filters[expression] = {"seconds": runs, "rows_shown": shown}
    window.close()
    store.close()
    print(
        json.dumps(
            {
                "alerts": count,
                "rss_empty_mb": round(empty / 2**20, 1),
                "rss_loaded_mb": round(loaded / 2**20, 1),
                "bytes_per_alert": round((loaded - empty) / count),
                "columns_bytes_per_alert": round(window.model.columns.nbytes / count),
                "load_s": round(load, 2),
                "sort_s": sorts,
                "filter_s": filters,
            }
        )
    )


def _order(run: int):
    from PySide6.QtCore import Qt

    return Qt.SortOrder.AscendingOrder if run % 2 == 0 else Qt.SortOrder.DescendingOrder


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result: dict = {"machine": machine()}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "session"
            started = time.perf_counter()
            total = make_session(folder, size)
            made = time.perf_counter() - started
            entry = run_child(__file__, str(folder), str(args.repeat), timeout=1800)
        entry["session_made_s"] = round(made, 1)
        entry["sort_s"] = {k: spread(v, 3) for k, v in entry["sort_s"].items()}
        entry["filter_s"] = {
            k: {"seconds": spread(v["seconds"], 3), "rows_shown": v["rows_shown"]}
            for k, v in entry["filter_s"].items()
        }
        assert entry["alerts"] == total
        report_part(result, str(size), entry)
    report(result)


if __name__ == "__main__":
    main()
