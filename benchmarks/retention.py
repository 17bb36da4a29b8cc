"""Bounded sessions: a million real alerts into a session with a small packet cap.

    python benchmarks/retention.py [--alerts 1000000] [--cap 2GB] [--rubin-every 10]
        [--report-every 10] [--folder DIR] [--csv FILE] [--plot FILE]

The real packets bundled in tests/data (ZTF: one container file per message;
Rubin: Confluent wire format), cycled with new alert ids as
``bench_common.unique_messages`` does (the id's varint replaced in place), are
decoded to the table's fields (``Detail.TABLE``, as the live stream decodes
them) and written through the stream's own write path: a writer thread
storing batches of 500 with ``AlertStore.add_rows(sync=False)`` and calling
``sync()`` every 0.5 s (or when it has nothing waiting), after which the
session's retention drops its oldest segments. No broker: one would have to
hold the ~80 GB of messages; what is measured is the session.

Every ``--report-every`` seconds one line on stderr and a CSV row: alerts
stored, packets on disk (against the cap), the session folder (index
included), the process's RSS, the ingest rate. Writes the CSV
(benchmarks/results/retention.csv), a three-panel plot (docs/retention.png,
pyqtgraph offscreen) and a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench_common import ID_STEP, _varint, machine, rss_bytes, rubin_alerts, ztf_alerts

from alertview.core.alert import Alert, Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.replay import MessageFramer
from alertview.core.session.retention import RetentionPolicy
from alertview.core.session.store import AlertStore, DiskFull
from alertview.core.surveys import SURVEY_FIELDS

HERE = Path(__file__).resolve().parent
BATCH = 500  # the stream's batch_size
SYNC_EVERY = 0.5  # the stream writer's
GB = 1024**3


def messages(count: int, rubin_every: int) -> Iterator[tuple[bytes | None, bytes]]:
    """``count`` messages, one in ``rubin_every`` a Rubin one, each with an alert id of
    its own. Unlike ``unique_messages`` no id is remembered: the process's memory is
    the session's, not the generator's."""
    cache = SchemaCache()
    surveys = [("ztf", ztf_alerts(), "native"), ("lsst", rubin_alerts(), "confluent")]
    bases = []
    for _, alerts, framing in surveys:
        unique = list({a.alert_id: a for a in alerts}.values())
        framer = MessageFramer(framing, cache)
        bases.append([(a.alert_id, *framer(a)) for a in unique])
    counts = [0, 0]
    for number in range(count):
        which = 1 if rubin_every and number % rubin_every == rubin_every - 1 else 0
        base = bases[which]
        alert_id, key, value = base[counts[which] % len(base)]
        shift = counts[which] // len(base)
        counts[which] += 1
        if shift:
            old, new = _varint(alert_id), _varint(alert_id + shift * ID_STEP)
            if len(old) != len(new) or old not in value:
                raise SystemExit(f"cannot renumber alert {alert_id} in place")
            value = value.replace(old, new)
        yield key, value


def folder_bytes(folder: Path) -> tuple[int, int]:
    """(packet segments, everything) in the session folder, as the disk has them."""
    packets = total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                size = entry.stat().st_size
            except FileNotFoundError:  # dropped meanwhile
                continue
            total += size
            if entry.name.startswith("packets-"):
                packets += size
    return packets, total


class Writer(threading.Thread):
    """The stream's writer (``stream.ingest._Writer``) without the viewer: store each
    batch unsynced, sync every 0.5 s or when idle."""

    def __init__(self, store: AlertStore) -> None:
        super().__init__(name="writer", daemon=True)
        self.store = store
        self.inbox: queue.Queue[list[Alert] | None] = queue.Queue(maxsize=2)
        self.stored = 0
        self.syncs = 0
        self.disk_full_waits = 0
        self.peak_packets = 0  # packets on disk just before a sync: the cap's worst case
        self.failure: BaseException | None = None

    def run(self) -> None:
        last_sync = time.monotonic()
        pending = False
        try:
            while True:
                try:
                    batch = self.inbox.get(timeout=SYNC_EVERY)
                except queue.Empty:
                    batch = []
                if batch is None:
                    break
                while batch:
                    try:
                        self.stored += len(self.store.add_rows(batch, sync=False))
                        pending = True
                        break
                    except DiskFull as exc:  # a stream holds its offsets and waits
                        print(f"  {exc}", file=sys.stderr)
                        self.disk_full_waits += 1
                        time.sleep(1)
                now = time.monotonic()
                if pending and (self.inbox.empty() or now - last_sync >= SYNC_EVERY):
                    self.peak_packets = max(self.peak_packets, folder_bytes(self.store.folder)[0])
                    self.store.sync()
                    self.syncs += 1
                    pending, last_sync = False, now
            if pending:
                self.store.sync()
        except BaseException as exc:
            self.failure = exc


def run(args: argparse.Namespace, folder: Path) -> tuple[list[dict], dict]:
    cap = RetentionPolicy.parse(args.cap)
    store = AlertStore(folder, retention=cap)
    writer = Writer(store)
    writer.start()
    samples: list[dict] = []
    start = time.perf_counter()
    done = threading.Event()

    def sample() -> None:
        packets, total = folder_bytes(folder)
        now = time.perf_counter() - start
        stored = writer.stored
        previous = samples[-1] if samples else {"t_s": 0.0, "alerts": 0}
        span = now - previous["t_s"]
        entry = {
            "t_s": round(now, 1),
            "alerts": stored,
            "packets_gb": round(packets / GB, 3),
            "folder_gb": round(total / GB, 3),
            "cap_gb": round((cap.max_bytes or 0) / GB, 3),
            "rss_mb": round(rss_bytes() / 1024**2, 1),
            "rate_per_s": round((stored - previous["alerts"]) / span) if span > 0 else 0,
            "packets_dropped": store.packets_dropped(),
        }
        samples.append(entry)
        print(
            f"{entry['t_s']:7.1f} s  {stored:>9,} alerts  packets {entry['packets_gb']:.2f}"
            f" GB (cap {entry['cap_gb']:.1f})  folder {entry['folder_gb']:.2f} GB"
            f"  RSS {entry['rss_mb']:.0f} MB  {entry['rate_per_s']:>6,}/s",
            file=sys.stderr,
        )

    def reporter() -> None:
        while not done.wait(args.report_every):
            sample()

    watcher = threading.Thread(target=reporter, daemon=True)
    watcher.start()
    cache = SchemaCache(fields=SURVEY_FIELDS)  # the stream's: it learns schemas from messages
    batch: list[Alert] = []
    written = 0
    for number, (key, value) in enumerate(messages(args.alerts, args.rubin_every)):
        origin = Origin("bench", 0, "bench", 0, number)
        batch += decode_bytes(value, cache, origin=origin, key=key, detail=Detail.TABLE)
        written += len(value)
        if len(batch) >= BATCH:
            writer.inbox.put(batch)
            batch = []
        if writer.failure is not None:
            raise writer.failure
    if batch:
        writer.inbox.put(batch)
    writer.inbox.put(None)
    writer.join()
    done.set()
    watcher.join()
    if writer.failure is not None:
        raise writer.failure
    sample()
    elapsed = time.perf_counter() - start
    summary = {
        "alerts": writer.stored,
        "rows_in_index": len(store),
        "packets_dropped": store.packets_dropped(),
        "message_bytes_gb": round(written / GB, 1),
        "cap": str(cap),
        "segment_mb": cap.segment_bytes() // 1024**2,
        "seconds": round(elapsed, 1),
        "mean_rate_per_s": round(writer.stored / elapsed),
        "packets_peak_before_sync_gb": round(writer.peak_packets / GB, 3),
        "packets_max_sampled_gb": max(s["packets_gb"] for s in samples),
        "folder_end_gb": samples[-1]["folder_gb"],
        "rss_mb_first": samples[0]["rss_mb"],
        "rss_mb_max": max(s["rss_mb"] for s in samples),
        "rss_mb_end": samples[-1]["rss_mb"],
        "syncs": writer.syncs,
        "disk_full_waits": writer.disk_full_waits,
    }
    store.close()
    return samples, summary


def write_csv(samples: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as out:
        table = csv.DictWriter(out, fieldnames=list(samples[0]))
        table.writeheader()
        table.writerows(samples)


def plot(samples: list[dict], summary: dict, path: Path) -> None:
    """Three panels over time: disk use against the cap, RSS, ingest rate."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    import pyqtgraph.exporters

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    app = pg.mkQApp()
    view = pg.GraphicsLayoutWidget()
    view.resize(900, 800)
    t = [s["t_s"] / 60 for s in samples]
    title = (
        f"{summary['alerts']:,} real ZTF/Rubin alerts into a session capped at "
        f"{summary['cap']} ({summary['message_bytes_gb']:.1f} GB of packets written)"
    )
    view.addLabel(title, row=0, col=0)
    disk = view.addPlot(row=1, col=0, title="disk use (GB)")
    memory = view.addPlot(row=2, col=0, title="RSS of the process (MB)")
    rate = view.addPlot(row=3, col=0, title="ingest rate (alerts/s)")
    for panel in (disk, memory, rate):
        for axis in ("bottom", "left"):
            panel.getAxis(axis).enableAutoSIPrefix(False)
        panel.getAxis("left").setWidth(60)
    disk.addLegend(offset=(10, 10))
    disk.plot(t, [s["packets_gb"] for s in samples], pen=pg.mkPen("b", width=2), name="packets")
    disk.plot(t, [s["folder_gb"] for s in samples], pen=pg.mkPen("g", width=2), name="folder")
    disk.plot(
        t,
        [s["cap_gb"] for s in samples],
        pen=pg.mkPen("r", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
        name="cap",
    )
    disk.setYRange(0, max(s["folder_gb"] for s in samples) * 1.15)
    memory.plot(t, [s["rss_mb"] for s in samples], pen=pg.mkPen("m", width=2))
    memory.setYRange(0, max(s["rss_mb"] for s in samples) * 1.2)
    rate.plot(t, [s["rate_per_s"] for s in samples], pen=pg.mkPen("k", width=2))
    rate.setYRange(0, max(s["rate_per_s"] for s in samples) * 1.2)
    for panel in (disk, memory, rate):
        panel.setLabel("bottom", "minutes")
        panel.showGrid(x=True, y=True, alpha=0.3)
    view.show()  # laid out at its size (offscreen)
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    pyqtgraph.exporters.ImageExporter(view.scene()).export(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--cap", default="2GB", help="the session's retention policy")
    parser.add_argument("--rubin-every", type=int, default=10, help="0: ZTF only")
    parser.add_argument("--report-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--folder", help="where the session goes (default: a temporary one)")
    parser.add_argument("--csv", default=str(HERE / "results" / "retention.csv"))
    parser.add_argument("--plot", default=str(HERE.parent / "docs" / "retention.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        samples, summary = run(args, Path(folder) / "session")
    write_csv(samples, Path(args.csv))
    plot(samples, summary, Path(args.plot))
    print(
        json.dumps(
            {
                "machine": machine(),
                "path": "decode (Detail.TABLE) -> AlertStore.add_rows(sync=False) in "
                "batches of 500 -> sync() every 0.5 s; no broker (it would hold every message)",
                **summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
