"""The Sky tab at 10^6 alerts: redraw, lasso, and the GUI timer meanwhile; prints JSON.

    python benchmarks/skymap.py [--alerts 1000000] [--repeat 5] [--seconds 6]

The viewer (its own process, Qt offscreen, window 1500x900) holds ``--alerts``
rows in its alert table: the real shared ZTF and Rubin rows copied with new ids
and positions spread uniformly over the sky. With the Sky tab shown:

- ``first_projection_ms``: projecting every row (the tab's first catch-up);
  ``batch_catch_up_ms``: a live batch of 1,000 new rows projected and drawn onto the
  image.
- ``redraw_ms``: one ``draw`` (rasterise the points for the view and hand the image
  to pyqtgraph; the paint is not counted), without and with a sky selection.
- ``lasso_ms``: a 200-vertex lasso drawn over a quarter of the map, from the region
  to the table showing its rows (``select_region``: the numpy test plus the table's
  relayout); ``lasso_test_ms``: the numpy inside test alone; ``clear_ms``.
- ``gui_timer_late_ms``: how late a 10 ms timer in the GUI thread fires, idle, while
  the view pans (a step every 100 ms: the image drawn moves with the view, drawn anew
  once it rests), while a lasso is drawn and cleared every 500 ms (a whole drawing
  each), and while rows arrive (1,000 every 200 ms, as a live stream adds them: the
  map projects and draws only those onto its image every 500 ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_common import (
    SHARED,
    machine,
    percentile,
    report,
    rubin_alerts,
    run_child,
    spread,
    ztf_alerts,
)

from alertview.core.table.rows import ROW_FIELDS

FIELD = {name: i for i, name in enumerate(ROW_FIELDS)}
CHUNK = 50_000


def template_rows() -> list[tuple]:
    """The real shared alerts' table rows, from a session of their own."""
    from alertview.core.session.store import AlertStore

    with tempfile.TemporaryDirectory() as folder, AlertStore(Path(folder) / "s") as store:
        store.add(ztf_alerts(SHARED) + rubin_alerts(SHARED))
        return store.rows()


def fill(model, templates: list[tuple], count: int, first_row: int, seed: int = 1) -> None:
    """``count`` rows copied from ``templates`` with new ids and uniform sky positions."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        ra = rng.uniform(0, 360, size)
        dec = np.degrees(np.arcsin(rng.uniform(-1, 1, size)))
        rows = []
        for n in range(size):
            row = list(templates[(start + n) % len(templates)])
            row[FIELD["row"]] = first_row + start + n
            row[FIELD["alert_id"]] = 10**15 + first_row + start + n
            row[FIELD["ra"]], row[FIELD["dec"]] = float(ra[n]), float(dec[n])
            rows.append(tuple(row))
        model.append_rows(rows)


def lasso(centre: tuple[float, float], radius: float, vertices: int = 200):
    """A wobbly closed loop: a lasso as a hand draws it."""
    from alertview.controllers.skymap import Region

    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    reach = radius * (1 + 0.15 * np.sin(7 * angle))
    xs = centre[0] + 1.6 * reach * np.cos(angle)
    ys = centre[1] + reach * np.sin(angle)
    return Region("lasso", tuple(xs), tuple(ys))


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


def _timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def gui_child(alerts: int, repeat: int, seconds: float) -> None:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    from alertview.controllers.skymap import SkyMapController
    from alertview.core import sky
    from alertview.core.session.store import AlertStore
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    app = make_application()
    templates = template_rows()
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        store = AlertStore(Path(folder) / "session")
        window = MainWindow(store)
        window.show()
        started = time.perf_counter()
        fill(window.model, templates, alerts, 1)
        result["fill_table_s"] = round(time.perf_counter() - started, 1)
        view = window.skymap
        window.inspection.tabs.setCurrentWidget(view)
        app.processEvents()
        view._draw_lines()  # astropy's lines, once per process
        view.catch_up()
        fresh = SkyMapController()
        result["first_projection_ms"] = round(
            _timed(lambda: fresh.update(window.model.columns), 1)[0], 1
        )
        result["alerts"] = len(view.controller)
        result["view_pixels"] = [int(view.box.size().width()), int(view.box.size().height())]
        result["redraw_ms"] = spread(_timed(view.draw, repeat), 1)
        region = lasso((0.0, 0.0), 0.6)
        x, y, px, py = view.controller.x, view.controller.y, np.array(region.x), region.y
        result["lasso_test_ms"] = spread(
            _timed(lambda: sky.inside_polygon(x, y, px, np.array(py)), repeat), 1
        )
        result["lasso_ms"] = spread(_timed(lambda: view.select_region(region), repeat), 1)
        result["lasso_selected"] = view.controller.selected_count
        result["table_rows_shown"] = window.model.rowCount()
        result["redraw_with_selection_ms"] = spread(_timed(view.draw, repeat), 1)
        result["clear_ms"] = spread(_timed(view.clear_selection, 1), 1)
        batch_start = alerts + 1
        batch = []

        def add_batch() -> None:
            fill(window.model, templates, 1000, batch_start + 1000 * len(batch), len(batch) + 2)
            batch.append(1)

        projected = []
        for _ in range(repeat):
            add_batch()
            view._draw_timer.stop()  # no whole drawing pending: the batch is drawn onto it
            projected += _timed(view.catch_up, 1)
        result["batch_catch_up_ms"] = spread(projected, 2)

        lateness: dict[str, list[float]] = {"idle": [], "panning": [], "lasso": [], "stream": []}
        phases = iter([*lateness, ""])
        phase = {"name": next(phases), "since": time.monotonic()}
        clock = QElapsedTimer()
        step = {"n": 0}

        def tick() -> None:
            elapsed = clock.nsecsElapsed() / 1e6
            clock.restart()
            if phase["name"]:
                lateness[phase["name"]].append(max(0.0, elapsed - 10.0))
            if time.monotonic() - phase["since"] > seconds:
                phase.update(name=next(phases), since=time.monotonic())
                if not phase["name"]:
                    app.quit()

        def act() -> None:
            step["n"] += 1
            if phase["name"] == "panning":
                (x0, x1), (y0, y1) = view.box.viewRange()
                shift = 0.05 * (1 if step["n"] % 20 < 10 else -1)
                view.box.setRange(xRange=(x0 + shift, x1 + shift), yRange=(y0, y1), padding=0)
            elif phase["name"] == "lasso" and step["n"] % 5 == 0:
                if view.controller.selected is None:
                    view.select_region(lasso((0.5 * (step["n"] % 3 - 1), 0.0), 0.5))
                else:
                    view.clear_selection()
            elif phase["name"] == "stream" and step["n"] % 2 == 0:
                add_batch()  # 1,000 rows every 200 ms; the map catches up every 500 ms

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        actor = QTimer()
        actor.timeout.connect(act)
        clock.start()
        timer.start(10)
        actor.start(100)
        QTimer.singleShot(int(len(lateness) * seconds * 1000) + 10_000, app.quit)
        app.exec()
        result["gui_timer_late_ms"] = {k: _stats(v) for k, v in lateness.items()}
        result["actions"] = step["n"]  # pan steps and lasso/clear turns, 10 a second
        window.close()
        store.close()
    print(json.dumps(result))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        gui_child(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6, help="length of each timer phase")
    args = parser.parse_args()
    child = run_child(__file__, str(args.alerts), str(args.repeat), str(args.seconds))
    report({"machine": machine(), **child})


if __name__ == "__main__":
    main()
