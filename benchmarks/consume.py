"""One ingest path: `consume` and the viewer's stream process against a raw read; prints JSON.

    python benchmarks/consume.py [--engine tansu|kafka] [--ztf 6000] [--rubin 2000]
        [--repeat 2] [--surveys ztf lsst]

Fills an embedded broker (``--engine``: Tansu in memory, or Apache Kafka 4.1
with its data on disk) with real alerts cycled with new ids (ZTF one
container file per message, Rubin in Confluent framing), then for each survey,
in one run, each reader with a fresh consumer group, in turns (``--repeat``
rounds, so a change in the machine's load touches every reader alike):

- ``raw``: confluent-kafka consuming the messages without decoding (as
  AlertView's consumer is configured);
- ``consume_json``: ``alertview consume --json`` storing into a session
  (the default: table fields decoded, stored, synced every 0.5 s, committed);
- ``consume_json_no_store``: the same with ``--no-store``;
- ``consume_full``: ``consume --json --full`` (every alert decoded whole and
  its cutouts read: what ``consume`` did before the one ingest path);
- ``ingest_process``: the viewer's stream process (``IngestProcess``, no Qt)
  until every alert is a stored row it reported.

A rate is counted from the first alert to arrive to the last, so the group
join is not part of it; ``*_pct_of_raw`` divides each median by the raw
read's median of the same run. ``*_cpu_ms_per_alert`` is the CPU time
(user + system, all threads) the reader's process and the broker's each used
during the reader's run, per alert (the reader's includes its start-up and
group join). ``load`` is the machine's load average before and after (the
machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from bench_common import (
    machine,
    rate_after_first,
    report,
    report_part,
    rubin_alerts,
    spread,
    unique_messages,
    ztf_alerts,
)
from ingest import ENGINES, ceiling, fill

from alertview.core.avro.detail import Detail
from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings

READERS = ("raw", "consume_json", "consume_json_no_store", "consume_full", "ingest_process")


def consume(bootstrap: str, topic: str, count: int, *extra: str) -> float:
    """``alertview consume --json`` to the ``count``-th alert; alerts/s from its stdout."""
    with tempfile.TemporaryDirectory() as data:
        process = subprocess.Popen(
            [sys.executable, "-m", "alertview", "consume", "--bootstrap", bootstrap,
             "--topic", topic, "--group", f"bench-{uuid.uuid4().hex[:8]}",
             "--from", "earliest", "--json", "--max", str(count), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "ALERTVIEW_DATA_DIR": data},
        )  # fmt: skip
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(process.stderr.read()))
        reader.start()
        arrivals, lines = [], 0
        stdout = process.stdout
        while chunk := stdout.read1(1 << 20):  # type: ignore[attr-defined]
            lines += chunk.count(b"\n")
            arrivals.append((time.perf_counter(), lines))
        status = process.wait()
        reader.join()
    if status or lines != count:
        raise SystemExit(f"consume: status {status}, {lines} lines: {errors[0][-2000:]!r}")
    return rate_after_first(arrivals)


def ingest_process(bootstrap: str, topic: str, count: int) -> float:
    """The viewer's stream process, headless, until ``count`` rows were reported."""
    from alertview.core.stream.consumer import ConsumerSettings
    from alertview.core.stream.ingest import IngestProcess, SchemaSource
    from alertview.core.stream.messages import Command, Failed, RowsStored

    settings = ConsumerSettings(
        KafkaSettings(bootstrap), (topic,), f"view-{uuid.uuid4().hex[:8]}", "earliest",
        detail=Detail.TABLE,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        process = IngestProcess(settings, os.path.join(folder, "session"), SchemaSource())
        rows, arrivals = 0, []
        deadline = time.monotonic() + 1200
        try:
            while rows < count:
                if time.monotonic() > deadline or not process.alive:
                    raise SystemExit(f"ingest process: {rows} of {count} rows")
                for news in process.receive(0.05):
                    if isinstance(news, Failed):
                        raise SystemExit(f"ingest process: {news.reason}")
                    if isinstance(news, RowsStored) and news.rows:
                        rows += len(news.rows)
                        arrivals.append((time.perf_counter(), rows))
        finally:
            process.command(Command.STOP)
            while process.alive and not process.finished:
                list(process.receive(0.2))
            process.join()
    return rate_after_first(arrivals)


def run_reader(name: str, bootstrap: str, topic: str, count: int) -> float:
    """One run of reader ``name``: its alerts/s."""
    if name == "raw":
        return ceiling(bootstrap, topic, count)
    if name == "ingest_process":
        return ingest_process(bootstrap, topic, count)
    extra = {
        "consume_json": (),
        "consume_json_no_store": ("--no-store",),
        "consume_full": ("--full",),
    }
    return consume(bootstrap, topic, count, *extra[name])


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (empty if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return []


def _ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 if it is gone)."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def broker_pid(broker: EmbeddedBroker) -> int | None:
    """The broker's process (Tansu's binary, or Kafka's JVM), None if in this one (mock)."""
    owner = getattr(broker, "_kafka", None) or broker  # the kafka engine's KafkaServer
    return getattr(getattr(owner, "_process", None), "pid", None)


def broker_cpu(pid: int | None) -> float:
    """CPU seconds used so far by the broker's process and its children (a launcher
    script's Java), from /proc."""
    if pid is None:
        return 0.0
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(entry)
            if stat and int(stat[1]) == pid:
                pids.append(int(entry))
    return sum(_ticks(p) for p in pids) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process and its ended children (the readers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="tansu", choices=ENGINES, help="embedded broker")
    parser.add_argument("--ztf", type=int, default=6000, help="ZTF messages")
    parser.add_argument("--rubin", type=int, default=2000, help="Rubin messages")
    parser.add_argument("--repeat", type=int, default=2, help="rounds over the readers")
    parser.add_argument("--surveys", nargs="+", default=["ztf", "lsst"], choices=["ztf", "lsst"])
    parser.add_argument("--readers", nargs="+", default=list(READERS), choices=READERS)
    args = parser.parse_args()
    surveys = {"ztf": (ztf_alerts, args.ztf), "lsst": (rubin_alerts, args.rubin)}
    result: dict = {"machine": machine(), "broker": ENGINES[args.engine], "load": {}}
    result["load"]["before"] = load()
    with EmbeddedBroker(args.engine) as broker:
        bootstrap = broker.bootstrap
        for survey in args.surveys:
            read, count = surveys[survey]
            alerts = read()
            topic = f"{survey}-{uuid.uuid4().hex[:6]}"
            entry: dict = {
                "messages": count,
                "framing": "container per message" if survey == "ztf" else "confluent",
                "base_alerts": len({a.alert_id for a in alerts}),
            }
            fill_s = fill(bootstrap, topic, unique_messages(alerts, count, "native"), count)
            entry["fill_s"] = round(fill_s, 1)
            runs: dict[str, list[float]] = {name: [] for name in args.readers}
            cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in args.readers}
            pid = broker_pid(broker)
            for _ in range(args.repeat):
                for name in args.readers:
                    mine, theirs = own_cpu(), broker_cpu(pid)
                    runs[name].append(run_reader(name, bootstrap, topic, count))
                    cpu[name].append((own_cpu() - mine, broker_cpu(pid) - theirs))
                    print(f"{survey} {name}: {runs[name][-1]:.0f}/s", file=sys.stderr)
            for name, rates in runs.items():
                entry[f"{name}_per_s"] = spread(rates)
                entry[f"{name}_cpu_ms_per_alert"] = {
                    "reader": round(
                        1000 * sum(c[0] for c in cpu[name]) / (count * args.repeat), 3
                    ),
                    "broker": round(
                        1000 * sum(c[1] for c in cpu[name]) / (count * args.repeat), 3
                    ),
                }
            if "raw" in runs:
                raw = entry["raw_per_s"]["median"]
                for name in runs:
                    if name != "raw":
                        entry[f"{name}_pct_of_raw"] = round(
                            100 * entry[f"{name}_per_s"]["median"] / raw
                        )
            report_part(result, survey, entry)
    result["load"]["after"] = load()
    report(result)


if __name__ == "__main__":
    main()
