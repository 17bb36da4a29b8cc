"""What "Send selection to" costs before the hub is involved: the selected rows'
table fields as a VOTable (``core.samp.messages.selection_fields`` + ``write_votable``,
numpy BINARY2), against astropy's own VOTable writer (TABLEDATA and BINARY), and the
match of a pointed position against every alert (``core.samp.matching``).

    python benchmarks/samp_table.py [--sizes 1000,10000,100000] [--astropy-max 10000]

The real packets bundled in tests/data are stored once and their rows repeated up
to each size. Prints JSON (seconds; best of 3) and writes benchmarks/results/samp.json.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_common import HERE, SHARED, machine

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.samp.matching import nearest_alert
from alertview.core.samp.messages import selection_fields, write_votable
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns


def best(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--astropy-max", type=int, default=10000)
    args = parser.parse_args()
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    folder = Path(tempfile.mkdtemp(prefix="alertview-bench-samp-"))
    with AlertStore(folder / "session") as store:
        store.add(alerts)
        rows = store.rows()
    result: dict = {"machine": machine(), "packets": len(rows), "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        columns = AlertColumns()
        repeated = (rows * (size // len(rows) + 1))[:size]
        columns.append_rows([(i, *r[1:]) for i, r in enumerate(repeated)])
        positions = np.arange(size)
        path = folder / f"selection-{size}.xml"
        fields = selection_fields(columns, positions)
        entry = {
            "fields_s": best(lambda c=columns, p=positions: selection_fields(c, p)),
            "votable_binary2_s": best(lambda f=fields, p=path: write_votable(f, p, "t", "t")),
            "votable_mb": round(path.stat().st_size / 1e6, 2),
        }
        numbers = columns.numbers
        entry["point_at_ms"] = round(
            1000
            * best(
                lambda n=numbers: nearest_alert(
                    n["ra"].values, n["dec"].values, n["mjd"].values, 10.0, 20.0
                )
            ),
            2,
        )
        if size <= args.astropy_max:
            from astropy.table import Table

            table = Table.read(path, format="votable")  # the same columns, astropy's writer
            for fmt in ("tabledata", "binary"):
                entry[f"astropy_{fmt}_s"] = best(
                    lambda t=table, f=fmt: t.write(
                        io.BytesIO(), format="votable", tabledata_format=f
                    ),
                    repeat=1,
                )
        result["sizes"][size] = entry
    text = json.dumps(result, indent=1)
    print(text)
    (HERE / "results" / "samp.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
