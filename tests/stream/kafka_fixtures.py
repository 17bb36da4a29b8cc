"""Real Apache Kafka (the ``kafka`` broker engine) for stream tests.

``tests/stream/conftest.py`` offers them to every stream test; each is started
once per module that uses it (a JVM start is ~3-5 s).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alertview.core.broker.engines import EmbeddedBroker


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
