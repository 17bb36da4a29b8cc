"""`alertview export`: alerts from files or sessions to Avro, tables, light curves or cutouts."""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from alertview.commands.report import report_bad_input
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.errors import DecodeError, UsageError
from alertview.core.export import FORMATS, export_alerts
from alertview.core.export_triage import triaged_match
from alertview.core.session.listing import resolve_session, session_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.filters import parse_filter


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export alerts to Avro, ECSV, CSV, VOTable, FITS, light-curve CSV or cutouts",
        description="Export the alerts in files, folders, archives or stored sessions "
        "(--session). avro: the packets as "
        "one container file per writer schema; ecsv/csv/votable/fits: the table of key "
        "fields (ecsv, votable and fits with units and the time scale: UTC for ZTF, TAI "
        "for Rubin; csv plain, with time_scale and flux_unit columns); lightcurve-csv: "
        "every detection, upper limit and forced point; cutouts: each stamp as FITS "
        "(every HDU the survey sent) and as a PNG of the whole stamp, North up, into the "
        "folder DEST.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument(
        "--session",
        action="append",
        default=[],
        metavar="NAME",
        help="also export a stored session's alerts (a name from `alertview sessions`, or its "
        "folder); may be repeated",
    )
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, type=Path, metavar="DEST")
    parser.add_argument("--filter", metavar="EXPR", help="export only the alerts that match")
    parser.add_argument(
        "--registry",
        metavar="URL",
        help="schema registry asked for Confluent frames' schema ids (before lsst-alert-packet); "
        "credentials in the URL are sent as HTTP Basic auth",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.paths and not args.session:
        raise UsageError("export: give at least one PATH or --session NAME")
    alert_filter = parse_filter(args.filter) if args.filter else None
    folders = [resolve_session(name) for name in args.session]  # a typo fails before writing
    cache = SchemaCache(registry_url=args.registry)
    # the sessions' triage: columns in tables, a sidecar beside Avro files (files: unscanned)
    triage = {}
    for folder in folders:
        with AlertStore(folder) as store:
            triage.update(store.triage_by_alert())
    failed = False

    def alerts():
        nonlocal failed
        read = read_alerts(args.paths, cache) if args.paths else iter(())
        for item in itertools.chain(read, *(session_alerts(f, cache) for f in folders)):
            if isinstance(item, DecodeError):
                failed |= report_bad_input(item, args.debug)
            elif alert_filter is None or triaged_match(alert_filter, item, triage):
                yield item

    # (an export of untriaged sessions is the same as of their files)
    written = export_alerts(alerts(), args.format, args.out, triage=triage or None)
    for path in written:
        print(path)
    return 1 if failed else 0
