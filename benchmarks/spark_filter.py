"""`alertview spark --once` on local[1] and local[2] beside `alertview consume --filter`; JSON.

    python benchmarks/spark_filter.py [--ztf 6000] [--rubin 3000] [--repeat 2]
        [--filter 'mag < 18.5'] [--rubin-filter 'mag < 22']
        [--masters local[1] local[2]] [--surveys ztf lsst]

Starts Apache Kafka once (the embedded engine, KRaft, data on disk), fills one
topic with real ZTF alerts (one container file per message) and one with real
Rubin alerts (Confluent framing), each cycled with new ids, then for each
survey, in turns over ``--repeat`` rounds (so a change in the machine's load
touches every reader alike):

- ``consume``: ``alertview consume --filter EXPR --no-store --json --max N``.
  Only matching alerts are printed, so its rate is the printed lines' rate
  (first to last line, the group join left out) divided by the fraction that
  matched: the matches are spread evenly, the alerts being cycled.
- ``spark_local[k]``: ``alertview spark --once --from earliest --filter EXPR
  --to-topic T2 --parquet DIR`` (fresh checkpoint, Parquet folder and output
  topic every run). ``job_per_s`` is the alerts over the seconds of its
  micro-batches as the job itself reports them (decode, filter, the Kafka
  write of the matches and the Parquet write of every alert); ``session_s``
  is the Spark session's start, which it reports separately; ``wall_s`` is
  the whole command, JVM start and query planning included.

``load`` is the machine's load average before and after (it may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench_common import (
    machine,
    report,
    report_part,
    rubin_alerts,
    spread,
    unique_messages,
    ztf_alerts,
)
from ingest import ENGINES, fill

from alertview.core.broker.engines import EmbeddedBroker

RESULT = Path(__file__).resolve().parent / "results" / "spark.json"
STARTED = re.compile(r"Spark (\S+) started in ([\d.]+) s")
BATCH = re.compile(r"batch (\d+): (\d+) alerts in, (\d+) matched, (\d+) errors, (\d+) alerts/s")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def consume(bootstrap: str, topic: str, count: int, expr: str) -> dict:
    """``alertview consume --filter`` over ``count`` alerts: alerts/s and matches."""
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "alertview", "consume", "--bootstrap", bootstrap,
             "--topic", topic, "--group", f"bench-{uuid.uuid4().hex[:8]}",
             "--from", "earliest", "--json", "--no-store", "--filter", expr,
             "--max", str(count)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "ALERTVIEW_DATA_DIR": data},
        )  # fmt: skip
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(process.stderr.read()))
        reader.start()
        arrivals: list[tuple[float, int]] = []
        lines = 0
        stdout = process.stdout
        assert stdout is not None
        while chunk := stdout.read1(1 << 20):  # type: ignore[attr-defined]
            lines += chunk.count(b"\n")
            arrivals.append((time.perf_counter(), lines))
        status = process.wait()
        wall = time.perf_counter() - started
        reader.join()
    if status or not lines:
        raise SystemExit(f"consume: status {status}, {lines} lines: {errors[0][-2000:]!r}")
    first = next((t, n) for t, n in arrivals if n > 0)
    last = arrivals[-1]
    if last[0] <= first[0]:
        raise SystemExit(f"consume: all {lines} matches came at once: send more alerts")
    matched_per_s = (last[1] - first[1]) / (last[0] - first[0])
    return {"per_s": matched_per_s * count / lines, "matched": lines, "wall_s": wall}


def spark(bootstrap: str, topic: str, count: int, expr: str, master: str) -> dict:
    """One ``alertview spark --once`` run on ``master`` with fresh outputs."""
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "alertview", "spark", "--bootstrap", bootstrap,
            "--topic", topic, "--from", "earliest", "--once", "--master", master,
            "--filter", expr, "--to-topic", f"{topic}-out-{uuid.uuid4().hex[:6]}",
            "--parquet", str(Path(folder) / "parquet"),
            "--checkpoint", str(Path(folder) / "checkpoint"),
        ]  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, timeout=1200)
        wall = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"spark {master}: status {result.returncode}: {result.stderr[-3000:]}")
    session = STARTED.search(result.stderr)
    batches = [tuple(int(x) for x in m.groups()) for m in BATCH.finditer(result.stderr)]
    alerts = sum(b[1] for b in batches)
    if session is None or alerts != count:
        raise SystemExit(f"spark {master}: {alerts} of {count} alerts: {result.stderr[-3000:]}")
    seconds = sum(b[1] / b[4] for b in batches if b[4])
    return {
        "per_s": alerts / seconds,
        "session_s": float(session.group(2)),
        "wall_s": wall,
        "batches": len(batches),
        "matched": sum(b[2] for b in batches),
        "errors": sum(b[3] for b in batches),
        "spark": session.group(1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ztf", type=int, default=6000, help="ZTF messages")
    parser.add_argument("--rubin", type=int, default=3000, help="Rubin messages")
    parser.add_argument("--repeat", type=int, default=2, help="rounds over the readers")
    parser.add_argument("--filter", default="mag < 18.5", help="the ZTF readers' filter")
    parser.add_argument(
        "--rubin-filter", default="mag < 22", help="the Rubin readers' filter (fainter alerts)"
    )
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]"])
    parser.add_argument("--surveys", nargs="+", default=["ztf", "lsst"], choices=["ztf", "lsst"])
    parser.add_argument("--out", type=Path, default=RESULT, help="where the JSON is written too")
    args = parser.parse_args()
    surveys = {"ztf": (ztf_alerts, args.ztf), "lsst": (rubin_alerts, args.rubin)}
    result: dict = {
        "machine": machine(),
        "broker": ENGINES["kafka"],
        "filter": {"ztf": args.filter, "lsst": args.rubin_filter},
        "load": {"before": load()},
    }
    with EmbeddedBroker("kafka") as broker:
        bootstrap = broker.bootstrap
        topics = {}
        for survey in args.surveys:  # fill both before timing anything
            read, count = surveys[survey]
            alerts = read()
            topic = f"{survey}-{uuid.uuid4().hex[:6]}"
            messages = list(unique_messages(alerts, count, "native"))
            fill_s = fill(bootstrap, topic, iter(messages), count)
            topics[survey] = topic
            result[survey] = {
                "messages": count,
                "framing": "container per message" if survey == "ztf" else "confluent",
                "base_alerts": len({a.alert_id for a in alerts}),
                "mean_kb": round(sum(len(v) for _, v in messages) / count / 1000, 1),
                "fill_s": round(fill_s, 1),
            }
            del messages
        for survey in args.surveys:
            count, topic, entry = surveys[survey][1], topics[survey], result[survey]
            expr = result["filter"][survey]
            readers = ["consume", *(f"spark_{m}" for m in args.masters)]
            runs: dict[str, list[dict]] = {name: [] for name in readers}
            for _ in range(args.repeat):
                for name in readers:
                    if name == "consume":
                        run = consume(bootstrap, topic, count, expr)
                    else:
                        run = spark(bootstrap, topic, count, expr, name[6:])
                    runs[name].append(run)
                    print(f"{survey} {name}: {run}", file=sys.stderr)
            for name, done in runs.items():
                part: dict = {
                    "per_s": spread([r["per_s"] for r in done]),
                    "wall_s": spread([r["wall_s"] for r in done]),
                    "matched": done[0]["matched"],
                }
                if name != "consume":
                    part["job_per_s"] = part.pop("per_s")
                    part["session_s"] = spread([r["session_s"] for r in done])
                    part["batches"] = done[0]["batches"]
                    part["errors"] = done[0]["errors"]
                    result["spark"] = done[0]["spark"]
                entry[name] = part
            report_part(result, survey, entry)
    result["load"]["after"] = load()
    report(result)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
