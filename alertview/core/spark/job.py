"""The Spark job: Kafka (or files) -> decode + filter -> Kafka topic, Parquet, errors.

One query decodes each micro-batch once (``decode_batch.decode_arrow`` in
``mapInArrow``) and ``foreachBatch`` writes the cached result to three places:

- the matching messages' raw key and value to ``to_topic`` (Spark's Kafka
  writer: at-least-once; a batch run again after a crash sends its matches
  again);
- every alert's table fields to Parquet under ``night=/survey=/batch=``;
- every undecodable message to the errors table under ``batch=``.

Why ``foreachBatch`` and not Spark's file sink: the file sink is exactly-once,
but one streaming query has one sink, so three sinks would be three queries
each reading and decoding the stream again. Instead each batch's Parquet
write is idempotent: it overwrites, with ``partitionOverwriteMode=dynamic``,
exactly the partitions of its own batch id. Spark runs a batch again after a
restart with the same id and the same offsets (its checkpoint's offset log),
so the rewrite replaces whatever a killed run left of it: each alert is held
once, however often the driver dies. Half-written files stay in Spark's
hidden staging folders, which readers skip.
"""

from __future__ import annotations

import glob
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from alertview.core.errors import UsageError
from alertview.core.spark.decode_batch import (
    ALERT_COLUMNS,
    ERROR_COLUMNS,
    OUTPUT_SCHEMA,
    DecodeSettings,
    decode_arrow,
    decode_files,
)
from alertview.core.spark.progress import BatchCounts, Progress
from alertview.core.stream.config import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

#: Where ``--from`` may start a stream that has no checkpoint yet.
STARTS = ("earliest", "latest")
#: The Parquet partition of a batch job over files (a stream's batches count from 0).
FILES_BATCH = 0
_DDL = {
    pa.string(): "STRING",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.binary(): "BINARY",
}
#: ``OUTPUT_SCHEMA`` as Spark's DDL, for ``mapInArrow``.
OUTPUT_DDL = ", ".join(f"`{f.name}` {_DDL[f.type]}" for f in OUTPUT_SCHEMA)


@dataclass(frozen=True)
class JobOptions:
    """What ``alertview spark`` was asked to do."""

    filter: str | None = None
    to_topic: str | None = None
    parquet: Path | None = None
    errors: Path | None = None
    checkpoint: Path | None = None
    bootstrap: str | None = None
    topic: str | None = None
    start: str = "latest"
    once: bool = False
    registry: str | None = None
    #: Kafka messages per micro-batch at most (None: all there are).
    max_per_batch: int | None = 10_000
    #: Extra options for Spark's Kafka source and sink (``kafka.*``).
    kafka: Mapping[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> DecodeSettings:
        return DecodeSettings(filter=self.filter, registry=self.registry)

    @property
    def errors_dir(self) -> Path | None:
        """The errors table: --errors, or ``_errors`` beside the alerts (readers of the
        alerts table skip folders starting with ``_``)."""
        if self.errors is not None:
            return self.errors
        return None if self.parquet is None else self.parquet / "_errors"

    @property
    def checkpoint_dir(self) -> Path:
        if self.checkpoint is not None:
            return self.checkpoint
        if self.parquet is not None:
            return self.parquet / "_checkpoint"
        raise UsageError("give --checkpoint DIR (or --parquet DIR, which holds one)")


class BatchWriter:
    """``foreachBatch``'s function: one decoded batch to its three outputs."""

    def __init__(self, options: JobOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.progress = progress
        self.last: BatchCounts | None = None

    def __call__(self, frame: Any, batch_id: int) -> None:
        from pyspark.sql import functions as F

        started = time.monotonic()
        frame = frame.persist()
        try:
            counts = BatchCounts.of(
                batch_id, frame.groupBy("kind", "matched").count().collect(), started
            )
            log.debug("batch %d decoded in %.1f s", batch_id, time.monotonic() - started)
            options = self.options
            if options.to_topic and counts.matched:
                forward = frame.where(F.col("forward_value").isNotNull()).select(
                    F.col("forward_key").alias("key"), F.col("forward_value").alias("value")
                )
                writer = (
                    forward.write.format("kafka")
                    .option("topic", options.to_topic)
                    .option("kafka.max.request.size", str(MAX_MESSAGE_BYTES))
                )
                _kafka_options(writer, options).save()
            if options.parquet is not None and counts.alerts:
                alerts = frame.where(F.col("kind") == "alert").select(*ALERT_COLUMNS)
                _overwrite(alerts, batch_id, options.parquet, "night", "survey")
            errors_dir = options.errors_dir
            if errors_dir is not None and counts.errors:
                errors = frame.where(F.col("kind") == "error").select(*ERROR_COLUMNS)
                _overwrite(errors, batch_id, errors_dir)
            log.debug("batch %d written in %.1f s", batch_id, time.monotonic() - started)
        finally:
            frame.unpersist()
        counts.seconds = time.monotonic() - started
        self.last = counts
        if self.progress is not None:
            self.progress.batch_done(counts)


def _overwrite(frame: Any, batch_id: int, path: Path, *partitions: str) -> None:
    """Write ``frame`` as batch ``batch_id``'s partitions, replacing what a previous try
    of the same batch left there (and nothing else)."""
    from pyspark.sql import functions as F

    (
        frame.withColumn("batch", F.lit(batch_id).cast("bigint"))
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*partitions, "batch")
        .parquet(str(path))
    )


def _kafka_options(io: Any, options: JobOptions) -> Any:
    io = io.option("kafka.bootstrap.servers", options.bootstrap)
    for name, value in options.kafka.items():
        io = io.option(name, value)
    return io


def stream_query(spark: Any, options: JobOptions, progress: Progress | None = None) -> Any:
    """Start the streaming query (Kafka -> decode -> outputs); returns it running."""
    if not options.bootstrap or not options.topic:
        raise UsageError("a stream needs --bootstrap and --topic (or give --files)")
    if options.start not in STARTS:
        raise UsageError(f"--from {options.start!r}: use earliest or latest")
    reader = (
        _kafka_options(spark.readStream.format("kafka"), options)
        .option("subscribe", options.topic)
        .option("startingOffsets", options.start)
        .option("failOnDataLoss", "false")
        # a topic of fewer partitions than cores is still decoded on every core
        .option("minPartitions", str(spark.sparkContext.defaultParallelism))
    )
    if options.max_per_batch:
        reader = reader.option("maxOffsetsPerTrigger", str(options.max_per_batch))
    messages = reader.load().select("key", "value", "topic", "partition", "offset")
    decoded = messages.mapInArrow(_task(decode_arrow, options.settings), OUTPUT_DDL)
    writer = (
        decoded.writeStream.foreachBatch(BatchWriter(options, progress))
        .option("checkpointLocation", str(options.checkpoint_dir))
        .queryName("alertview")
    )
    writer = writer.trigger(availableNow=True) if options.once else writer
    return writer.start()


def files_to_read(pattern: str, options: JobOptions) -> list[str]:
    """The files of a batch job, or a UsageError saying why there is no job."""
    if options.to_topic:
        raise UsageError("--to-topic is for streams; --files writes Parquet (--parquet)")
    if options.parquet is None:
        raise UsageError("--files needs --parquet DIR to write the alerts' rows to")
    paths = expand_files(pattern)
    if not paths:
        raise UsageError(f"--files {pattern}: no such file or folder")
    return paths


def check_parquet_owner(options: JobOptions, files: bool) -> None:
    """Refuse to mix two jobs' rows in one --parquet folder: batch ids start at 0 in
    every new checkpoint and every --files job, and a batch replaces its own
    ``batch=N`` partitions, so a second job would silently replace the first's rows."""
    if options.parquet is None or not options.parquet.is_dir():
        return
    stream_rows = (options.parquet / "_checkpoint" / "offsets").is_dir()
    if files:
        if stream_rows:
            raise UsageError(
                f"--parquet {options.parquet} holds a stream's rows (its _checkpoint): "
                "give the --files job its own folder"
            )
        return
    started = (options.checkpoint_dir / "offsets").is_dir()
    if not started and any(options.parquet.glob("night=*/survey=*/batch=*")):
        raise UsageError(
            f"--parquet {options.parquet} holds another job's rows and --checkpoint "
            f"{options.checkpoint_dir} is new: its batches would replace them; give a new "
            "--parquet folder, or the --checkpoint that wrote them"
        )


def run_files(
    spark: Any, pattern: str, options: JobOptions, progress: Progress | None = None
) -> BatchCounts:
    """A batch job over Avro files, folders and ZTF nightly archives: the stream's rows.

    Each task reads whole files (an archive is one gzip stream: it cannot be split),
    so the files are spread over the tasks; on a cluster they must be on a file
    system every executor sees. Its rows are written as batch 0 (``FILES_BATCH``):
    run again, it replaces them; give each job its own --parquet folder."""
    paths = files_to_read(pattern, options)
    listing = spark.createDataFrame([(p,) for p in paths], "path STRING")
    listing = listing.repartition(min(len(paths), spark.sparkContext.defaultParallelism))
    decoded = listing.mapInArrow(_task(decode_files, options.settings), OUTPUT_DDL)
    writer = BatchWriter(options, progress)
    writer(decoded, FILES_BATCH)
    assert writer.last is not None
    return writer.last


def _task(function: Callable[..., Any], settings: DecodeSettings) -> Callable[..., Any]:
    return partial(function, settings=settings)


def expand_files(pattern: str) -> list[str]:
    """The files a --files argument names: a folder's files (recursively), a glob's
    matches, or one file; sorted, so tasks split the same way every run."""
    path = Path(pattern).expanduser()
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
        return sorted(str(p) for p in found)
    if path.is_file():
        return [str(path)]
    return sorted(p for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
