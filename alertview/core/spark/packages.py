"""Spark's Kafka connector matching the installed PySpark, and the SparkSession built with it.

PySpark from PyPI ships Spark but not its Kafka source and sink: those come
from Maven Central through ``spark.jars.packages`` (Ivy), once, into the
user's cache folder (``ALERTVIEW_CACHE_DIR`` overrides it). The jars Ivy
resolved are noted there (``jars-VERSION.txt``) and later sessions name them
in ``spark.jars``: no resolution, no network, and Spark ships them to a
cluster's executors itself.
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


def _manifest(version: str) -> Path:
    return ivy_dir() / f"jars-{version}.txt"


def fetched_jars(version: str | None = None) -> list[str] | None:
    """The connector's jars a previous session fetched for this PySpark, if all are
    still there: then no resolution runs (no network, no Ivy report, ~1 s less)."""
    try:
        jars = _manifest(version or pyspark_version()).read_text().split()
    except OSError:
        return None
    local = [j.removeprefix("file://") for j in jars]
    return jars if jars and all(Path(j).is_file() for j in local) else None


def _remember_jars(session: Any) -> None:
    jars = session.sparkContext.getConf().get("spark.jars") or ""
    if "spark-sql-kafka" not in jars:
        return
    manifest = _manifest(session.version)
    try:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        partial = manifest.with_suffix(".partial")
        partial.write_text("\n".join(jars.split(",")) + "\n")
        partial.replace(manifest)
    except OSError as exc:  # the next start resolves them again
        log.info("could not note the connector's jars in %s: %s", manifest, exc)


def session_config(master: str, app_name: str = "alertview-spark") -> dict[str, str]:
    """The settings ``spark_session`` gives; ``spark-submit`` users pass the same."""
    jars = fetched_jars()
    where = (
        {"spark.jars": ",".join(jars)}
        if jars
        else {"spark.jars.packages": kafka_package(), "spark.jars.ivy": str(ivy_dir())}
    )
    config = {
        "spark.master": master,
        "spark.app.name": app_name,
        **where,
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
    _remember_jars(session)
    log.info("Spark %s session in %.1f s", session.version, time.monotonic() - started)
    return session


def fetch_connector() -> Path:
    """Fetch the connector's jars into ``ivy_dir()`` now (CI, before the tests)."""
    if fetched_jars() is None:
        session = spark_session("local[1]", "alertview-fetch")
        session.stop()
    if fetched_jars() is None:
        raise SparkMissing(f"{kafka_package()} was not fetched into {ivy_dir()}")
    return ivy_dir()
