"""What the benchmarks share: the real alerts, unique copies of them, statistics."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fastavro

from alertview.core.alert import Alert
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError
from alertview.core.replay import MessageFramer

HERE = Path(__file__).resolve().parent
#: The real packets (bundled with the tests, so a clean clone benchmarks too).
SHARED = Path(os.environ.get("ALERTVIEW_SHARED_DATA", HERE.parent / "tests" / "data" / "alerts"))


def ztf_alerts(shared: Path = SHARED) -> list[Alert]:
    """Every real ZTF alert in the shared data (ZTF's own files and Fink's)."""
    return [a for a in _alerts([shared]) if a.survey == "ztf"]


def rubin_alerts(shared: Path = SHARED) -> list[Alert]:
    """The real Rubin alerts (Fink's LSST transfer, re-framed as Rubin sends them)."""
    return [a for a in _alerts([shared]) if a.survey == "lsst"]


def _alerts(paths) -> list[Alert]:
    return [a for a in read_alerts(paths, SchemaCache()) if not isinstance(a, DecodeError)]


def _varint(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while True:
        byte = zigzag & 0x7F
        zigzag >>= 7
        if zigzag:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


#: How far apart the ids of successive passes are (ids within one exposure are consecutive).
ID_STEP = 10_000_000


def unique_messages(
    alerts: list[Alert], count: int, framing: str, cache: SchemaCache | None = None
) -> Iterator[tuple[bytes | None, bytes]]:
    """``count`` Kafka messages cycling over real alerts, each with its own alert id.

    Pass k sends alert ids shifted by k * ID_STEP: the id's Avro varint is
    replaced in place wherever it occurs (the top-level id and the
    candidate's/diaSource's copy) by one of the same length, so every other
    byte stays as the survey sent it.
    """
    unique = list({a.alert_id: a for a in alerts}.values())
    framer = MessageFramer(framing, cache or SchemaCache())
    base = [framer(a) for a in unique]
    seen: set[int] = set()
    for number in range(count):
        alert = unique[number % len(unique)]
        key, value = base[number % len(unique)]
        shift = number // len(unique)
        new_id = alert.alert_id + shift * ID_STEP
        if shift:
            old, new = _varint(alert.alert_id), _varint(new_id)
            if len(old) != len(new) or old not in value:
                raise ValueError(f"cannot renumber alert {alert.alert_id} in place")
            value = value.replace(old, new)
        if new_id in seen:
            raise ValueError(f"alert id {new_id} repeats: pick other base alerts")
        seen.add(new_id)
        yield key, value


def spread(values: list[float], digits: int = 1) -> dict:
    """Median and spread of repeated runs."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def machine() -> dict:
    """The machine the numbers come from."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": memory,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "fastavro": fastavro.__version__,
    }


def rate_after_first(arrivals: list[tuple[float, int]]) -> float:
    """Items per second from (time, items so far) samples, counted from the first
    arrival to the last: a consumer group's join (seconds on Tansu) or a window's
    start-up before the first item is not part of it."""
    first = next((t, n) for t, n in arrivals if n > 0)
    last = arrivals[-1]
    if last[0] <= first[0]:
        raise SystemExit(f"all {last[1]} items came at once: send more to time them")
    return (last[1] - first[1]) / (last[0] - first[0])


def report_part(result: dict, key: str, entry: dict) -> None:
    """Keep ``entry`` under ``key``, and show it on stderr as soon as it is measured."""
    result[key] = entry
    print(json.dumps({key: entry}), file=sys.stderr)


def report(result: dict) -> None:
    """The benchmark's result: JSON on stdout."""
    json.dump(result, sys.stdout, indent=2)
    print()


def run_child(script: str, *args: str, timeout: float = 1200) -> dict | list:
    """``script --child ARGS`` in a fresh process with Qt offscreen and settings of its
    own (the user's stay untouched); returns the JSON it printed last."""
    with tempfile.TemporaryDirectory() as config:
        result = subprocess.run(
            [sys.executable, script, "--child", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "XDG_CONFIG_HOME": config, "QT_QPA_PLATFORM": "offscreen"},
        )
    if result.returncode:
        raise SystemExit(f"{Path(script).name} --child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def rss_bytes() -> int:
    """Resident set size of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@contextmanager
def viewer_on_topic(bootstrap: str, topic: str, group: str):
    """The viewer in this process (Qt offscreen in a ``run_child``), its window shown on
    a fresh session: (app, window, consumer settings for ``topic`` in a new group named
    ``group-…``). The session is closed and removed afterwards."""
    from alertview.core.session.store import AlertStore
    from alertview.core.stream.config import KafkaSettings
    from alertview.core.stream.consumer import ConsumerSettings
    from alertview.gui.app import make_application
    from alertview.gui.main_window import MainWindow

    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        store = AlertStore(Path(folder) / "session")
        window = MainWindow(store)
        window.show()
        settings = ConsumerSettings(
            KafkaSettings(bootstrap), (topic,), f"{group}-{uuid.uuid4().hex[:8]}", "earliest"
        )
        try:
            yield app, window, settings
        finally:
            window.close()
            store.close()
