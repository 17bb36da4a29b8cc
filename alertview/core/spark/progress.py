"""A line per micro-batch: alerts in, matched, errors, alerts/s, lag.

The counts come from the batch itself (``BatchWriter``, in the driver); the
lag (messages behind the newest offset, summed over partitions) from Spark's
progress report of the same batch, which its listener bus delivers a moment
after the batch ends. So the line is printed when both are known; what is
still waiting when the query stops is printed without a lag (``flush``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class BatchCounts:
    """What one micro-batch held."""

    batch_id: int
    alerts: int = 0
    matched: int = 0
    errors: int = 0
    seconds: float = 0.0

    @classmethod
    def of(cls, batch_id: int, grouped: Iterable[Any], started: float = 0.0) -> BatchCounts:
        """From ``groupBy("kind", "matched").count()``'s rows."""
        counts = cls(batch_id)
        for kind, matched, count in grouped:
            if kind == "alert":
                counts.alerts += count
                counts.matched += count if matched else 0
            elif kind == "error":
                counts.errors += count
        return counts

    @property
    def rate(self) -> float:
        return self.alerts / self.seconds if self.seconds > 0 else 0.0


def lag_of(progress: Any) -> int | None:
    """Messages behind the newest offset after a batch (Kafka source's own metric,
    or latest minus end offsets), from a progress report as a dict."""
    total = 0
    found = False
    for source in progress.get("sources") or ():
        latest, end = source.get("latestOffset"), source.get("endOffset")
        if isinstance(latest, dict) and isinstance(end, dict):
            for topic, partitions in latest.items():
                for partition, offset in partitions.items():
                    done = end.get(topic, {}).get(partition, offset)
                    total += max(0, int(offset) - int(done))
                    found = True
    return total if found else None


class Progress:
    """Joins each batch's counts with its lag and hands the line to ``say``."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self._lock = threading.Lock()
        self._counts: dict[int, BatchCounts] = {}
        self._lags: dict[int, int | None] = {}
        self._said: set[int] = set()
        self.total = BatchCounts(-1)

    def batch_done(self, counts: BatchCounts) -> None:
        with self._lock:
            self.total.alerts += counts.alerts
            self.total.matched += counts.matched
            self.total.errors += counts.errors
            self.total.seconds += counts.seconds
            if counts.batch_id in self._lags:
                self._say(counts, self._lags.pop(counts.batch_id))
            else:
                self._counts[counts.batch_id] = counts

    def progressed(self, batch_id: int, lag: int | None) -> None:
        with self._lock:
            counts = self._counts.pop(batch_id, None)
            if counts is None:
                if batch_id not in self._said:  # (a report given twice is said once)
                    self._lags[batch_id] = lag
            else:
                self._say(counts, lag)

    def flush(self) -> None:
        with self._lock:
            for batch_id in sorted(self._counts):
                self._say(self._counts[batch_id], None)
            self._counts.clear()

    def _say(self, counts: BatchCounts, lag: int | None) -> None:
        self._said.add(counts.batch_id)
        self.say(
            f"batch {counts.batch_id}: {counts.alerts} alerts in, {counts.matched} matched, "
            f"{counts.errors} errors, {counts.rate:.0f} alerts/s, "
            f"lag {'?' if lag is None else lag}"
        )


def listener(progress: Progress) -> Any:
    """A StreamingQueryListener feeding ``progress`` the lag of each batch."""
    import json

    from pyspark.sql.streaming import StreamingQueryListener

    class _Listener(StreamingQueryListener):
        def onQueryStarted(self, event: Any) -> None:
            pass

        def onQueryProgress(self, event: Any) -> None:
            try:
                report = json.loads(event.progress.json)
                progress.progressed(int(report["batchId"]), lag_of(report))
            except Exception:  # a progress line is never worth the job
                log.debug("progress report not understood", exc_info=True)

        def onQueryIdle(self, event: Any) -> None:
            pass

        def onQueryTerminated(self, event: Any) -> None:
            pass

    return _Listener()
