"""Versions of the Kafka client in use, for Help → About and bug reports (this package
is the only one that imports confluent_kafka)."""

from __future__ import annotations

import confluent_kafka


def _text(version: object) -> str:
    """confluent_kafka says ``(text, number)`` for librdkafka, and (in 2.x) a bare
    string for itself; older releases a tuple for both."""
    return str(version[0] if isinstance(version, tuple) else version)


def kafka_versions() -> tuple[str, str]:
    """(confluent-kafka, librdkafka): the Python client's version and the C library's
    it runs on (they may differ: the wheel bundles its own librdkafka)."""
    return _text(confluent_kafka.version()), _text(confluent_kafka.libversion())
