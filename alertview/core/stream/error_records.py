"""What the stream keeps of a message it could not decode: an error record.

Nothing received is lost: the record holds the message's bytes, so that it
can be decoded once its schema is known. A stream written with a schema id
that no source knows fails alike on every message; ``UnknownSchemas`` marks
all but the first as repeats, so that the id is said once, with a count.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass, field

from alertview.core.avro.packets import confluent_schema_id
from alertview.core.errors import DecodeError, SchemaNotFound


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A message that could not be turned into alerts: kept, reported, never dropped."""

    topic: str
    partition: int
    offset: int
    reason: str
    #: The traceback of an internal error (for --debug and the log), else None.
    detail: str | None = None
    #: The Confluent schema id that could not be found, else None.
    schema_id: int | None = None
    #: A later message with an unknown ``schema_id`` already reported: kept, not said again.
    repeat: bool = False
    #: The message's bytes, stored so that it can be decoded once its schema is known.
    packet: bytes | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}: {self.reason}"

    @classmethod
    def of(cls, error: DecodeError, topic: str, partition: int, offset: int) -> ErrorRecord:
        """The record of ``error``, with the traceback of an internal error's cause."""
        cause = error.cause
        detail = None if cause is None else "".join(traceback.format_exception(cause))
        return cls(topic, partition, offset, error.reason, detail)


class UnknownSchemas:
    """Counts the messages per schema id that could not be found. One consumer's thread."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def classify(self, record: ErrorRecord, exc: Exception, value: bytes | None) -> ErrorRecord:
        """``record`` with the message's bytes and, for a Confluent frame whose schema id
        is unknown, that id (a repeat after the id's first message)."""
        value = value or b""
        schema_id = confluent_schema_id(value)
        if isinstance(exc, SchemaNotFound) and schema_id is not None:
            count = self._counts.get(schema_id, 0) + 1
            self._counts[schema_id] = count
            return dataclasses.replace(
                record, schema_id=schema_id, repeat=count > 1, packet=bytes(value)
            )
        return dataclasses.replace(record, packet=bytes(value) or None)

    @property
    def counts(self) -> dict[int, int]:
        """Schema id -> messages that named it."""
        return dict(self._counts)
