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

    #: A damaged input whose readable part was still read (``DamagedInput``): worth
    #: telling the user, but not a failure of the run.
    warning = False

    def __init__(self, reason: str, source: str | None = None, offset: int | None = None):
        self.reason = reason
        self.source = source
        self.offset = offset
        #: The unexpected exception behind an ``internal`` error, for ``--debug``.
        self.cause: BaseException | None = None
        super().__init__(self.__str__())

    @classmethod
    def internal(cls, exc: BaseException, source: str | None = None) -> DecodeError:
        """An exception nobody expected, turned into this input's one error line so
        the inputs after it are still read; ``cause`` keeps it for a traceback."""
        error = cls(f"internal error: {type(exc).__name__}: {exc} — please report", source)
        error.cause = exc
        return error

    def located(self, source: str | None = None, offset: int | None = None) -> DecodeError:
        """The same error with its location filled in where it was unknown."""
        error = type(self)(
            self.reason,
            self.source if self.source is not None else source,
            self.offset if self.offset is not None else offset,
        )
        error.cause = self.cause
        return error

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source)
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return ": ".join([*where, self.reason])


class DamagedInput(DecodeError):
    """A file damaged after some complete records (a truncated tail, a short last
    block): the records before the damage were read, this reports the rest."""

    warning = True


class SchemaNotFound(DecodeError):
    """A schema id or label that no configured source knows."""


class CutoutError(AlertViewError):
    """A cutout stamp that is missing or cannot be decoded."""
