"""Pure parts of the Spark job: progress lines, Kafka security options, --files, packages."""

from __future__ import annotations

import pytest

from alertview.cli import main
from alertview.core.errors import UsageError
from alertview.core.spark.job import JobOptions, check_parquet_owner, expand_files, files_to_read
from alertview.core.spark.kafka_auth import spark_kafka_options
from alertview.core.spark.packages import (
    fetched_jars,
    kafka_package,
    pyspark_version,
    session_config,
)
from alertview.core.spark.progress import BatchCounts, Progress, lag_of
from alertview.core.stream.config import KafkaSettings


def test_a_progress_line_joins_a_batchs_counts_with_its_lag_whichever_comes_first():
    lines: list[str] = []
    progress = Progress(lines.append)
    progress.batch_done(BatchCounts(0, alerts=1000, matched=30, errors=1, seconds=2.0))
    progress.progressed(1, 50)  # the report of batch 1 before its counts
    progress.progressed(0, 1200)
    progress.batch_done(BatchCounts(1, alerts=100, matched=3, seconds=0.5))
    progress.batch_done(BatchCounts(2, alerts=10))
    progress.progressed(0, 1200)  # given again (the query's own list after the end)
    progress.flush()  # the query stopped before batch 2's report
    assert lines == [
        "batch 0: 1000 alerts in, 30 matched, 1 errors, 500 alerts/s, lag 1200",
        "batch 1: 100 alerts in, 3 matched, 0 errors, 200 alerts/s, lag 50",
        "batch 2: 10 alerts in, 0 matched, 0 errors, 0 alerts/s, lag ?",
    ]
    assert (progress.total.alerts, progress.total.matched, progress.total.errors) == (1110, 33, 1)


def test_lag_is_latest_minus_end_offsets_over_partitions():
    report = {
        "sources": [
            {
                "endOffset": {"alerts": {"0": 100, "1": 50}},
                "latestOffset": {"alerts": {"0": 160, "1": 50}},
            }
        ]
    }
    assert lag_of(report) == 60
    assert lag_of({"sources": [{"endOffset": None, "latestOffset": None}]}) is None


def test_counts_from_spark_rows():
    counts = BatchCounts.of(3, [("alert", True, 5), ("alert", False, 95), ("error", False, 2)])
    assert (counts.alerts, counts.matched, counts.errors) == (100, 5, 2)


def test_sasl_ssl_becomes_a_jaas_line_and_a_pem_truststore(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = KafkaSettings(
        "b:9092",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        username="alice",
        password='p"w\\d',
        ca_file=str(ca),
    )
    options = spark_kafka_options(settings)
    assert options["kafka.security.protocol"] == "SASL_SSL"
    assert options["kafka.sasl.mechanism"] == "SCRAM-SHA-512"
    assert options["kafka.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="alice" password="p\\"w\\\\d";'
    )
    assert options["kafka.ssl.truststore.location"] == str(ca)
    assert spark_kafka_options(KafkaSettings("b:9092")) == {"kafka.security.protocol": "PLAINTEXT"}
    with pytest.raises(UsageError, match="not supported"):
        spark_kafka_options(KafkaSettings("b:9092", extra={"debug": "all"}))


def test_files_are_a_folders_files_a_glob_or_one_file(tmp_path):
    (tmp_path / "night" / "sub").mkdir(parents=True)
    for name in ("night/b.avro", "night/a.avro", "night/sub/c.avro", "night/.hidden"):
        (tmp_path / name).write_bytes(b"x")
    found = [p.removeprefix(str(tmp_path) + "/") for p in expand_files(str(tmp_path / "night"))]
    assert found == ["night/a.avro", "night/b.avro", "night/sub/c.avro"]
    assert len(expand_files(str(tmp_path / "night" / "*.avro"))) == 2
    assert expand_files(str(tmp_path / "night" / "a.avro")) == [str(tmp_path / "night/a.avro")]
    options = JobOptions(parquet=tmp_path / "out")
    with pytest.raises(UsageError, match="no such file"):
        files_to_read(str(tmp_path / "nothing*"), options)
    with pytest.raises(UsageError, match="--parquet"):
        files_to_read(str(tmp_path / "night"), JobOptions())
    with pytest.raises(UsageError, match="--to-topic"):
        files_to_read(str(tmp_path / "night"), JobOptions(to_topic="t", parquet=tmp_path))


def test_checkpoint_defaults_under_the_parquet_folder(tmp_path):
    assert JobOptions(parquet=tmp_path).checkpoint_dir == tmp_path / "_checkpoint"
    assert JobOptions(parquet=tmp_path).errors_dir == tmp_path / "_errors"
    with pytest.raises(UsageError, match="--checkpoint"):
        JobOptions().checkpoint_dir  # noqa: B018


def test_the_connector_matches_pyspark():
    version = pyspark_version()
    assert kafka_package() == f"org.apache.spark:spark-sql-kafka-0-10_2.13:{version}"
    config = session_config("local[2]")
    jars = fetched_jars()  # after a first session (CI fetches it before the tests)
    if jars is None:
        assert config["spark.jars.packages"] == kafka_package()
    else:
        assert config["spark.jars"].split(",") == jars
        assert any(f"spark-sql-kafka-0-10_2.13-{version}.jar" in j for j in jars)
    assert config["spark.sql.sources.partitionOverwriteMode"] == "dynamic"


def test_a_non_ascii_password_reaches_the_jaas_line_as_it_is():
    settings = KafkaSettings(
        "b:9092", security_protocol="SASL_PLAINTEXT", username="zoë", password="pässwort"
    )
    jaas = spark_kafka_options(settings)["kafka.sasl.jaas.config"]
    assert 'username="zoë" password="pässwort";' in jaas  # JAAS reads no \\u escapes


def test_a_parquet_folder_is_never_shared_by_two_jobs(tmp_path):
    """Batch ids restart at 0 in a new checkpoint: a second job's batch 0 would replace
    the first's ``batch=0`` rows, silently."""
    out = tmp_path / "out"
    check_parquet_owner(JobOptions(parquet=out), files=False)  # no folder yet: fine
    (out / "night=20260301" / "survey=ztf" / "batch=0").mkdir(parents=True)
    check_parquet_owner(JobOptions(parquet=out), files=True)  # a --files rerun replaces
    with pytest.raises(UsageError, match="another job's rows"):
        check_parquet_owner(JobOptions(parquet=out), files=False)
    with pytest.raises(UsageError, match="another job's rows"):
        check_parquet_owner(JobOptions(parquet=out, checkpoint=tmp_path / "ck"), files=False)
    (out / "_checkpoint" / "offsets").mkdir(parents=True)  # the stream that wrote them
    check_parquet_owner(JobOptions(parquet=out), files=False)  # continues: fine
    with pytest.raises(UsageError, match="a stream's rows"):
        check_parquet_owner(JobOptions(parquet=out), files=True)


def test_the_command_refuses_a_shared_folder_before_spark_starts(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "night=20260301" / "survey=ztf" / "batch=0").mkdir(parents=True)
    argv = ["spark", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--parquet", str(out)]
    assert main(argv) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("alertview: --parquet") and "\n" not in error
