"""Opening files and sessions in the viewer: GUI timer lateness, alerts/s; prints JSON.

    python benchmarks/open_archive.py [--alerts 100000] [--session-rows 1000000]
        [--compare-alerts 20000] [--cache DIR] [--repeat 1] [--no-save]

Builds (once, cached under ``--cache``, default ``~/.cache/alertview-bench``) a
``ztf_public_YYYYMMDD.tar.gz``-like archive: one Avro container file per alert,
as ZTF publishes them, cycling over the real ZTF packets in ``tests/data/alerts``
with new alert ids (``bench_common.unique_messages``: the id's varint replaced in
place). 10^5 alerts are ~4.6 GB: the free space is checked first.

Then, in a fresh process (Qt offscreen, settings of its own), the main window
opens the archive through ``MainWindow.open_paths`` and a 10 ms QTimer on the
GUI thread records how late each tick fires (``gui_timer_delay_ms``, and by
phase: ``reading`` until every row is in the table, ``counting`` while the
history counts are completed) from the open until the import has finished.
Also: alerts/s while rows arrive, seconds until every row is in the table
(``rows_s``), until the history counts are complete (``total_s``), and the
largest number of rows appended at once.

``reopen``: a session of ``--session-rows`` alerts (``scale.make_session``: the
real packets stored, the index copied with new ids) opened in a fresh viewer:
the first chunk's time (synchronous, in the window's constructor), the time
until every row is in the table, and the timer's lateness meanwhile.

``thread_or_process``: a ``--compare-alerts`` archive opened with the reader in
the import's thread, then in a child process (what the viewer does for inputs
over ``file_import.IN_PROCESS_BYTES``): why the viewer reads in a process.

Results go to ``results/open_archive.json``.

Target (issue 13 §4): timer delay p99 <= 50 ms throughout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_common import (
    HERE,
    ID_STEP,
    machine,
    percentile,
    report,
    report_part,
    run_child,
    spread,
    unique_messages,
    ztf_alerts,
)

RESULTS = HERE / "results" / "open_archive.json"
#: A packet is ~63 KB; the archive barely compresses (the stamps are gzipped already).
BYTES_PER_ALERT = 66_000


def build_archive(path: Path, count: int) -> None:
    """``count`` ZTF alerts as a nightly tar.gz, one container file per member."""
    alerts = ztf_alerts()
    unique = list({a.alert_id: a for a in alerts}.values())
    need = count * BYTES_PER_ALERT * 1.2
    free = shutil.disk_usage(path.parent).free
    if free < need:
        raise SystemExit(f"{path.parent}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed")
    partial = path.with_name(path.name + ".part")
    night = path.name.split(".")[0]
    with tarfile.open(partial, "w:gz", compresslevel=1) as archive:
        for number, (_, value) in enumerate(unique_messages(alerts, count, "native")):
            base = unique[number % len(unique)]
            alert_id = base.alert_id + (number // len(unique)) * ID_STEP
            member = tarfile.TarInfo(f"{night}/{alert_id}.avro")
            member.size = len(value)
            member.mtime = 1_524_700_000
            archive.addfile(member, _Reader(value))
    partial.rename(path)


class _Reader:
    """The bytes of one member, as tarfile reads them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


def archive_for(count: int, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"ztf_public_20180426-{count}.tar.gz"
    if not path.exists():
        started = time.perf_counter()
        build_archive(path, count)
        print(f"built {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def _stats(values: list[float]) -> dict:
    return {
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values, default=0.0), 1),
        "ticks": len(values),
    }


class _Lateness:
    """A 10 ms precise QTimer on the GUI thread: how much later than due each tick fired."""

    def __init__(self, on_tick=None) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.values: list[float] = []
        self.on_tick = on_tick
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start(10)
        self.clock.start()

    def _tick(self) -> None:
        elapsed = self.clock.nsecsElapsed() / 1e6
        self.clock.restart()
        self.values.append(max(0.0, elapsed - 10.0))
        if self.on_tick is not None:
            self.on_tick(self.values[-1])


def gui_child(archive: str, expected: int, reader: str = "auto") -> None:
    """The viewer in this process, offscreen, opening ``archive`` until it is read
    (``reader`` "thread" or "process": that reader whatever the archive's size)."""
    from PySide6.QtCore import QTimer

    from alertview.core.session.store import AlertStore
    from alertview.gui import file_import
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    if reader != "auto":  # the size that decides, set so that ``reader`` is chosen
        file_import.IN_PROCESS_BYTES = 2**62 if reader == "thread" else 0
    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        store = AlertStore(Path(folder) / "session")
        window = MainWindow(store)
        window.show()
        app.processEvents()
        reading: list[float] = []  # until every row is in the table
        counting: list[float] = []  # then, while the history counts are completed
        arrivals: list[tuple[float, int]] = []
        appended: list[int] = []
        window.model.rowsInserted.connect(
            lambda _p, first, last: appended.append(last - first + 1)
        )
        done: dict[str, float] = {}

        def tick(late: float) -> None:
            (reading if "rows" not in done else counting).append(late)
            rows = window.model.total
            if not arrivals or arrivals[-1][1] != rows:
                arrivals.append((time.perf_counter(), rows))
            if rows >= expected and "rows" not in done:
                done["rows"] = time.perf_counter()

        def finished() -> None:
            done["all"] = time.perf_counter()
            app.quit()

        window.import_finished.connect(finished)
        probe = _Lateness(tick)
        QTimer.singleShot(3_600_000, app.quit)
        started = time.perf_counter()
        probe.start()
        job = window.open_paths([archive])
        app.exec()
        probe.timer.stop()
        rows = window.model.total
        errors = window.session.error_count
        window.close()
        store.close()
    first = next((t for t, n in arrivals if n > 0), started)
    last = next((t for t, n in arrivals if n >= rows), arrivals[-1][0])
    result = {
        "rows": rows,
        "errors": errors,
        "in_process": job.in_process,
        "alerts_per_s": round(rows / (last - first), 1) if last > first else None,
        "first_rows_s": round(first - started, 2),
        "rows_s": round(done.get("rows", last) - started, 1),
        "total_s": round(done.get("all", time.perf_counter()) - started, 1),
        "largest_append": max(appended, default=0),
        "timer_delay_ms": _stats(probe.values),
        "timer_delay_ms_by_phase": {"reading": _stats(reading), "counting": _stats(counting)},
    }
    print(json.dumps(result))


def reopen_child(folder: str) -> None:
    """The viewer in this process, offscreen, reopening the session in ``folder``."""
    from PySide6.QtCore import QTimer

    from alertview.core.session.store import AlertStore
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    app = make_application()
    store = AlertStore(folder)
    probe = _Lateness()
    probe.start()
    QTimer.singleShot(600_000, app.quit)
    started = time.perf_counter()
    window = MainWindow(store)  # the first chunk at once, then one per turn of the loop
    first_chunk = time.perf_counter() - started
    window.rows_loaded.connect(app.quit)
    window.show()
    app.exec()
    loaded = time.perf_counter() - started
    probe.timer.stop()
    rows = window.model.total
    window.close()
    store.close()
    print(
        json.dumps(
            {
                "rows": rows,
                "first_chunk_s": round(first_chunk, 3),
                "load_s": round(loaded, 2),
                "timer_delay_ms": _stats(probe.values),
            }
        )
    )


def reopen(rows: int) -> dict:
    """A session of ``rows`` alerts (``scale.make_session``: real packets, the index
    copied with new ids), reopened in a fresh viewer."""
    from scale import make_session

    with tempfile.TemporaryDirectory() as folder:
        session = Path(folder) / "session"
        total = make_session(session, rows)
        result = run_child(__file__, "reopen", str(session), timeout=1200)
    return {"rows": total, **result}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        if sys.argv[2] == "reopen":
            reopen_child(sys.argv[3])
        else:
            gui_child(*sys.argv[2:3], int(sys.argv[3]), *sys.argv[4:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000, help="alerts in the archive")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "alertview-bench")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--session-rows",
        type=int,
        default=1_000_000,
        help="rows of the reopened session (0: skip)",
    )
    parser.add_argument(
        "--compare-alerts",
        type=int,
        default=20_000,
        help="also open one this size with the reader in a thread, then a process (0: skip)",
    )
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args()
    result: dict = {"machine": machine()}
    if args.alerts:
        archive = archive_for(args.alerts, args.cache)
        runs = [
            run_child(__file__, str(archive), str(args.alerts), timeout=3600)
            for _ in range(args.repeat)
        ]
        entry = {
            "alerts": args.alerts,
            "archive_mb": round(archive.stat().st_size / 1e6, 1),
            "rows": runs[-1]["rows"],
            "errors": runs[-1]["errors"],
            "in_process": runs[-1]["in_process"],
            "alerts_per_s": spread([r["alerts_per_s"] for r in runs]),
            "rows_s": spread([r["rows_s"] for r in runs]),
            "total_s": spread([r["total_s"] for r in runs]),
            "first_rows_s": spread([r["first_rows_s"] for r in runs], 2),
            "largest_append": max(r["largest_append"] for r in runs),
            "gui_timer_delay_ms": {
                key: spread([r["timer_delay_ms"][key] for r in runs])
                for key in ("p50", "p99", "max")
            },
            "gui_timer_delay_ms_by_phase": runs[-1]["timer_delay_ms_by_phase"],
            "ticks": runs[-1]["timer_delay_ms"]["ticks"],
        }
        report_part(result, "archive", entry)
    if args.session_rows:
        report_part(result, "reopen", reopen(args.session_rows))
    if args.compare_alerts:
        archive = archive_for(args.compare_alerts, args.cache)
        compared = {"alerts": args.compare_alerts}
        for reader in ("thread", "process"):
            run = run_child(__file__, str(archive), str(args.compare_alerts), reader)
            compared[reader] = {
                key: run[key] for key in ("alerts_per_s", "rows_s", "total_s", "timer_delay_ms")
            } | {"by_phase": run["timer_delay_ms_by_phase"]}
        report_part(result, "thread_or_process", compared)
    result["target_p99_ms"] = 50
    report(result)
    if not args.no_save:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
