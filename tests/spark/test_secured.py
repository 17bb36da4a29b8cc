"""The job over SASL_SSL (SCRAM-SHA-512, the broker's own CA): read, filter, forward,
and the password in none of Spark's plans or progress reports."""

from __future__ import annotations

import json
import uuid

from confluent_kafka import Consumer

from alertview.core.alert import Origin
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.spark.job import JobOptions, stream_query
from alertview.core.spark.kafka_auth import spark_kafka_options
from alertview.core.table.filters import parse_filter
from tests.spark.conftest import sent_messages
from tests.stream.kafka_data import produce
from tests.stream.kafka_fixtures import secured_kafka  # noqa: F401


def test_a_secured_cluster_is_read_and_written(spark, secured_kafka, tmp_path):  # noqa: F811
    settings = secured_kafka.kafka_settings()
    sent = [s for s in sent_messages() if s.framing == "native"][:60]
    topic, to_topic = f"in-{uuid.uuid4().hex[:8]}", f"out-{uuid.uuid4().hex[:8]}"
    produce(settings, topic, [(s.key, s.value) for s in sent])
    options = JobOptions(
        filter="mag < 18.5",
        to_topic=to_topic,
        parquet=tmp_path / "alerts",
        bootstrap=settings.bootstrap,
        topic=topic,
        start="earliest",
        once=True,
        kafka=spark_kafka_options(settings),
    )
    query = stream_query(spark, options)
    query.awaitTermination(180)
    assert query.exception() is None
    progress = json.dumps([p.json for p in query.recentProgress])
    plan = query._jsq.explainInternal(True)  # what explain() and the UI show
    assert "kafka" in plan.lower() and settings.password
    assert settings.password not in progress and settings.password not in plan
    consumer = Consumer(
        {**settings.client_config(), "group.id": "check", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([to_topic])
    got = []
    for _ in range(60):
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            got.append(message.value())
        elif got:
            break
    consumer.close()
    alert_filter, cache = parse_filter("mag < 18.5"), SchemaCache()
    expected = {
        s.value
        for s in sent
        if alert_filter(next(decode_bytes(s.value, cache, origin=Origin("x"), key=s.key)))
    }
    assert 0 < len(expected) < len(sent)
    assert sorted(got) == sorted(expected)
