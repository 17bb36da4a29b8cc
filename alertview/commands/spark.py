"""`alertview spark`: filter a Kafka stream (or a season of archives) on Apache Spark.

A Spark Structured Streaming job decodes each micro-batch with AlertView's own
core (``core.spark``), forwards the matching alerts' packets unchanged to
``--to-topic`` and writes every alert's table fields to Parquet, by night and
survey. Stopped (Ctrl-C) or killed, it continues from ``--checkpoint``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from alertview.commands.kafka_options import add_sasl_arguments, kafka_settings
from alertview.core.errors import AlertViewError, UsageError
from alertview.core.table.filters import parse_filter

if TYPE_CHECKING:  # core.spark needs pyarrow (the spark extra): imported when run
    from alertview.core.spark.job import JobOptions


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "spark",
        help="filter a Kafka stream or alert archives on Apache Spark (alertview[spark])",
        description="Run a Spark job: read alerts from Kafka (or --files), decode them with "
        "AlertView's decoders, send the packets of those passing --filter unchanged to "
        "--to-topic and write every alert's table fields to Parquet (by night and survey); "
        "undecodable messages go to an errors table. Needs Java 17+ and, on first use, "
        "Maven Central for Spark's Kafka connector.",
    )
    parser.add_argument("--bootstrap", metavar="HOST:PORT[,...]", help="Kafka to read from")
    parser.add_argument("--topic", help="the topic to read")
    parser.add_argument("--filter", metavar="EXPR", help="the viewer's filter language")
    parser.add_argument("--to-topic", metavar="TOPIC", help="where matching packets go")
    parser.add_argument(
        "--parquet", type=Path, metavar="DIR", help="every alert's table fields, as Parquet"
    )
    parser.add_argument(
        "--errors",
        type=Path,
        metavar="DIR",
        help="undecodable messages' table (default: DIR/_errors under --parquet)",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="DIR",
        help="where the job keeps its progress; the same DIR again continues where it "
        "stopped (default: DIR/_checkpoint under --parquet)",
    )
    parser.add_argument(
        "--master", default="local[*]", help="Spark master: local[*], spark://..., k8s://..."
    )
    parser.add_argument(
        "--from",
        dest="start",
        default="latest",
        choices=("earliest", "latest"),
        help="where a new checkpoint starts (default latest)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="process what the topic holds now, then stop (Spark's availableNow trigger)",
    )
    parser.add_argument(
        "--files",
        metavar="DIR|GLOB",
        help="a batch job over Avro files, folders and ZTF nightly .tar.gz archives instead",
    )
    parser.add_argument(
        "--max-per-batch",
        type=int,
        default=10_000,
        metavar="N",
        help="Kafka messages per micro-batch at most (default 10000)",
    )
    parser.add_argument("--registry", metavar="URL", help="schema registry for Confluent frames")
    _add_security_arguments(parser)
    parser.set_defaults(handler=run)


def _add_security_arguments(parser: argparse.ArgumentParser) -> None:
    """``consume``'s SASL and CA options (client certificates and -X are not offered)."""
    group = parser.add_argument_group("Kafka security (as for consume)")
    add_sasl_arguments(group)
    group.add_argument("--ca-file", help="CA certificate (PEM) for SSL")
    parser.set_defaults(
        extra=[], cert_file=None, key_file=None, key_password_env=None, insecure_no_verify=False
    )


class SparkJobFailed(AlertViewError):
    """The streaming query stopped on an error (the checkpoint keeps its progress)."""


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"the Spark job failed: {lines[0] if lines else type(exc).__name__} (see --debug)"


def _say(line: str) -> None:
    print(f"alertview: {line}", file=sys.stderr, flush=True)


def options_of(args: argparse.Namespace) -> JobOptions:
    from alertview.core.spark.job import JobOptions

    if args.filter:
        parse_filter(args.filter)  # a typo is one line now, not a failed Spark task later
    if args.to_topic and not args.filter:
        raise UsageError("--to-topic needs --filter (which alerts to send)")
    if args.max_per_batch is not None and args.max_per_batch < 1:
        raise UsageError("--max-per-batch must be at least 1")
    kafka = {}
    if args.bootstrap:
        from alertview.core.spark.kafka_auth import spark_kafka_options

        kafka = spark_kafka_options(kafka_settings(args))
    return JobOptions(
        kafka=kafka,
        filter=args.filter,
        to_topic=args.to_topic,
        parquet=args.parquet,
        errors=args.errors,
        checkpoint=args.checkpoint,
        bootstrap=args.bootstrap,
        topic=args.topic,
        start=args.start,
        once=args.once,
        registry=args.registry,
        max_per_batch=args.max_per_batch,
    )


def run(args: argparse.Namespace) -> int:
    from alertview.core.spark.packages import pyspark_version

    pyspark_version()  # one line if the extra is missing
    from alertview.core.spark.job import (
        check_parquet_owner,
        files_to_read,
        run_files,
        stream_query,
    )
    from alertview.core.spark.packages import spark_session
    from alertview.core.spark.progress import Progress, lag_of, listener

    options = options_of(args)
    if args.files is not None:
        files_to_read(args.files, options)  # before Spark starts, which takes seconds
    else:
        options.checkpoint_dir  # noqa: B018 (refuses a stream with nowhere to keep it)
        if not options.bootstrap or not options.topic:
            raise UsageError("give --bootstrap and --topic (or --files)")
    check_parquet_owner(options, files=args.files is not None)
    from pyspark.sql import SparkSession

    # run from a program that has a session (a notebook, the tests): use it, leave it open
    ours = SparkSession.getActiveSession() is None
    started = time.monotonic()
    spark = spark_session(args.master)
    _say(
        f"Spark {spark.version} started in {time.monotonic() - started:.1f} s; "
        f"UI at {spark.sparkContext.uiWebUrl}"
    )
    progress = Progress(_say)
    watching, added = listener(progress), False
    try:
        if args.files is not None:
            counts = _one_line_failure(run_files, spark, args.files, options, progress)
            _say(f"{counts.alerts} alerts, {counts.matched} matched, {counts.errors} errors")
            return 1 if counts.errors else 0
        spark.streams.addListener(watching)
        added = True
        query = _one_line_failure(stream_query, spark, options, progress)
        try:
            query.awaitTermination()
        except KeyboardInterrupt:
            query.stop()  # the checkpoint keeps where it was: the next run goes on
        except Exception as exc:  # Spark's report is pages of JVM trace: its first line
            raise SparkJobFailed(_first_line(exc)) from exc
        for report in query.recentProgress:  # what the listener had not delivered yet
            progress.progressed(int(report.batchId), lag_of(json.loads(report.json)))
        progress.flush()
        total = progress.total
        _say(f"{total.alerts} alerts, {total.matched} matched, {total.errors} errors")
        return 0
    finally:
        if ours:
            spark.stop()
        elif added:  # the caller's session goes on: it keeps no listener of ours
            spark.streams.removeListener(watching)


def _one_line_failure(call, *args):
    """``call(*args)``; a failure inside Spark (an unwritable folder, a damaged
    checkpoint) as one line instead of pages of JVM trace."""
    try:
        return call(*args)
    except AlertViewError:
        raise
    except Exception as exc:
        raise SparkJobFailed(_first_line(exc)) from exc
