"""Why a connection to Kafka failed, in one line the user can act on.

librdkafka says "certificate verify failed" for an unknown CA and for a
certificate issued to another host alike, and never names the SASL user. The
first is told apart by one TLS handshake of our own (Python's ``ssl`` reports
OpenSSL's verify result); the second comes from the settings.
"""

from __future__ import annotations

import re
import socket
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alertview.core.stream.config import KafkaSettings

#: Seconds for the diagnosing handshake: the broker answered librdkafka just before.
_HANDSHAKE_TIMEOUT = 3.0
_MECHANISM = re.compile(r"SASL mechanism ([A-Z0-9-]+)")
#: TLS alerts a server sends about the certificate a client presented.
_CLIENT_CERTIFICATE_REFUSED = (
    "alert unknown ca",
    "alert bad certificate",
    "alert certificate unknown",
)
#: Words that end a connection attempt at once: trying again cannot help.
REFUSED_WORDS = ("alert certificate required", *_CLIENT_CERTIFICATE_REFUSED)
_OFFERED = re.compile(
    r"SASL (\S+) mechanism handshake failed: .*supported mechanisms: ([A-Z0-9_, -]+)"
)


def describe(reason: str | None, bootstrap: str, settings: KafkaSettings | None = None) -> str:
    """The one line for a connection that failed with librdkafka's ``reason``."""
    text = reason or "no answer"
    lowered = text.lower()
    offered = _OFFERED.search(text)
    if offered:
        return (
            f"SASL mechanism {offered.group(1)} is not offered by Kafka at {bootstrap} "
            f"(it offers {offered.group(2)})"
        )
    if "alert certificate required" in lowered:
        return f"Kafka at {bootstrap} asks for a client certificate (--cert-file and --key-file)"
    if any(alert in lowered for alert in _CLIENT_CERTIFICATE_REFUSED):
        return f"Kafka at {bootstrap} refused the client certificate ({_tls_alert(text)})"
    if "sasl authentication error" in lowered or "authentication failed" in lowered:
        return _authentication(text, settings)
    if "certificate verify failed" in lowered:
        return _certificate(text, bootstrap, settings)
    if "ssl handshake failed" in lowered:
        detail = text.split(": ", 1)[-1]
        return f"TLS handshake with {bootstrap} failed ({detail})"
    return f"cannot reach Kafka at {bootstrap} ({text})"


def _tls_alert(text: str) -> str:
    """``tlsv1 alert unknown ca`` out of OpenSSL's "error:…:SSL routines::… : SSL alert …"."""
    found = re.search(r"((?:tlsv1\d?|sslv3) alert [a-z ]+)", text)
    return found.group(1) if found else text


def _authentication(text: str, settings: KafkaSettings | None) -> str:
    found = _MECHANISM.search(text)
    mechanism = found.group(1) if found else None
    if settings is not None:
        mechanism = (settings.sasl_mechanism or mechanism or "PLAIN").upper()
        user = settings.username or "(none)"
        return f"authentication failed for user {user} (SASL {mechanism})"
    return f"authentication failed (SASL {mechanism or 'unknown mechanism'})"


def _certificate(text: str, bootstrap: str, settings: KafkaSettings | None) -> str:
    if settings is not None:  # without them, which CA the client used is unknown
        for host, port in servers(bootstrap):
            found = tls_verify_problem(host, port, settings.ca_file)
            if found:
                return found
    return (
        f"certificate not trusted (the certificate of {bootstrap} could not be verified "
        "against the CA file, or was issued for another host)"
    )


def servers(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port`` pairs of a bootstrap list (``[v6]:port`` too); malformed ones left out."""
    found = []
    for item in bootstrap.split(","):
        host, _, port = item.strip().rpartition(":")
        if "://" in host:
            host = host.split("://", 1)[1]
        if host and port.isdigit():
            found.append((host.strip("[]"), int(port)))
    return found


def tls_verify_problem(host: str, port: int, ca_file: str | None) -> str | None:
    """Why ``host:port``'s certificate fails verification against ``ca_file`` (the
    system's CAs when None), in the words of the one-line messages; None if it
    verifies or the handshake fails for another reason."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        return f"certificate not trusted (CA file {ca_file} unusable: {exc})"
    try:
        with (
            socket.create_connection((host, port), _HANDSHAKE_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return None
    except ssl.SSLCertVerificationError as exc:
        message = (exc.verify_message or str(exc)).rstrip(".")
        if "mismatch" in message.lower():
            return f"certificate does not match host {host} ({message})"
        return f"certificate not trusted ({message})"
    except (OSError, ssl.SSLError):
        return None
