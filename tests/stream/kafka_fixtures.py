"""Real Apache Kafka (the ``kafka`` broker engine) for stream tests.

A test module imports the fixtures it uses, each started once per module (a
JVM start is ~3-5 s)::

    from tests.stream.kafka_fixtures import real_kafka  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alertview.core.broker import EmbeddedBroker


@pytest.fixture(scope="module")
def real_kafka() -> Iterator[EmbeddedBroker]:
    """Apache Kafka over PLAINTEXT, on a free port, data in a temporary folder."""
    with EmbeddedBroker("kafka") as broker:
        yield broker


@pytest.fixture(scope="module")
def secured_kafka() -> Iterator[EmbeddedBroker]:
    """Apache Kafka over SASL_SSL (SCRAM-SHA-512, its own CA): ``broker.kafka_settings()``
    has the user, password and CA file."""
    with EmbeddedBroker("kafka", security="sasl_ssl") as broker:
        yield broker
