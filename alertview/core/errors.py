"""Domain errors raised by the core, carrying where the problem is."""

from __future__ import annotations


class AlertViewError(Exception):
    """Base of every error the core reports to a user."""


class UsageError(AlertViewError):
    """A command called the wrong way."""


class DecodeError(AlertViewError):
    """Bytes that could not be turned into an alert.

    The message names the source (file, archive member or Kafka coordinates),
    the byte offset where it is known, and the reason, so a user can find the
    bad packet without a traceback.
    """

    def __init__(self, reason: str, source: str | None = None, offset: int | None = None):
        self.reason = reason
        self.source = source
        self.offset = offset
        super().__init__(self.__str__())

    def located(self, source: str | None = None, offset: int | None = None) -> DecodeError:
        """The same error with its location filled in where it was unknown."""
        return DecodeError(
            self.reason,
            self.source if self.source is not None else source,
            self.offset if self.offset is not None else offset,
        )

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source)
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return ": ".join([*where, self.reason])


class SchemaNotFound(DecodeError):
    """A schema id or label that no configured source knows."""


class CutoutError(AlertViewError):
    """A cutout stamp that is missing or cannot be decoded."""
