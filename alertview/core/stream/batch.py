"""What one poll of the stream brought: alerts, failures, and the offsets they advance
to (kept apart from the consumer that fills it: the pipeline and the viewer's stream
process hand it on)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alertview.core.alert import Alert
from alertview.core.stream.error_records import ErrorRecord


@dataclass
class Batch:
    """What one poll brought: alerts, failures, and the offsets they advance to."""

    alerts: list[Alert] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    #: (topic, partition) -> next offset to read, once this batch is stored.
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    messages: int = 0
    bytes: int = 0
    #: (topic, partition) -> the batch's first offset: where to read again from if the
    #: batch cannot be stored (``AlertConsumer.rewind``).
    first_offsets: dict[tuple[str, int], int] = field(default_factory=dict)

    def head(self, count: int) -> Batch:
        """The first ``count`` alerts, with offsets that re-read whatever was cut off."""
        if count >= len(self.alerts):
            return self
        kept, dropped = self.alerts[:count], self.alerts[count:]
        first_dropped: dict[tuple[str, int], int] = {}
        for alert in dropped:
            key = (alert.origin.topic or "", alert.origin.partition or 0)
            first_dropped.setdefault(key, alert.origin.offset or 0)
        errors = [
            e
            for e in self.errors
            if e.offset < first_dropped.get((e.topic, e.partition), e.offset + 1)
        ]
        next_offsets = {**self.next_offsets, **first_dropped}
        return Batch(kept, errors, next_offsets, self.messages, self.bytes, self.first_offsets)
