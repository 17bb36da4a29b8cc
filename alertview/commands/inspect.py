"""`alertview inspect`: one line per alert in files, folders, archives, messages, sessions."""

from __future__ import annotations

import argparse
import itertools
import json

from alertview.commands.report import report_bad_input
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError, UsageError
from alertview.core.session.listing import resolve_session, session_alerts
from alertview.core.summary import alert_summary, summary_line
from alertview.core.table.filters import parse_filter
from alertview.resources import samples_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="print one line per alert in files, folders, archives, saved messages or sessions",
        description=(
            "Decode alert packets (Avro container files, .avro.gz, folders, .tar.gz "
            "archives, or single Kafka message bodies in ZTF or Confluent framing) "
            "and print one line per alert; --session reads a stored session's alerts."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument(
        "--samples", action="store_true", help="also read the real alerts AlertView ships"
    )
    parser.add_argument(
        "--session",
        action="append",
        default=[],
        metavar="NAME",
        help="also read a stored session (a name from `alertview sessions`, or its folder); "
        "may be repeated",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--filter", metavar="EXPR", help="print only the alerts that match (as the viewer's)"
    )
    parser.add_argument("--schema", metavar="FILE", help="writer schema for schemaless bodies")
    parser.add_argument(
        "--registry", metavar="URL", help="schema registry for Confluent-framed packets"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = [*args.paths, *([samples_dir()] if args.samples else [])]
    if not paths and not args.session:
        raise UsageError("inspect: give at least one PATH, --session NAME, or --samples")
    alert_filter = parse_filter(args.filter) if args.filter else None
    folders = [resolve_session(name) for name in args.session]
    cache = SchemaCache(registry_url=args.registry)
    schema = cache.from_file(args.schema) if args.schema else None
    failed = False
    read = read_alerts(paths, cache, schema=schema) if paths else iter(())
    for item in itertools.chain(read, *(session_alerts(f, cache) for f in folders)):
        if isinstance(item, DecodeError):
            failed |= report_bad_input(item, args.debug)
            if args.json:
                kind = "warning" if item.warning else "error"
                print(json.dumps({"source": item.source, kind: item.reason}), flush=True)
            continue
        if alert_filter is not None and not alert_filter(item):
            continue
        summary = alert_summary(item)
        print(json.dumps(summary) if args.json else summary_line(summary), flush=args.json)
    return 1 if failed else 0
