"""`alertview replay`: publish alert files into a topic at survey cadence."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from alertview.commands.kafka_options import add_kafka_arguments, kafka_settings
from alertview.commands.progress import ProgressLine, megabytes
from alertview.commands.report import report_bad_input
from alertview.core.avro.schemas import SchemaCache
from alertview.core.replay import FRAMINGS, Cadence, MessageFramer, ReplayError, replay
from alertview.core.stream.producer import AlertProducer, ensure_topic


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay alert files into a Kafka topic at survey cadence",
        description="Publish alerts from files, folders or archives into a topic, one visit "
        "(ZTF exposure, Rubin visit, or --visit-size alerts) every --interval seconds. The "
        "exit status is 1 if an input could not be read or an alert was not delivered.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--topic", required=True)
    pacing = parser.add_mutually_exclusive_group()
    pacing.add_argument(
        "--interval", type=float, default=37.0, help="seconds between visits (0: no wait)"
    )
    pacing.add_argument("--speed", type=float, help="replay the real time gaps X times faster")
    parser.add_argument("--visit-size", type=int, help="fixed number of alerts per visit")
    parser.add_argument("--loop", action="store_true", help="start again at the end")
    parser.add_argument(
        "--renumber",
        action="store_true",
        help="with --loop: each later pass sends the same packets as new alerts, as a live "
        "stream would: alert ids + pass x step (per survey, the smallest power of ten modulo "
        "which the files' ids differ: ids stay unique, their last digits name the real "
        "alert) and every time later by pass x D days (D: the smallest whole number of days "
        "longer than the span of the files' detection times; a night's archive comes back "
        "as the next night; with --speed it starts at once). Object ids, framing and "
        "everything else are unchanged",
    )
    parser.add_argument("--limit", type=int, help="stop after N alerts")
    parser.add_argument(
        "--framing",
        choices=FRAMINGS,
        default="native",
        help="native: as the survey sends (ZTF container per message, Rubin Confluent); "
        "confluent: wire header with the schema id; fink: schema JSON as the key",
    )
    parser.add_argument("--schema-id", type=int, help="registry id for --framing confluent")
    parser.add_argument(
        "--partitions", type=int, default=4, help="partitions if the topic is created"
    )
    add_kafka_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.renumber and not args.loop:
        raise ReplayError("--renumber needs --loop: only a loop's later passes are renumbered")
    settings = kafka_settings(args)
    cache = SchemaCache()
    framer = MessageFramer(args.framing, cache, args.schema_id)
    cadence = Cadence(
        args.interval, args.speed, args.visit_size, args.loop, args.limit, args.renumber
    )
    ensure_topic(settings, args.topic, args.partitions)
    producer = AlertProducer(settings)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    line = ProgressLine()
    start = time.monotonic()

    def on_visit(progress, visit) -> None:
        producer.poll(0)
        stats = producer.stats
        line.show(
            f"visit {progress.visits}: {progress.alerts} alerts, {megabytes(progress.bytes)}, "
            f"{progress.rate:.0f} alerts/s, delivered {stats.delivered}, failed {stats.failed}"
        )

    progress = replay(
        args.paths,
        lambda key, value: producer.send(args.topic, value, key),
        framer,
        cadence,
        on_visit=on_visit,
        stop=stop,
    )
    stats = producer.flush(60)
    line.done()
    elapsed = time.monotonic() - start
    failed = False
    for skipped in progress.skipped:
        failed |= report_bad_input(skipped, getattr(args, "debug", False))
    for error in stats.errors:
        print(f"alertview: {error}", file=sys.stderr)
    print(
        f"replayed {progress.alerts} alerts in {progress.visits} visits "
        f"({megabytes(progress.bytes)}) to {args.topic} in {elapsed:.1f} s "
        f"({progress.alerts / elapsed if elapsed else 0:.0f} alerts/s): "
        f"{stats.delivered} delivered, {stats.failed} failed",
        file=sys.stderr,
    )
    return 1 if failed or stats.failed or stats.delivered != progress.alerts else 0
