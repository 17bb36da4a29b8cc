"""AlertView's Kafka settings as the options of Spark's Kafka source and sink (Java client).

The same ``--security-protocol``/``--sasl-mechanism``/``--username``/password/CA
options as ``consume``, turned into ``kafka.*`` options. The password goes into
a JAAS line, which Spark would show in its plans and UI: the session redacts
options named like it (``packages.session_config``) and ``remember_secrets`` masks it
in AlertView's own log.
"""

from __future__ import annotations

import json

from alertview.core.errors import UsageError
from alertview.core.logs import remember_secrets
from alertview.core.stream.config import KafkaSettings

_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


def spark_kafka_options(settings: KafkaSettings) -> dict[str, str]:
    """``kafka.*`` options reaching the cluster of ``settings`` (bootstrap aside)."""
    if settings.cert_file or settings.key_file or settings.extra:
        raise UsageError(
            "alertview spark: client certificates and -X settings are not supported yet "
            "(SASL user and password, and a CA file, are)"
        )
    protocol = settings.security_protocol.upper()
    options = {"kafka.security.protocol": protocol}
    if protocol.startswith("SASL"):
        mechanism = (settings.sasl_mechanism or "PLAIN").upper()
        remember_secrets(settings.password)
        options["kafka.sasl.mechanism"] = mechanism
        # JSON strings are valid JAAS quoted strings (backslash and quote escaped)
        options["kafka.sasl.jaas.config"] = (
            f"{_LOGIN_MODULES[mechanism]} required "
            f"username={json.dumps(settings.username or '', ensure_ascii=False)} "
            f"password={json.dumps(settings.password or '', ensure_ascii=False)};"
        )
    if protocol in ("SSL", "SASL_SSL"):
        if settings.ca_file:
            options["kafka.ssl.truststore.type"] = "PEM"
            options["kafka.ssl.truststore.location"] = settings.ca_file
        if not settings.verify:  # the chain is still checked by Java: the host name is not
            options["kafka.ssl.endpoint.identification.algorithm"] = ""
    return options
