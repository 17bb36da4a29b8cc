"""Spark's Kafka connector matching the installed PySpark, and the SparkSession built with it.

PySpark from PyPI ships Spark but not its Kafka source and sink: those come
from Maven Central through ``spark.jars.packages`` (Ivy), once, into the
user's cache folder (``ALERTVIEW_CACHE_DIR`` overrides it), so later jobs and
the executors of a local master start without fetching anything.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from alertview.core.broker.kafka_jars import cache_dir
from alertview.core.errors import AlertViewError

log = logging.getLogger(__name__)

#: Spark 4 is built for Scala 2.13 only.
SCALA_VERSION = "2.13"


class SparkMissing(AlertViewError):
    """PySpark (the ``alertview[spark]`` extra) or Java is not there."""


def pyspark_version() -> str:
    try:
        import pyspark
    except ImportError:
        raise SparkMissing(
            "alertview spark needs PySpark: pip install 'alertview[spark]'"
        ) from None
    return str(pyspark.__version__)


def kafka_package(version: str | None = None) -> str:
    """Maven coordinates of the Kafka connector for this PySpark (same version)."""
    return f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_VERSION}:{version or pyspark_version()}"


def ivy_dir() -> Path:
    """Where Ivy keeps the connector's jars (under the user's cache folder)."""
    return cache_dir() / "spark-ivy"


def session_config(master: str, app_name: str = "alertview-spark") -> dict[str, str]:
    """The settings ``spark_session`` gives; ``spark-submit`` users pass the same."""
    config = {
        "spark.master": master,
        "spark.app.name": app_name,
        "spark.jars.packages": kafka_package(),
        "spark.jars.ivy": str(ivy_dir()),
        "spark.ui.showConsoleProgress": "false",
        # A micro-batch's Arrow batches: ~60 KB ZTF / ~100 KB Rubin packets each.
        "spark.sql.execution.arrow.maxRecordsPerBatch": "500",
        "spark.sql.shuffle.partitions": "4",
        # Parquet: rewriting one micro-batch replaces that batch's partitions only.
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.session.timeZone": "UTC",
        # the Kafka options holding a password (kafka_auth): never shown in plans or the UI
        "spark.sql.redaction.options.regex": "(?i)url|jaas|password|secret|token",
        "spark.redaction.regex": "(?i)secret|password|token|access[.]?key|jaas",
    }
    if master.startswith("local"):
        # A local master's Python workers are this interpreter (its packages), not
        # whatever `python3` is on PATH; a cluster's come from PYSPARK_PYTHON.
        python = os.environ.get("PYSPARK_PYTHON", sys.executable)
        config["spark.pyspark.python"] = python
        config["spark.pyspark.driver.python"] = sys.executable
    return config


def spark_session(master: str = "local[*]", app_name: str = "alertview-spark") -> Any:
    """A SparkSession with the Kafka connector (fetched on first use), quiet logs."""
    pyspark_version()
    from pyspark.sql import SparkSession

    if master.startswith("local"):  # read from the environment by PySpark's own context
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.monotonic()
    builder = SparkSession.builder
    for name, value in session_config(master, app_name).items():
        builder = builder.config(name, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, or the connector could not be fetched
        raise SparkMissing(
            f"Spark did not start ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            f"it needs Java 17+ and, once, Maven Central for {kafka_package()}"
        ) from exc
    session.sparkContext.setLogLevel("WARN")
    log.info("Spark %s session in %.1f s", session.version, time.monotonic() - started)
    return session


def fetch_connector() -> Path:
    """Fetch the connector's jars into ``ivy_dir()`` now (CI, before the tests)."""
    session = spark_session("local[1]", "alertview-fetch")
    session.stop()
    return ivy_dir()
