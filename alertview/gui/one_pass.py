"""The figure views of one selection painted in one pass of the window, not two.

Qt processes a QGraphicsScene's changed items in a queued call that ends by
painting the window there and then (``QGraphicsScenePrivate::_q_processDirtyItems``
dispatches the window's pending UpdateRequest). A selection changes two scenes,
the cutouts' and the light curve's: the first scene's call painted the window
before the second's items were processed, and the second's call painted it
again. Two passes an alert, each flushing the window.

With a receiver on a scene's ``changed`` signal Qt takes its other path: changes
reach the views through ``QGraphicsView::updateScene``, an ordinary widget update,
and a scene that has an update pending when its items are processed paints
nothing then. ``hold`` makes that so for what a selection changed: the window's
one ordinary paint pass then draws both views.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene

#: A scene rectangle no view shows (pyqtgraph's scenes are in the views' pixels):
#: updating it marks the scene's update pending and repaints nothing.
NOWHERE = QRectF(-1e6, -1e6, 1.0, 1.0)


class OnePass:
    """Scenes whose changes are painted in the window's next ordinary pass."""

    def __init__(self, scenes: Iterable[QGraphicsScene]) -> None:
        self.scenes = list(scenes)
        for scene in self.scenes:
            # any receiver will do: Qt then connects the scene's views to it as well
            scene.changed.connect(_delivered)

    def hold(self) -> None:
        """After changing the scenes: none paints the window when its items are
        processed; the views are updated, and painted together."""
        for scene in self.scenes:
            scene.update(NOWHERE)


def _delivered(_rects) -> None:
    """The views are told by Qt's own connection; nothing more to do."""
