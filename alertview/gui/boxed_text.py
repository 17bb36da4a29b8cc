"""A short plain text on a translucent box, the same size on screen at any zoom: the
cutouts' marks ("N", "E", the scale bar's length, the display limits).

pyqtgraph's ``TextItem`` draws the same, through a ``QGraphicsTextItem``: each new
text re-laid out a text document (~0.3 ms; the limits of the three stamps change
with every alert) and each item undid its view's scaling in Python before every
paint. Here Qt keeps the size (``ItemIgnoresTransformations``) and a new text is
measured with the font's metrics.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

#: Pixels between the text and its box's edges (a text document's default margin,
#: as ``pg.TextItem`` had).
MARGIN = 4.0


class BoxedText(QGraphicsItem):
    """``text`` drawn at the item's position, the point ``anchor`` (fractions of the
    box: (0, 0) top left, (1, 1) bottom right) of its box there."""

    def __init__(
        self,
        colour: str,
        fill: tuple[int, int, int, int],
        anchor: tuple[float, float],
        font: QFont,
    ) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self._pen = QPen(QColor(colour))
        self._brush = QBrush(QColor(*fill))
        self._font = QFont(font)
        self._metrics = QFontMetricsF(self._font)
        self._anchor = anchor
        self._text = ""
        self._rect = QRectF()

    def setText(self, text: str) -> None:  # Qt's and pyqtgraph's name
        if text != self._text:
            self._text = text
            self._place()

    def toPlainText(self) -> str:  # as QGraphicsTextItem
        return self._text

    def setAnchor(self, anchor: tuple[float, float]) -> None:
        if anchor != self._anchor:
            self._anchor = anchor
            self._place()

    def _place(self) -> None:
        self.prepareGeometryChange()
        width = self._metrics.horizontalAdvance(self._text) + 2 * MARGIN
        height = self._metrics.height() + 2 * MARGIN
        self._rect = QRectF(-self._anchor[0] * width, -self._anchor[1] * height, width, height)

    def boundingRect(self) -> QRectF:
        return self._rect

    def sceneBoundingRect(self) -> QRectF:
        """Where the box is in the scene as drawn (Qt's own ignores that the item keeps
        its size: it scales the box with the view)."""
        views = self.scene().views() if self.scene() is not None else []
        if not views:
            return super().sceneBoundingRect()
        to_view = views[0].viewportTransform()
        drawn = self.deviceTransform(to_view).mapRect(self._rect)
        return to_view.inverted()[0].mapRect(drawn)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.fillRect(self._rect, self._brush)
        painter.setPen(self._pen)
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)
