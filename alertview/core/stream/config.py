"""Connection settings for real Kafka clusters, turned into librdkafka settings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alertview.core.errors import AlertViewError

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
#: Alert packets reach ~100 KB, bursts of history can pass 10 MB: allow 16 MB.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: librdkafka's own log lines go here instead of stderr; shown with --debug.
KAFKA_LOG = logging.getLogger("alertview.kafka")
KAFKA_LOG.addHandler(logging.NullHandler())
KAFKA_LOG.propagate = False


class StreamError(AlertViewError):
    """A Kafka problem worth one clear line to the user."""


@dataclass(frozen=True)
class KafkaSettings:
    """Where a cluster is and how to authenticate to it."""

    bootstrap: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    key_password: str | None = field(default=None, repr=False)
    #: Any other librdkafka setting, passed through unchanged (wins over ours).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bootstrap:
            raise StreamError("no bootstrap servers given")
        if self.security_protocol.upper() not in SECURITY_PROTOCOLS:
            raise StreamError(
                f"security protocol {self.security_protocol!r} is not one of "
                f"{', '.join(SECURITY_PROTOCOLS)}"
            )
        if self.sasl_mechanism and self.sasl_mechanism.upper() not in SASL_MECHANISMS:
            raise StreamError(
                f"SASL mechanism {self.sasl_mechanism!r} is not one of "
                f"{', '.join(SASL_MECHANISMS)}"
            )

    def client_config(self) -> dict[str, Any]:
        """Settings shared by producers, consumers and admin clients."""
        protocol = self.security_protocol.upper()
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": protocol,
            "message.max.bytes": MAX_MESSAGE_BYTES,
            "socket.keepalive.enable": True,
            # librdkafka's notices (disconnects of idle connections) are not errors
            "log.connection.close": False,
            "log_level": 4,
            "logger": KAFKA_LOG,
        }
        if protocol.startswith("SASL"):
            config["sasl.mechanism"] = (self.sasl_mechanism or "PLAIN").upper()
            if self.username is not None:
                config["sasl.username"] = self.username
            if self.password is not None:
                config["sasl.password"] = self.password
        if protocol in ("SSL", "SASL_SSL"):
            for key, value in (
                ("ssl.ca.location", self.ca_file),
                ("ssl.certificate.location", self.cert_file),
                ("ssl.key.location", self.key_file),
                ("ssl.key.password", self.key_password),
            ):
                if value:
                    config[key] = value
        config.update(self.extra)
        return config


def unreachable(bootstrap: str, error: object) -> StreamError:
    """The one message for a cluster that does not answer."""
    return StreamError(f"cannot reach Kafka at {bootstrap} ({error})")
