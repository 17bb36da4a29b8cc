"""Connection settings for real Kafka clusters, turned into librdkafka settings, and
what librdkafka says back about the connection (``BrokerHealth``)."""

from __future__ import annotations

import logging
import os
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaError

from alertview.core.avro.detail import Detail
from alertview.core.errors import AlertViewError
from alertview.core.logs import KAFKA_LOGGER, remember_secrets
from alertview.core.stream.failures import REFUSED_WORDS, describe

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
#: Alert packets reach ~100 KB, bursts of history can pass 10 MB: allow 16 MB.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: librdkafka's own log lines go here instead of stderr: to the log file, and to stderr
#: with --debug (``logs.logging_to``); nowhere when no entry point configured a log.
KAFKA_LOG = logging.getLogger(KAFKA_LOGGER)
KAFKA_LOG.addHandler(logging.NullHandler())
KAFKA_LOG.propagate = False
#: librdkafka settings that hold secrets (masked in the log when a client is made).
SECRET_SETTING = re.compile(r"password|secret|jaas|\.pem$|token", re.IGNORECASE)
#: syslog levels librdkafka logs at: warnings, or everything (7) when debugging.
_KAFKA_WARNING, _KAFKA_DEBUG = 4, 7
log = logging.getLogger(__name__)


class StreamError(AlertViewError):
    """A Kafka problem worth one clear line to the user."""


def kafka_log_settings() -> dict[str, Any]:
    """librdkafka's log into ``KAFKA_LOG``, at the level it is read: warnings, or
    everything librdkafka says unasked (syslog level 7) when debugging (``--debug``)."""
    debug = KAFKA_LOG.isEnabledFor(logging.DEBUG)
    return {"log_level": _KAFKA_DEBUG if debug else _KAFKA_WARNING, "logger": KAFKA_LOG}


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
    #: Check the broker's certificate and host name (SSL, SASL_SSL). False only on the
    #: user's explicit, insecure request (``--insecure-no-verify``, the dialog's box).
    verify: bool = True
    #: Any other librdkafka setting, passed through unchanged (wins over ours).
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets

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
        for what, path in (
            ("CA file", self.ca_file),
            ("client certificate", self.cert_file),
            ("client key", self.key_file),
        ):
            if path and not os.path.isfile(path):  # librdkafka's own words: "BIO lib"
                raise StreamError(f"{what} {path} is not a file")

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
            # a broker gone shows as "all brokers down" only once librdkafka has tried it
            # again, and its backoff grows to 10 s by default: an outage was noticed after
            # 0.5-9.7 s on Apache Kafka 4.1, ~0.3 s with this
            "reconnect.backoff.max.ms": 1000,
            **kafka_log_settings(),
        }
        remember_secrets(
            self.password,
            self.key_password,
            *(str(v) for k, v in self.extra.items() if SECRET_SETTING.search(k)),
        )
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
            # librdkafka's defaults too, but said here: nothing else may turn them off
            config["enable.ssl.certificate.verification"] = self.verify
            config["ssl.endpoint.identification.algorithm"] = "https" if self.verify else "none"
        config.update(self.extra)
        return config


@dataclass(frozen=True)
class ConsumerSettings:
    """What to read and from where; ``start`` is earliest, latest, committed or a time."""

    kafka: KafkaSettings
    topics: tuple[str, ...]
    group_id: str
    start: str | datetime = "committed"
    batch_size: int = 500
    poll_timeout: float = 0.2
    #: Tansu joins a group in ~3 s at 6 s, ~20 s with librdkafka's 45 s default.
    session_timeout_ms: int = 6000
    #: How much of each alert to decode: the viewer asks for the table's fields
    #: (``Detail.TABLE``; ``decode.HistoryCompletion`` counts the history later).
    detail: Detail = Detail.FULL

    def consumer_config(self) -> dict[str, Any]:
        config = {
            **self.kafka.client_config(),
            "group.id": self.group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "latest" if self.start == "latest" else "earliest",
            "session.timeout.ms": self.session_timeout_ms,
            "heartbeat.interval.ms": max(500, self.session_timeout_ms // 3),
            "max.partition.fetch.bytes": MAX_MESSAGE_BYTES,
            "fetch.max.bytes": 2 * MAX_MESSAGE_BYTES,
            # librdkafka's default (1000 ms) halves the rate of a Python decoder.
            "fetch.queue.backoff.ms": 10,
        }
        config.update({k: v for k, v in self.kafka.extra.items() if k not in config})
        return config


#: Error codes that say why a connection fails, most telling first: a certificate
#: or a password beats "Connection refused", which beats "1/1 brokers are down".
_TELLING = (
    KafkaError._SSL,
    KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError._AUTHENTICATION,
    KafkaError._RESOLVE,
    KafkaError._TRANSPORT,
)
#: A certificate or a password refused: trying again for the rest of the timeout is vain.
_REFUSALS = _TELLING[:3]
#: librdkafka prefixes a broker's name ("ssl://host:9093/bootstrap: ") and appends
#: its state ("(after 1ms in state SSL_HANDSHAKE)"): noise in a one-line message.
#: librdkafka's names for the connection an error came on: "host:port/bootstrap: ",
#: "sasl_ssl://host:port/1: ", "GroupCoordinator: host:port: ", "GroupCoordinator/1: ".
_BROKER_PREFIX = re.compile(
    r"^(?:GroupCoordinator(?:/\d+)?: )?"
    r"(?:(?:[a-z_]+://)?[\w.\-\[\]:]*:\d+(?:/(?:bootstrap|-?\d+))?: )?"
)
_STATE_SUFFIX = re.compile(r"\s*\(after \d+ms in state \w+\)$")


#: Statistics reports in a row with no broker up that make an outage (2 s apart).
STATS_NONE_UP = 2


class BrokerHealth:
    """What librdkafka's error callback says about the connection: pass it as ``error_cb``.

    A failed metadata request only says "Local: Broker transport failure"; the
    reason (a certificate that does not verify, a refused connection) comes
    through the error callback, which runs in the client's next poll. An
    outage is announced once, when every broker is down, and its end once, when
    a broker is up again or messages flow (``news``): librdkafka reconnects by
    itself, but the user should know the stream stood still, and for how long.
    """

    def __init__(
        self, bootstrap: str, keep: int = 20, settings: KafkaSettings | None = None
    ) -> None:
        self.bootstrap = bootstrap
        #: Names the user and mechanism, and the CA file, in ``failure``'s line.
        self.settings = settings
        self._recent: deque[tuple[float, int, str]] = deque(maxlen=keep)
        self._down_since: float | None = None
        self._announced = False
        self._news: list[str] = []
        self._seen_up = False  # a broker answered once: none up since is an outage
        self._reports_none_up = 0
        self._none_up_since = 0.0

    def __call__(self, error: KafkaError) -> None:
        self._recent.append((time.monotonic(), error.code(), error.str()))
        if error.code() == KafkaError._ALL_BROKERS_DOWN and self._down_since is None:
            self._down_since = time.monotonic()
            self._announced = False

    @property
    def down(self) -> bool:
        """Every broker was unreachable at last report, and none answered since."""
        return self._down_since is not None

    @property
    def down_since(self) -> float | None:
        """When (``time.monotonic()``) every broker became unreachable; None when up."""
        return self._down_since

    @property
    def refused(self) -> bool:
        """A certificate or a password was refused: trying again will not help."""
        return any(
            code in _REFUSALS or any(word in text for word in REFUSED_WORDS)
            for _, code, text in self._recent
        )

    def reason(self, since: float = 0.0) -> str | None:
        """The most telling error reported from ``since`` (monotonic time) on, without
        librdkafka's broker prefix."""
        recent = [(code, text) for at, code, text in self._recent if at >= since]
        for wanted in _TELLING:
            for code, text in reversed(recent):
                if code == wanted:
                    return _tidy(text)
        return _tidy(recent[-1][1]) if recent else None

    def failure(self, fallback: str = "no answer") -> StreamError:
        """The one-line error for a connection that failed: the telling reason,
        named (``authentication failed for user …``, ``certificate not trusted (…)``)."""
        return unreachable(self.bootstrap, self.reason() or fallback, self.settings)

    def reachable(self) -> None:
        """A broker answered (messages arrived, or statistics show one up)."""
        if self._down_since is None:
            return
        if self._announced:
            seconds = time.monotonic() - self._down_since
            self._say(f"Kafka at {self.bootstrap} is reachable again (after {seconds:.0f} s)")
        self._down_since = None

    def saw_statistics(self, stats: Mapping[str, Any]) -> None:
        """A broker up: reachable. None up, the group coordinator's connection neither,
        in ``STATS_NONE_UP`` reports in a row, after one was: down. librdkafka reports
        all brokers down only once each of them went down, and one it never connected
        to (the bootstrap address, once the cluster named its brokers) may stay in
        INIT: the outage went unsaid (a CI run waited 15 s for it)."""
        brokers = stats.get("brokers") or {}
        states = [
            info.get("state") for name, info in brokers.items() if name != "GroupCoordinator"
        ]
        if "UP" in states:
            self._seen_up = True
            self._reports_none_up = 0
            self.reachable()
            return
        # the group coordinator's connection still up: not an outage (an idle one)
        coordinator = (brokers.get("GroupCoordinator") or {}).get("state")
        if not (self._seen_up and states) or coordinator == "UP":
            self._reports_none_up = 0
            return
        self._reports_none_up += 1
        if self._reports_none_up == 1:
            self._none_up_since = time.monotonic()
        if self._reports_none_up >= STATS_NONE_UP and self._down_since is None:
            self._down_since = self._none_up_since
            self._announced = False

    def news(self) -> list[str]:
        """Lines worth telling the user since the last call (each outage once)."""
        if self._down_since is not None and not self._announced:
            self._announced = True
            reason = self.reason(since=self._down_since - 1) or "all brokers are down"
            self._say(f"lost contact with Kafka at {self.bootstrap} ({reason}); retrying")
        news, self._news = self._news, []
        return news

    def _say(self, line: str) -> None:
        log.info("%s", line)
        self._news.append(line)


def _tidy(text: str) -> str:
    return _STATE_SUFFIX.sub("", _BROKER_PREFIX.sub("", text))


def unreachable(
    bootstrap: str, error: object, settings: KafkaSettings | None = None
) -> StreamError:
    """The one message for a cluster that does not answer or refuses us: its cause
    (``failures.describe``); ``settings`` name the user and the CA file."""
    return StreamError(describe(str(error), bootstrap, settings))
