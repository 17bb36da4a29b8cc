"""The objects view at 10^6 alerts: the table of objects and one object's light curve;
prints JSON.

    python benchmarks/objects_view.py [--alerts 1000000] [--per-object 10] [--repeat 5]

- ``object_table_s``: ``object_table`` over a session's columns of ``--alerts`` rows
  (``--alerts / --per-object`` objects, their alerts spread over the session as a
  survey's nights bring them: the real shared ZTF rows copied with new object ids,
  times and magnitudes), whole and through a filter's mask (``band == "r"``);
  ``sort_s``: ordering the objects by a column (a header click).
- ``object_lightcurve_s``: in a session of as many rows, one ZTF object's 20 real
  alerts (ZTF19acihgng's, rebuilt from its history as ZTF sent them): choosing it
  in ``ObjectsController`` until its merged light curve is there (locate its rows,
  decode its 20 packets, merge, DC magnitudes) and until its 20 filmstrip triplets
  are (stamps decoded, scaled, oriented), as the objects tab does off the GUI thread.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import fastavro
import numpy as np
from bench_common import SHARED, machine, report, report_part, spread

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.core.helpers.conform

from alertview.controllers.objects import ObjectsController
from alertview.core.avro.encode import container_file
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.columns import AlertColumns
from alertview.core.table.objects import object_table
from alertview.core.table.rows import ROW_FIELDS
from tests.core.helpers import conform

FIELD = {name: i for i, name in enumerate(ROW_FIELDS)}
OBJECT = SHARED / "fink" / "ZTF19acihgng.avro"
CHUNK = 50_000


def object_alerts(folder: Path, count: int = 20) -> list[Path]:
    """ZTF19acihgng's alert and the ``count - 1`` ZTF sent before it (rebuilt from its
    history: each earlier detection as the candidate, the history before it)."""
    with OBJECT.open("rb") as stream:
        raw = next(iter(fastavro.reader(stream)))
    (alert,) = read_alerts([OBJECT], SchemaCache())
    schema = alert.packet.schema
    candidate_schema = next(f["type"] for f in schema.raw["fields"] if f["name"] == "candidate")
    detections = sorted((p for p in raw["prv_candidates"] if p["candid"]), key=lambda p: p["jd"])
    paths = [OBJECT]
    for previous in detections[-(count - 1) :]:
        record = {
            **raw,
            "candid": previous["candid"],
            "candidate": conform(previous, candidate_schema),
            "prv_candidates": [p for p in raw["prv_candidates"] if p["jd"] < previous["jd"]],
        }
        path = folder / f"{previous['candid']}.avro"
        path.write_bytes(container_file([record], schema))
        paths.append(path)
    return paths


def fill(columns: AlertColumns, templates: list[tuple], size: int, per_object: int) -> None:
    """``size`` rows copied from ``templates`` (the ZTF ones), as nights of a survey
    arrive: each night one alert of every object (so an object's ``per_object`` alerts
    are spread over the session), magnitudes jittered by up to 0.5."""
    rng = np.random.default_rng(1)
    templates = [t for t in templates if t[FIELD["survey"]] == "ztf"]
    first_row = max(t[FIELD["row"]] for t in templates) + 1
    n_objects = max(size // per_object, 1)
    for start in range(0, size, CHUNK):
        rows = []
        for n in range(start, min(start + CHUNK, size)):
            night, number = divmod(n, n_objects)
            row = list(templates[(number + night) % len(templates)])
            row[FIELD["row"]] = first_row + n
            row[FIELD["alert_id"]] = 10**15 + n
            row[FIELD["object_id"]] = f"BENCH{number:07d}"
            row[FIELD["mjd"]] = 60000.0 + night + rng.random() * 0.1
            if row[FIELD["mag"]] is not None:
                row[FIELD["mag"]] += rng.random() - 0.5
            rows.append(tuple(row))
        columns.append_rows(rows)


def time_table(columns: AlertColumns, repeat: int) -> dict:
    mask = columns.texts["band"].tail().code_mask(lambda band: band == "r")
    whole, masked, sort = [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        table = object_table(columns)
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        object_table(columns, mask)
        masked.append(time.perf_counter() - started)
        started = time.perf_counter()
        table.order("peak_mag", descending=False)
        sort.append(time.perf_counter() - started)
    return {
        "alerts": len(columns),
        "objects": len(table),
        "masked_alerts": int(mask.sum()),
        "object_table_s": spread(whole, 3),
        "object_table_masked_s": spread(masked, 3),
        "sort_s": spread(sort, 3),
    }


class Recorder:
    """An objects view that notes when the light curve and the frames arrive."""

    def __init__(self) -> None:
        self.lightcurve = threading.Event()
        self.frames = threading.Event()
        self.at: dict[str, float] = {}
        self.result = None

    def loaded(self, result) -> None:
        kind = "frames" if result.frames is not None else "lightcurve"
        self.at[kind] = time.perf_counter()
        self.result = result if kind == "lightcurve" else self.result
        (self.frames if kind == "frames" else self.lightcurve).set()

    def show_table(self, table, order) -> None: ...


def time_object(columns: AlertColumns, store: AlertStore, repeat: int) -> dict:
    view = Recorder()
    controller = ObjectsController(view, store, SchemaCache(fields=SURVEY_FIELDS))  # type: ignore[arg-type]
    controller.rebuild(columns)
    entry = controller.table.index_of("ZTF19acihgng")
    row = int(np.flatnonzero(controller.order == entry)[0])
    to_lightcurve, to_frames = [], []
    for _ in range(repeat):
        view.lightcurve.clear()
        view.frames.clear()
        started = time.perf_counter()
        controller.choose(row)
        view.frames.wait(60)
        to_lightcurve.append(view.at["lightcurve"] - started)
        to_frames.append(view.at["frames"] - started)
    merged = view.result.lightcurve
    controller.shutdown()
    return {
        "session_alerts": len(columns),
        "object_alerts": merged.n_alerts,
        "detections": len(merged.alert.detections),
        "dc_points": len(merged.dc),
        "to_lightcurve_s": spread(to_lightcurve, 3),
        "to_filmstrip_s": spread(to_frames, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--per-object", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        alerts = [
            a
            for a in read_alerts([SHARED, *object_alerts(Path(folder))[1:]], SchemaCache())
            if not isinstance(a, Exception)
        ]
        with AlertStore(Path(folder) / "session") as store:
            store.add(alerts)
            stored = store.rows()
            columns = AlertColumns()
            columns.append_rows(stored)  # the real alerts, the object's 20 among them
            fill(columns, stored, args.alerts - len(stored), args.per_object)
            report_part(result, "object_table", time_table(columns, args.repeat))
            report_part(result, "object_lightcurve", time_object(columns, store, args.repeat))
    report(result)


if __name__ == "__main__":
    main()
