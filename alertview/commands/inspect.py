"""`alertview inspect`: one line per alert in files, folders, archives, messages."""

from __future__ import annotations

import argparse
import json

from alertview.commands.report import report_bad_input
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError, UsageError
from alertview.core.summary import alert_summary, summary_line
from alertview.resources import samples_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="print one line per alert in files, folders, archives or saved messages",
        description=(
            "Decode alert packets (Avro container files, .avro.gz, folders, .tar.gz "
            "archives, or single Kafka message bodies in ZTF or Confluent framing) "
            "and print one line per alert."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument(
        "--samples", action="store_true", help="also read the real alerts AlertView ships"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--schema", metavar="FILE", help="writer schema for schemaless bodies")
    parser.add_argument(
        "--registry", metavar="URL", help="schema registry for Confluent-framed packets"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = [*args.paths, *([samples_dir()] if args.samples else [])]
    if not paths:
        raise UsageError("inspect: give at least one PATH, or --samples")
    cache = SchemaCache(registry_url=args.registry)
    schema = cache.from_file(args.schema) if args.schema else None
    failed = False
    for item in read_alerts(paths, cache, schema=schema):
        if isinstance(item, DecodeError):
            failed |= report_bad_input(item, args.debug)
            if args.json:
                kind = "warning" if item.warning else "error"
                print(json.dumps({"source": item.source, kind: item.reason}), flush=True)
            continue
        summary = alert_summary(item)
        print(json.dumps(summary) if args.json else summary_line(summary), flush=args.json)
    return 1 if failed else 0
