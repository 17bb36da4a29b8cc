"""Items a second over the last few seconds: the status bar's alerts/s."""

from __future__ import annotations


class Rate:
    """Counts added at moments (monotonic seconds), averaged over ``window`` seconds."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._points: list[tuple[float, int]] = []

    def add(self, now: float, count: int) -> None:
        self._points = [(t, n) for t, n in self._points if now - t < self.window]
        self._points.append((now, count))

    def restart(self, now: float | None = None) -> None:
        """Forget the past (a new stream, a new import that begins at ``now``)."""
        self._points = [] if now is None else [(now, 0)]

    @property
    def per_second(self) -> float:
        if len(self._points) < 2:
            return 0.0
        span = self._points[-1][0] - self._points[0][0]
        return sum(n for _, n in self._points[1:]) / span if span > 0 else 0.0
