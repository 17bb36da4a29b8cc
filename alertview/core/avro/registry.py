"""Schemas from a Confluent-compatible schema registry."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from alertview.core.errors import SchemaNotFound
from alertview.core.logs import remember_secrets
from alertview.core.urls import redact_text, redact_url, secret_forms, split_credentials

log = logging.getLogger(__name__)

#: confluent-kafka's registry client setting for HTTP Basic credentials, "user:password".
BASIC_AUTH = "basic.auth.user.info"


def registry_config(url: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """confluent-kafka's client settings for ``url``: credentials written into the URL
    move to ``basic.auth.user.info``, so the URL the client keeps (and its HTTP
    library logs) carries none. Credentials already in ``config`` win."""
    base, user, password = split_credentials(url)
    settings = {**(config or {}), "url": base}
    if user is not None or password is not None:
        if BASIC_AUTH in settings:
            log.warning("%s: credentials in the URL ignored for the given ones", redact_url(url))
        else:
            settings[BASIC_AUTH] = f"{user or ''}:{password or ''}"
    return settings


class RegistryClient:
    """Fetches schema texts by id; confluent-kafka's client brings auth, TLS and retries.

    Every message it raises names the registry by its redacted URL and has the
    credentials masked, whatever the HTTP library wrote into its own error.
    """

    def __init__(self, url: str, config: Mapping[str, Any] | None = None) -> None:
        from confluent_kafka.schema_registry import SchemaRegistryClient

        #: The registry's URL fit to show: no user name or password in it.
        self.url = redact_url(url)
        settings = registry_config(url, config)
        user, _, password = str(settings.get(BASIC_AUTH, "")).partition(":")
        self._secrets = secret_forms(password, f"{user}:{password}" if password else None)
        remember_secrets(password, f"{user}:{password}" if password else None)  # logs too
        try:
            self._client = SchemaRegistryClient(settings)
        except (ValueError, TypeError) as exc:  # "Invalid url ..." repeats the URL
            raise SchemaNotFound(f"schema registry {self.url}: {self._redact(exc)}") from None

    def _redact(self, exc: BaseException) -> str:
        return redact_text(str(exc), self._secrets)

    def schema_text(self, schema_id: int) -> str | None:
        """The schema registered under ``schema_id``, or None if the registry has none."""
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        try:
            return self._client.get_schema(schema_id).schema_str
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                return None
            raise SchemaNotFound(
                f"schema registry {self.url} failed for id {schema_id}: {self._redact(exc)}"
            ) from None
        except Exception as exc:  # network errors come in many library types
            raise SchemaNotFound(
                f"schema registry {self.url} unreachable for id {schema_id}: {self._redact(exc)}"
            ) from None
