"""Decode throughput on the real shared packets; prints JSON.

    python benchmarks/decode.py [--shared tests/data/alerts] [--repeat 3]

Measures, each as the median and spread of ``--repeat`` runs:
- ZTF container-per-message bytes (as on Kafka): AlertView's cached-schema
  decode to Alert vs plain ``fastavro.reader`` per message (schema parsed
  every time, no mapping: a floor for what naive code costs);
- Rubin Confluent-framed v10.0 bodies: AlertView decode to Alert, records
  only, fastavro's schemaless reader (schema parsed once), the viewer's
  light-curve-only decode;
- both: a live stream's first pass, the table's fields only;
- three cutouts per alert: AlertView vs astropy's gzip + fits.open route.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import fastavro
import numpy as np
from astropy.io import fits

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.packets import read_records
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.surveys import SURVEY_FIELDS

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parent / "tests" / "data" / "alerts"


def timed(func, repeat: int) -> dict:
    """Run ``func`` (which returns an item count) ``repeat`` times; items per second."""
    func()  # warm-up: schema caches, imports
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = func()
        rates.append(count / (time.perf_counter() - start))
    return {
        "median": round(statistics.median(rates), 1),
        "min": round(min(rates), 1),
        "max": round(max(rates), 1),
        "runs": repeat,
    }


def ms_per_item(stats: dict) -> dict:
    # the slowest rate is the longest time: min and max swap
    return {
        "median": round(1000.0 / stats["median"], 4),
        "min": round(1000.0 / stats["max"], 4),
        "max": round(1000.0 / stats["min"], 4),
        "runs": stats["runs"],
    }


def ztf_messages(shared: Path, count: int) -> list[bytes]:
    files = [*sorted((shared / "ztf").glob("*.avro")), shared / "fink" / "ZTF19acihgng.avro"]
    packets = [f.read_bytes() for f in files]
    return [packets[i % len(packets)] for i in range(count)]


def rubin_messages(shared: Path, count: int) -> list[bytes]:
    cache = SchemaCache()
    schema = cache.by_id(1000)
    path = shared / "fink" / "lsst-transfer" / "part-2-918301.avro"
    with path.open("rb") as stream:
        records = list(fastavro.reader(stream))
    packets = [
        confluent_frame(schemaless_body(rubin_native_record(r), schema), 1000) for r in records
    ]
    return [packets[i % len(packets)] for i in range(count)]


def decode_all(messages: list[bytes], detail: Detail = Detail.FULL) -> int:
    """To Alerts, as far as ``detail`` asks: TABLE (a live stream's first pass),
    LIGHT_CURVE (the viewer's selection) or FULL."""
    cache = SchemaCache(fields=SURVEY_FIELDS)
    origin = Origin("bench")
    n = 0
    for message in messages:
        for _ in decode_bytes(message, cache, origin=origin, detail=detail):
            n += 1
    return n


def fastavro_schemaless(messages: list[bytes]) -> int:
    """fastavro's reader on Confluent bodies, schema parsed once: the Avro part alone."""
    schema = SchemaCache().by_id(1000).parsed
    for message in messages:
        fastavro.schemaless_reader(io.BytesIO(message[5:]), schema, None)
    return len(messages)


def records_only(messages: list[bytes]) -> int:
    """Framing + cached-schema Avro decode, without the mapping to Alert."""
    cache = SchemaCache()
    return sum(1 for message in messages for _ in read_records(message, cache))


def fastavro_reader_per_message(messages: list[bytes]) -> int:
    n = 0
    for message in messages:
        for _ in fastavro.reader(io.BytesIO(message)):
            n += 1
    return n


def astropy_cutouts(stamps: list[dict[str, bytes]]) -> int:
    for alert in stamps:
        for stamp in alert.values():
            data = gzip.decompress(stamp) if stamp[:2] == b"\x1f\x8b" else stamp
            with fits.open(io.BytesIO(data), ignore_missing_simple=True) as hdus:
                np.asarray(hdus[0].data, dtype=np.float32)
    return len(stamps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--messages", type=int, default=4000)
    args = parser.parse_args()

    ztf = ztf_messages(args.shared, args.messages)
    rubin = rubin_messages(args.shared, args.messages // 4)
    alerts = [a for a in read_alerts([args.shared], SchemaCache()) if not isinstance(a, Exception)]
    ztf_alerts = [a for a in alerts if a.survey == "ztf" and a.schema_label != "ztf prototype"]
    rubin_alerts = [a for a in alerts if a.survey == "lsst"]

    def cutouts_of(selection):
        return lambda: sum(1 for a in selection for _ in [decode_cutouts(a)])

    result = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastavro": fastavro.__version__,
        },
        "ztf_container_per_message": {
            "messages": len(ztf),
            "alertview_alerts_per_s": timed(lambda: decode_all(ztf), args.repeat),
            "alertview_records_only_per_s": timed(lambda: records_only(ztf), args.repeat),
            "alertview_table_fields_per_s": timed(
                lambda: decode_all(ztf, detail=Detail.TABLE), args.repeat
            ),
            "fastavro_reader_per_message_per_s": timed(
                lambda: fastavro_reader_per_message(ztf), args.repeat
            ),
        },
        "rubin_confluent_v10": {
            "messages": len(rubin),
            "mean_prv_sources": round(
                statistics.mean(a.n_history_detections for a in rubin_alerts), 1
            ),
            "alertview_alerts_per_s": timed(lambda: decode_all(rubin), args.repeat),
            "alertview_records_only_per_s": timed(lambda: records_only(rubin), args.repeat),
            "fastavro_schemaless_reader_per_s": timed(
                lambda: fastavro_schemaless(rubin), args.repeat
            ),
            "alertview_light_curve_only_per_s": timed(
                lambda: decode_all(rubin, detail=Detail.LIGHT_CURVE), args.repeat
            ),
            "alertview_table_fields_per_s": timed(
                lambda: decode_all(rubin * 20, detail=Detail.TABLE), args.repeat
            ),
        },
        "cutouts_ms_per_alert_three_stamps": {
            "ztf_alertview": ms_per_item(timed(cutouts_of(ztf_alerts * 20), args.repeat)),
            "ztf_astropy_gzip_route": ms_per_item(
                timed(lambda: astropy_cutouts([a.cutouts for a in ztf_alerts * 20]), args.repeat)
            ),
            "rubin_alertview": ms_per_item(timed(cutouts_of(rubin_alerts * 20), args.repeat)),
            "rubin_astropy_route": ms_per_item(
                timed(lambda: astropy_cutouts([a.cutouts for a in rubin_alerts * 20]), args.repeat)
            ),
        },
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
