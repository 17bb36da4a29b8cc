"""Schemas from a Confluent-compatible schema registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertview.core.errors import SchemaNotFound


class RegistryClient:
    """Fetches schema texts by id; confluent-kafka's client brings auth, TLS and retries."""

    def __init__(self, url: str, config: Mapping[str, Any] | None = None) -> None:
        from confluent_kafka.schema_registry import SchemaRegistryClient

        self.url = url
        self._client = SchemaRegistryClient({"url": url, **(config or {})})

    def schema_text(self, schema_id: int) -> str | None:
        """The schema registered under ``schema_id``, or None if the registry has none."""
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        try:
            return self._client.get_schema(schema_id).schema_str
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                return None
            raise SchemaNotFound(
                f"schema registry {self.url} failed for id {schema_id}: {exc}"
            ) from None
        except Exception as exc:  # network errors come in many library types
            raise SchemaNotFound(
                f"schema registry {self.url} unreachable for id {schema_id}: {exc}"
            ) from None
