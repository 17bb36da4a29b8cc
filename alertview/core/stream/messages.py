"""What crosses the pipe between the viewer and its stream's process, typed.

The child sends news (one of the ``StreamNews`` classes); the viewer sends
``Command``s. Both are pickled by ``multiprocessing``, so each is a small
frozen value, and a reader dispatches on the class (``match``), never on a
string and a positional tuple.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

#: A table row as the store writes it (``core.table.rows.ROW_FIELDS`` order).
Row = tuple
#: (row, n_detections, n_upper_limits, n_forced, schema) of a row completed later.
CompletedRow = tuple[int, int, int, int, str | None]


class Command(StrEnum):
    """What the viewer asks of its stream's process."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True)
class BrokerStatus:
    """Whether the broker answers, sent as ``HealthChanged`` each time that changes:
    an outage must show even while no alert arrives."""

    #: When the outage began (seconds since the epoch), or None: the broker answers.
    down_since: float | None = None
    #: librdkafka's most telling reason, e.g. "Connection refused".
    reason: str | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def describe(self) -> str:
        """The status bar's words: "broker unreachable since 01:02:03" (local time)."""
        if self.down_since is None:
            return ""
        since = time.strftime("%H:%M:%S", time.localtime(self.down_since))
        return f"broker unreachable since {since}"


@dataclass(frozen=True)
class RowsStored:
    """Rows stored (and synced) since the last news, with what they came from."""

    rows: list[Row]
    #: Kafka messages read, including those that held no alert.
    messages: int
    #: Messages that could not be read (each is in the store's errors).
    errors: int


@dataclass(frozen=True)
class StateChanged:
    """A one-line state for the status bar ("connecting to ...", "receiving", "paused")."""

    text: str


@dataclass(frozen=True)
class Failed:
    """The stream cannot go on (wrong host, refused password, unknown topic, a bug)."""

    reason: str


@dataclass(frozen=True)
class LagChanged:
    """Messages still to read, from librdkafka's statistics (None: not known yet)."""

    lag: int | None


@dataclass(frozen=True)
class HistoryCompleted:
    """Rows whose light-curve counts were filled in while the stream was idle."""

    rows: list[CompletedRow]


@dataclass(frozen=True)
class HealthChanged:
    """The broker stopped or started answering again."""

    status: BrokerStatus


@dataclass(frozen=True)
class StorageStopped:
    """The session cannot store more (its disk is nearly full): nothing more is kept
    and no offset is committed from here on, so nothing is lost; the stream tries
    again every few seconds and sends ``StorageResumed`` once it can."""

    #: One line for the status bar and the errors panel (free space, folder).
    reason: str


@dataclass(frozen=True)
class StorageResumed:
    """Storing goes on after a ``StorageStopped`` (space was freed)."""


StreamNews = (
    RowsStored
    | StateChanged
    | Failed
    | LagChanged
    | HistoryCompleted
    | HealthChanged
    | StorageStopped
    | StorageResumed
)
