"""`alertview consume`: a headless consumer that stores, filters and prints alerts."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from alertview.commands.kafka_options import add_kafka_arguments, kafka_settings
from alertview.core.alert import Alert
from alertview.core.encode import as_container_file
from alertview.core.errors import UsageError
from alertview.core.filters import AlertFilter, parse_filter
from alertview.core.schemas import SchemaCache
from alertview.core.store import AlertStore
from alertview.core.stream.consumer import (
    START_POSITIONS,
    AlertConsumer,
    Batch,
    ConsumerSettings,
)
from alertview.core.summary import alert_summary, summary_line


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consume",
        help="read alerts from Kafka: store, filter, print, save packets",
        description="Consume alerts from Kafka topics. Every alert received is stored in a "
        "session (offsets are committed only after that); alerts that pass --filter are "
        "printed, one line each, and their packets written to --out.",
    )
    parser.add_argument(
        "--topic", action="append", required=True, help="topic, or ^regex (repeatable)"
    )
    parser.add_argument("--group", help="consumer group (default: alertview-USER)")
    parser.add_argument(
        "--from",
        dest="start",
        default="committed",
        metavar="earliest|latest|committed|ISO-TIME",
        help="where to start: earliest (oldest kept), latest (new alerts only), committed "
        "(where this group stopped; earliest if it never read) (default), or an ISO time",
    )
    parser.add_argument("--filter", metavar="EXPR", help="e.g. 'band == \"r\" and mag < 19'")
    parser.add_argument("--max", type=int, metavar="N", help="stop after N alerts received")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="stop after S seconds with no new message"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write matching packets here")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--session", help="store session name (default: consume-TOPIC)")
    parser.add_argument("--no-store", action="store_true", help="do not keep received alerts")
    parser.add_argument("--registry", metavar="URL", help="schema registry for Confluent frames")
    add_kafka_arguments(parser)
    parser.set_defaults(handler=run)


def parse_start(text: str) -> str | datetime:
    if text in START_POSITIONS:
        return text
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--from {text!r}: use earliest, latest, committed or an ISO time "
            "(e.g. 2026-03-06T02:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def _packet_name(alert: Alert) -> str:
    object_id = (alert.object_id or "noobject").replace("/", "_")
    return f"{alert.survey}_{object_id}_{alert.alert_id}.avro"


class _Printer:
    def __init__(self, args: argparse.Namespace, alert_filter: AlertFilter | None) -> None:
        self.args = args
        self.filter = alert_filter
        self.matched = 0
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)

    def alert(self, alert: Alert) -> None:
        if self.filter is not None and not self.filter(alert):
            return
        self.matched += 1
        summary = alert_summary(alert)
        print(json.dumps(summary) if self.args.json else summary_line(summary), flush=True)
        if self.args.out:
            (self.args.out / _packet_name(alert)).write_bytes(as_container_file(alert))


def run(args: argparse.Namespace) -> int:
    import getpass

    alert_filter = parse_filter(args.filter) if args.filter else None
    settings = ConsumerSettings(
        kafka=kafka_settings(args),
        topics=tuple(args.topic),
        group_id=args.group or f"alertview-{getpass.getuser()}",
        start=parse_start(args.start),
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    store = (
        None if args.no_store else AlertStore.session(args.session or f"consume-{args.topic[0]}")
    )
    printer = _Printer(args, alert_filter)
    received = duplicates = errors = 0
    last_message = time.monotonic()
    consumer = AlertConsumer(settings, SchemaCache(registry_url=args.registry))
    try:
        consumer.open()
        while not stop.is_set():
            batch: Batch = consumer.poll()
            for warning in consumer.take_warnings():
                print(f"alertview: {warning}", file=sys.stderr, flush=True)
            if batch.messages or not consumer.assignment():
                last_message = time.monotonic()  # idle time counts once partitions are ours
            elif args.timeout is not None and time.monotonic() - last_message > args.timeout:
                break
            if args.max is not None:
                batch = batch.head(args.max - received)
            if store is not None:
                duplicates += len(batch.alerts) - store.add(batch.alerts)
                store.add_errors(batch.errors)
            consumer.commit(batch)
            received += len(batch.alerts)
            errors += len(batch.errors)
            for error in batch.errors:
                print(f"alertview: {error}", file=sys.stderr, flush=True)
            for alert in batch.alerts:
                printer.alert(alert)
            if args.max is not None and received >= args.max:
                break
        consumer.commit_sync()
    finally:
        consumer.close()
        if store is not None:
            store.close()
    if alert_filter is not None and received:
        for name in sorted(alert_filter.never_found()):
            print(f"alertview: filter field {name!r} was in none of the alerts", file=sys.stderr)
    where = f", stored in {store.folder}" if store is not None else ""
    print(
        f"received {received} alerts ({duplicates} already stored), {printer.matched} matched, "
        f"{errors} undecodable messages{where}",
        file=sys.stderr,
    )
    return 0
