"""`alertview consume`: a headless consumer that stores, filters and prints alerts.

It reads through the viewer's own ingest path (``core.stream.pipeline``):
poll → decode → store → sync every 0.5 s → commit. A batch reaches every
sink before its offsets are committed: the store (synced), the --out files
(each fsynced, then renamed into place), stdout (flushed). Killed at any
moment, the consumer loses nothing: what was not committed is delivered
again, the store recognises what it already holds and the files and lines
are written again.

Alerts are decoded only as far as the table's fields (``Detail.TABLE``, as the
viewer does), unless something needs more: ``--out`` (the packets are
written whole), ``--full``, or a filter on a field the table does not hold.
A disk nearly full (``DiskFull``) ends it with status 1, the offsets of what
was not stored left uncommitted. ``--no-store`` keeps nothing and commits no
offset, so a later run reads those alerts again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from alertview.commands.kafka_options import add_kafka_arguments, kafka_settings
from alertview.commands.out_folder import OutFolder, packet_name
from alertview.core.alert import Alert
from alertview.core.avro.detail import Detail
from alertview.core.avro.encode import as_container_file
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import whole_record
from alertview.core.errors import DecodeError, UsageError
from alertview.core.session.folder import Session
from alertview.core.session.listing import is_path_like
from alertview.core.session.meta import StreamMeta, default_group_id, safe_name
from alertview.core.session.retention import check_keep_packets
from alertview.core.stream.consumer import (
    START_POSITIONS,
    AlertConsumer,
    Batch,
    ConsumerSettings,
    ErrorRecord,
)
from alertview.core.stream.pipeline import Pipeline, tune_for_streaming
from alertview.core.summary import alert_summary, summary_line
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.filter_columns import TABLE_NAMES
from alertview.core.table.filters import AlertFilter, parse_filter

#: Table names whose values come from the history, which a table-fields decode skips.
HISTORY_COUNTS = frozenset({"n_history_detections", "n_detections", "n_upper_limits", "n_forced"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consume",
        help="read alerts from Kafka: store, filter, print, save packets",
        description="Consume alerts from Kafka topics. Every alert received is stored in a "
        "session; alerts that pass --filter are printed, one line each, and their packets "
        "written to --out; offsets are committed only after all of that. The exit status "
        "is 1 if a message could not be decoded or a topic does not exist.",
    )
    parser.add_argument(
        "--topic", action="append", required=True, help="topic, or ^regex (repeatable)"
    )
    parser.add_argument(
        "--group",
        help="consumer group (default: USER-alertview-consume-SESSION, its own per session, "
        "so consume and the viewer never move each other's offsets)",
    )
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
        "--timeout",
        type=float,
        metavar="S",
        help="stop after S seconds with no new message (counted from the start while no "
        "partition is assigned: a missing topic or an unreachable broker ends it too)",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write matching packets here")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--full",
        action="store_true",
        help="decode every alert whole, so each line has its cutouts and history counts "
        "(default: the table's fields only, several times faster; --out and filters on "
        "other fields decode whole anyway)",
    )
    parser.add_argument(
        "--session",
        metavar="NAME|DIR",
        help="the session alerts are kept in (default: consume-TOPIC; `alertview sessions` "
        "lists them, `alertview view --session NAME` opens one)",
    )
    parser.add_argument(
        "--keep-packets",
        metavar="POLICY",
        help="the session's retention (rows always stay; the cap counts packets): 50GB "
        "(the newest), 7d (the last days), matching (only packets of alerts passing "
        "--filter), or combined (50GB,7d)",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="keep nothing and commit no offset (a later run reads these alerts again)",
    )
    parser.add_argument(
        "--registry",
        metavar="URL",
        help="schema registry asked for Confluent frames' schema ids (before lsst-alert-packet); "
        "credentials in the URL (https://user:password@host) are sent as HTTP Basic auth",
    )
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


def _is_new(alert: Alert, highest: dict[tuple[str | None, int | None], int]) -> bool:
    """Whether ``alert`` is past the highest offset taken from its partition (and
    note it); an alert from a file has no offset and is always new."""
    origin = alert.origin
    if origin.offset is None:
        return True
    key = (origin.topic, origin.partition)
    if origin.offset <= highest.get(key, -1):
        return False
    highest[key] = origin.offset
    return True


class _Sinks:
    """Where a stored batch goes before its offsets are committed: --out, stdout.

    ``take`` runs in the pipeline's writer thread, after the store took the
    batch and before its sync; ``up_to_max`` in the consumer's thread.
    """

    def __init__(self, args: argparse.Namespace, alert_filter: AlertFilter | None) -> None:
        self.args = args
        self.filter = alert_filter
        self.out = OutFolder(args.out) if args.out else None
        self.store = not args.no_store
        self.received = self.duplicates = self.matched = 0
        self.errors = 0  # messages (or alerts) that could not be decoded, saved or printed
        #: The highest offset taken per (topic, partition): a message read again after a
        #: broker restart or a rebalance is not counted twice (stored, and towards --max).
        self._highest: dict[tuple[str | None, int | None], int] = {}
        self._highest_taken: dict[tuple[str | None, int | None], int] = {}
        #: Alerts handed to the pipeline (consumer's thread), for --max.
        self.taken = 0

    def take(self, batch: Batch, rows: list[tuple]) -> None:
        """Every sink has the batch when this returns (or it raised)."""
        if self.store:
            self.duplicates += len(batch.alerts) - len(rows)
        self.received += sum(_is_new(alert, self._highest) for alert in batch.alerts)
        for error in batch.errors:
            self._report(error)
        lines = []
        for alert in batch.alerts:
            try:
                line = self._alert(alert)
            except OSError:
                raise  # a full disk, a closed stdout: stop before committing
            except Exception as exc:  # one alert's bug: reported, the stream goes on
                self._report(_alert_error(alert, exc))
                continue
            if line is not None:
                lines.append(line)
        if self.out is not None:
            self.out.sync()
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()

    def count(self, batch: Batch) -> None:
        """Note the alerts of a batch handed to the pipeline (towards --max)."""
        self.taken += sum(_is_new(alert, self._highest_taken) for alert in batch.alerts)

    def up_to_max(self, batch: Batch, limit: int) -> Batch:
        """The batch up to the alert that makes ``limit`` alerts taken; the offsets
        of what is cut off are not committed, so a later run reads it."""
        wanted, highest, new = limit - self.taken, dict(self._highest_taken), 0
        for index, alert in enumerate(batch.alerts):
            new += _is_new(alert, highest)
            if new >= wanted:
                return batch.head(index + 1)
        return batch

    def _alert(self, alert: Alert) -> str | None:
        if self.filter is not None and not self.filter(alert):
            return None
        summary = alert_summary(alert)
        line = json.dumps(summary) if self.args.json else summary_line(summary)
        if self.out is not None:
            self.out.write(
                packet_name(alert), as_container_file(alert.packet, whole_record(alert))
            )
        self.matched += 1
        return line

    def _report(self, error: ErrorRecord) -> None:
        self.errors += 1
        if error.repeat:  # the same unknown schema id as a message reported: counted at the end
            return
        print(f"alertview: {error}", file=sys.stderr, flush=True)
        if getattr(self.args, "debug", False) and error.detail:
            print(error.detail.rstrip(), file=sys.stderr, flush=True)


def _alert_error(alert: Alert, exc: Exception) -> ErrorRecord:
    origin = alert.origin
    where = (origin.topic or "", origin.partition or 0, origin.offset or 0)
    record = ErrorRecord.of(DecodeError.internal(exc), *where)
    return dataclasses.replace(record, reason=f"alert {alert.alert_id}: {record.reason}")


def _on_signals(handler) -> dict:
    """Install ``handler`` for SIGINT and SIGTERM; returns the handlers it replaced."""
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _detail(args: argparse.Namespace, alert_filter: AlertFilter | None) -> Detail:
    """How much of each alert to decode: the table's fields, unless the packets are
    written (--out), asked for whole (--full) or filtered on other fields."""
    if args.full or args.out:
        return Detail.FULL
    if alert_filter is not None and alert_filter.names - (TABLE_NAMES - HISTORY_COUNTS):
        return Detail.FULL
    return Detail.TABLE


def consume_group(session: str, username: str | None = None) -> str:
    """``consume``'s default consumer group for a session: its own, so the viewer's
    and another session's offsets stay where they are (the SASL user first, as
    Rubin's brokers require)."""
    return default_group_id("consume", safe_name(session), username)


def _open_session(args: argparse.Namespace, name: str, settings: ConsumerSettings) -> Session:
    """The session consume stores into, held (``sessions rm`` refuses it meanwhile) and
    told which stream it follows, so the viewer can reopen and resume it."""
    opened = Session.at(Path(name).expanduser()) if is_path_like(name) else Session.named(name)
    try:
        opened.remember_stream(
            StreamMeta(settings.kafka.bootstrap, settings.topics, settings.group_id)
        )
        if args.keep_packets is not None:
            opened.store.set_retention(args.keep_packets, args.filter)
    except BaseException:
        opened.close()
        raise
    return opened


def run(args: argparse.Namespace) -> int:
    if args.keep_packets is not None and args.no_store:
        raise UsageError("--keep-packets and --no-store: nothing is kept anyway")
    check_keep_packets(args.keep_packets)
    alert_filter = parse_filter(args.filter) if args.filter else None
    session = args.session or f"consume-{args.topic[0]}"
    settings = ConsumerSettings(
        kafka=kafka_settings(args),
        topics=tuple(args.topic),
        group_id=args.group or consume_group(session, getattr(args, "username", None)),
        start=parse_start(args.start),
        detail=_detail(args, alert_filter),
        commit=not args.no_store,
    )
    cache = SchemaCache(registry_url=args.registry, fields=SURVEY_FIELDS)
    consumer = AlertConsumer(settings, cache)
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        if stop.is_set():  # a second Ctrl-C: nothing more is committed
            raise KeyboardInterrupt
        stop.set()
        consumer.stop()

    previous = _on_signals(on_signal)
    tune_for_streaming()
    opened = None if args.no_store else _open_session(args, session, settings)
    store = None if opened is None else opened.store
    sinks = _Sinks(args, alert_filter)
    pipeline = Pipeline(
        consumer, store, commit=settings.commit, sink=sinks.take, stop_when_full=True
    )
    full: BaseException | None = None
    try:
        consumer.open(timeout=10 if args.timeout is None else min(10, args.timeout))
        kept = "nothing kept, no offset committed" if args.no_store else f"session {session}"
        print(f"alertview: group {settings.group_id} ({kept})", file=sys.stderr, flush=True)
        pipeline.start()
        full = _consume(args, pipeline, consumer, sinks, stop)
        unsent = pipeline.finish()
        if full is None and pipeline.refused is not None:  # met by the last batch
            full = pipeline.refused
            print(f"alertview: {full}", file=sys.stderr, flush=True)
        if unsent is not None:
            print(
                f"alertview: the last offsets may not be committed ({unsent}): the next run "
                f"of group {settings.group_id} may read those alerts again (stored once)",
                file=sys.stderr,
            )
    finally:
        pipeline.abandon()
        if not consumer.close(timeout=1.0):
            print(
                f"alertview: Kafka at {settings.kafka.bootstrap} did not answer: "
                "closed without leaving the group",
                file=sys.stderr,
            )
        if opened is not None:
            opened.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for schema_id, count in sorted(consumer.unknown_schema_ids.items()):
        if count > 1:  # the messages after the first were not said one by one
            print(f"alertview: unknown schema id {schema_id}: {count} messages", file=sys.stderr)
    if alert_filter is not None and sinks.received:
        for name in sorted(alert_filter.never_found()):
            print(f"alertview: filter field {name!r} was in none of the alerts", file=sys.stderr)
    where = f", stored in {store.folder}" if store is not None else ""
    print(
        f"received {sinks.received} alerts ({sinks.duplicates} already stored), "
        f"{sinks.matched} matched, {sinks.errors} undecodable messages{where}",
        file=sys.stderr,
    )
    return 1 if sinks.errors or consumer.missing_topics or full is not None else 0


def _consume(
    args: argparse.Namespace,
    pipeline: Pipeline,
    consumer: AlertConsumer,
    sinks: _Sinks,
    stop: threading.Event,
) -> BaseException | None:
    """Read until stopped, --max, --timeout or a full disk (returned: why storing stopped)."""
    idle_since = time.monotonic()
    had_partitions = False
    while not stop.is_set():
        batch = pipeline.poll()
        if pipeline.storage_stopped is not None:  # one line; the rest stays uncommitted
            print(f"alertview: {pipeline.storage_stopped}", file=sys.stderr, flush=True)
            return pipeline.storage_stopped
        for warning in consumer.take_warnings():
            print(f"alertview: {warning}", file=sys.stderr, flush=True)
        now = time.monotonic()
        has_partitions = bool(consumer.assignment())
        if batch.messages or (has_partitions and not had_partitions):
            idle_since = now  # new partitions get the whole --timeout to deliver
        had_partitions = has_partitions
        if args.timeout is not None and not batch.messages and now - idle_since > args.timeout:
            return None
        if args.max is not None:
            batch = sinks.up_to_max(batch, args.max)
        sinks.count(batch)
        pipeline.put(batch)
        if args.max is not None and sinks.taken >= args.max:
            return None
    return None
