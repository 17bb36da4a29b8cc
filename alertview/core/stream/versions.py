"""Versions of the Kafka client in use, for Help → About and bug reports (this package
is the only one that imports confluent_kafka)."""

from __future__ import annotations

import confluent_kafka


def kafka_versions() -> tuple[str, str]:
    """(confluent-kafka, librdkafka): the Python client's version and the C library's
    it runs on (they may differ: the wheel bundles its own librdkafka)."""
    return confluent_kafka.version()[0], confluent_kafka.libversion()[0]
