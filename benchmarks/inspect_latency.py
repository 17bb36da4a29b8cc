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
decodes the following row while the current one is looked at). The
``_settled`` times run on until the views stop repainting: a selection
that relayouts the pane or resizes an axis while painting is painted
again, later, and the user sees the final picture only then.

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
        window = MainWindow(store, SchemaCache(fields=SURVEY_FIELDS))
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
            window.inspection.lightcurve.plot.viewport(), window.inspection.cutouts.view.viewport()
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
                before = list(painted.counts)
                start = time.perf_counter()
                window.select_row(target)
                if not shown:  # a row decoded ahead is shown within select_row
                    loop.exec()
                drawn, settled = paints_after(app, painted, before)
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


class PaintCounter:
    """Counts the paint events each of the given widgets receives."""

    def __init__(self, *widgets) -> None:
        from PySide6.QtCore import QEvent, QObject

        counts = self.counts = [0] * len(widgets)

        class Filter(QObject):
            def eventFilter(self, watched, event) -> bool:
                if event.type() == QEvent.Type.Paint:
                    counts[widgets.index(watched)] += 1
                return False

        self.filter = Filter()
        for widget in widgets:
            widget.installEventFilter(self.filter)


def paints_after(app, painted: PaintCounter, before: list[int]) -> tuple[float, float]:
    """The alert was handed to the views: run the event loop as the viewer does, pass
    after pass; when every view had painted it (drawn), and when they stopped
    repainting (settled: a relayout, or an axis resized while painting, paints again;
    settled once no pass paints for 30 ms)."""
    settled = time.perf_counter()
    # a view painted within the selection already (``before``: the counts at its start)
    drawn = settled if all(n > b for n, b in zip(painted.counts, before, strict=True)) else None
    quiet_until = settled + 10  # waiting for the first paints: at most 10 s
    while time.perf_counter() < quiet_until:
        counts = list(painted.counts)
        app.processEvents()
        if painted.counts != counts:
            settled = time.perf_counter()
            quiet_until = settled + 0.03
            if drawn is None and all(n > b for n, b in zip(painted.counts, before, strict=True)):
                drawn = settled
    if drawn is None:
        raise SystemExit("the light curve and the cutouts were not painted within 10 s")
    return drawn, settled


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
