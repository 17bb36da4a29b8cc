"""Inspect: time from selecting a row to its light curve and three cutouts drawn; JSON.

    python benchmarks/inspect_latency.py [--selections 60] [--repeat 3]
        [--fink-python .bench-venv/bin/python]

The real shared alerts are stored as a live stream leaves them (ZTF: one
container file per packet; Rubin: Confluent frames), shown in the viewer
(Qt offscreen, 1500x900 window), and selected one after another, cycling
through different alerts. A selection is timed from ``select_row`` to the
moment the light curve and the cutout panels have been painted (the decode
runs off the GUI thread; the event loop then runs as in the viewer). Three ways of
moving, 150 ms spent looking at each alert: ``jump`` selects any row but
the next one, with the alerts the viewer keeps decoded forgotten first (a
cold selection; the stamps' display limits were fitted as the rows arrived,
as the viewer does, and the timing starts once that is done),
``jump_no_limits_ahead`` the same with those limits forgotten too (every
stamp fitted on selection), ``next`` goes down row by row (the viewer
decodes the following row while the current one is looked at). A selection
is drawn at the end of the window's paint pass (Qt paints and flushes the
window's changed widgets in one pass) that painted both views. The
``_settled`` times run on until the views and the table stop repainting: a
selection that relayouts the pane or resizes an axis while painting is
painted again, later, and a jump that scrolls the table repaints its rows a
pass after the alert.

Baseline, same alerts: fink-client's alert viewer (``fink_alert_viewer``)
drawing the three cutouts and the light curve with matplotlib (Agg), timed
from the packet file to both figures drawn, warm (after one untimed draw).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench_common import (
    machine,
    percentile,
    report,
    report_part,
    rubin_alerts,
    run_child,
    spread,
    unique_messages,
    ztf_alerts,
)

#: Seconds spent looking at each alert before the next selection.
DWELL = 0.15

FINK_SCRIPT = textwrap.dedent(
    """
    import sys, time, json
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from fink_client.scripts import fink_alert_viewer

    def draw_all():
        for number in plt.get_fignums():
            plt.figure(number).canvas.draw()

    plt.show = draw_all
    survey, paths = sys.argv[1], sys.argv[2:]
    times = []
    for n, path in enumerate([paths[0]] + paths):
        sys.argv = ["fink_alert_viewer", "-f", path, "-survey", survey]
        start = time.perf_counter()
        fink_alert_viewer.main()
        if n:  # the first draw warms matplotlib up
            times.append((time.perf_counter() - start) * 1000)
        plt.close("all")
    print(json.dumps(times))
    """
)


def same_alerts(survey: str):
    """The distinct real alerts both viewers can draw (fink-client's cannot read the
    2017 prototype's JPEG stamps, so that one is left out of both)."""
    alerts = ztf_alerts() if survey == "ztf" else rubin_alerts()
    unique = {a.alert_id: a for a in alerts if a.schema_label != "ztf prototype"}
    return list(unique.values())


def viewer_child(survey: str, selections: int) -> None:
    """Store the alerts, show them, select them in turn; print the latencies (ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    from alertview.core.alert import Origin
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import decode_bytes
    from alertview.core.session.store import AlertStore
    from alertview.core.stamp_limits import LIMITS
    from alertview.core.surveys import SURVEY_FIELDS
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    app = make_application()
    alerts = same_alerts(survey)
    cache = SchemaCache()
    messages = list(unique_messages(alerts, len({a.alert_id for a in alerts}), "native"))
    with tempfile.TemporaryDirectory() as folder:
        store = AlertStore(Path(folder) / "session")
        window = timed_window(MainWindow)(store, SchemaCache(fields=SURVEY_FIELDS))
        window.resize(1500, 900)
        window.show()
        # the alerts arrive after the window opened, as a stream's do (the rows of a
        # session reopened with them stored have no limits fitted ahead)
        for number, (key, value) in enumerate(messages):
            origin = Origin("bench", 0, "bench", 0, number)
            store.add(decode_bytes(value, cache, origin=origin, key=key))
        window.refresh_rows()
        app.processEvents()
        rows = window.model.rowCount()
        ahead = time.perf_counter() + 60
        while window.loader.ahead.fitted < rows and time.perf_counter() < ahead:
            app.processEvents()  # the limits of the rows are fitted as they arrived
            time.sleep(0.01)
        if window.loader.ahead.fitted < rows:
            raise SystemExit(f"limits fitted ahead for {window.loader.ahead.fitted} of {rows}")
        picker = random.Random(7)
        modes = ("jump", "jump_no_limits_ahead", "next")
        names = (*modes, *(f"{m}_settled" for m in modes))
        latencies: dict[str, list[float]] = {name: [] for name in names}
        painted = PaintCounter(
            window,
            window.inspection.lightcurve.plot.viewport(),
            window.inspection.cutouts.view.viewport(),
            window.table.viewport(),
        )
        current = 0
        for mode in modes:
            for number in range(selections + 2):
                if mode == "next":
                    target = (current + 1) % rows
                else:  # anywhere but here and the row after, nothing kept from before
                    others = [r for r in range(rows) if r not in (current, current + 1)]
                    target = picker.choice(others)
                    window.loader.clear()
                    if mode == "jump_no_limits_ahead":
                        LIMITS.clear()
                loop = QEventLoop()
                shown: list = []
                window.alert_shown.connect(shown.append)
                window.alert_shown.connect(loop.quit)
                QTimer.singleShot(10_000, loop.quit)
                start = time.perf_counter()
                window.select_row(target)
                if not shown:  # a row decoded ahead is shown within select_row
                    loop.exec()
                drawn, settled = paints_after(app, painted, start)
                window.alert_shown.disconnect(loop.quit)
                window.alert_shown.disconnect(shown.append)
                if not shown:
                    raise SystemExit(f"row {target} was not shown within 10 s")
                wrapped = mode == "next" and target == 0  # from the last row: not a next
                if number >= 2 and not wrapped:  # the first two warm up caches and pyqtgraph
                    latencies[mode].append((drawn - start) * 1000)
                    latencies[f"{mode}_settled"].append((settled - start) * 1000)
                current = target
                dwell = time.perf_counter() + DWELL
                while time.perf_counter() < dwell:  # the astronomer looks at it
                    app.processEvents()
                    time.sleep(0.005)
        window.close()
        store.close()
    print(json.dumps(latencies))


def timed_window(window_class):
    """``window_class`` noting when each of its paint passes ends (``passes``): Qt paints
    the window's changed widgets and flushes them to the screen in one pass, the
    top-level widget's UpdateRequest event."""
    from PySide6.QtCore import QEvent

    class TimedWindow(window_class):
        def __init__(self, *args) -> None:
            self.passes: list[float] = []
            super().__init__(*args)

        def event(self, event) -> bool:
            handled = super().event(event)
            if event.type() == QEvent.Type.UpdateRequest:
                self.passes.append(time.perf_counter())
            return handled

    return TimedWindow


class PaintCounter:
    """When each of the given widgets was painted (``times``); the first two are the
    views the selection is drawn in, the rest repaint after it (the table)."""

    def __init__(self, window, *widgets) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.window = window
        times = self.times = [[] for _ in widgets]

        class Filter(QObject):
            def eventFilter(self, watched, event) -> bool:
                if event.type() == QEvent.Type.Paint:
                    times[widgets.index(watched)].append(time.perf_counter())
                return False

        self.filter = Filter()
        for widget in widgets:
            widget.installEventFilter(self.filter)

    def drawn(self, start: float) -> float | None:
        """The end of the paint pass that painted the views after ``start`` (None: not
        yet)."""
        firsts = [next((t for t in times if t >= start), None) for times in self.times[:2]]
        if None in firsts:
            return None
        painted = max(firsts)
        return next((t for t in self.window.passes if t >= painted), None)

    def last(self) -> float:
        return max((times[-1] for times in self.times if times), default=0.0)


def paints_after(app, painted: PaintCounter, start: float) -> tuple[float, float]:
    """The alert was handed to the views: run the event loop as the viewer does, pass
    after pass; when the views had been painted (drawn), and when they and the table
    stopped repainting (settled: a relayout, an axis resized while painting, a scrolled
    table paints again; settled once no pass paints for 30 ms)."""
    quiet_until = time.perf_counter() + 10  # waiting for the first paints: at most 10 s
    drawn = painted.drawn(start)
    if drawn is not None:
        quiet_until = time.perf_counter() + 0.03
    while time.perf_counter() < quiet_until:
        last = painted.last()
        app.processEvents()
        if drawn is None:
            drawn = painted.drawn(start)
            if drawn is not None:
                quiet_until = time.perf_counter() + 0.03
        elif painted.last() != last:
            quiet_until = time.perf_counter() + 0.03
    if drawn is None:
        raise SystemExit("the light curve and the cutouts were not painted within 10 s")
    settled = next((t for t in painted.window.passes if t >= painted.last()), drawn)
    return drawn, max(settled, drawn)


def run_viewer(survey: str, selections: int) -> dict[str, list[float]]:
    return run_child(__file__, survey, str(selections), timeout=600)


def run_fink(python: str, survey: str) -> list[float]:
    """fink-client's viewer on single-alert files in Fink's own format."""
    from alertview.core.avro.encode import container_file

    unique = same_alerts(survey)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, alert in enumerate(unique):
            path = Path(folder) / f"{number}.avro"
            path.write_bytes(container_file([dict(alert.record)], alert.packet.schema))
            paths.append(str(path))
        result = subprocess.run(
            [python, "-c", FINK_SCRIPT, survey, *paths],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if result.returncode:
        raise SystemExit(f"fink-client viewer failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(runs: list[list[float]]) -> dict:
    """Median and spread over runs of each run's p50 and p95."""
    return {
        "p50": spread([percentile(r, 50) for r in runs]),
        "p95": spread([percentile(r, 95) for r in runs]),
        "selections_per_run": len(runs[0]),
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        viewer_child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selections", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fink-python", help="python of an environment with fink-client")
    args = parser.parse_args()
    result: dict = {"machine": machine(), "unit": "ms"}
    for survey in ("ztf", "lsst"):
        runs = [run_viewer(survey, args.selections) for _ in range(args.repeat)]
        entry = {
            "alertview_jump_to_any_row_ms": summary([r["jump"] for r in runs]),
            "alertview_jump_no_limits_ahead_ms": summary(
                [r["jump_no_limits_ahead"] for r in runs]
            ),
            "alertview_next_row_ms": summary([r["next"] for r in runs]),
            "alertview_jump_settled_ms": summary([r["jump_settled"] for r in runs]),
            "alertview_next_row_settled_ms": summary([r["next_settled"] for r in runs]),
        }
        if args.fink_python:
            entry["fink_client_matplotlib_ms"] = summary(
                [run_fink(args.fink_python, survey) for _ in range(args.repeat)]
            )
        report_part(result, survey, entry)
    report(result)


if __name__ == "__main__":
    main()
