"""Parts of the light-curve pane around the plot: the legend row above it (outside the
data, as tall as what it lists) and the hover read-out that stays inside the plot."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QWidget

from alertview.controllers.lightcurve import Series
from alertview.gui.fitted_label import FittedLabel
from alertview.gui.theme import band_colour, band_symbol

#: pyqtgraph symbol -> the character drawn for it in the legend.
GLYPHS = {"o": "\u25cf", "s": "\u25a0", "d": "\u25c6", "h": "\u2b22", "star": "\u2605",
          "t": "\u25bc"}  # fmt: skip
#: Between legend entries: a break is allowed here, never inside an entry.
ENTRY_GAP = "&nbsp;&nbsp;&nbsp; "
#: Pixels between the hovered point and its read-out.
TIP_OFFSET = 12


def legend_entry(series: Series) -> str:
    """One legend entry: the series' marker in its band's colour, then its name."""
    if series.kind == "forced":
        glyph = "\u25cb"  # open circle, as drawn
    elif series.kind == "upper limits":
        glyph = GLYPHS["t"]
    else:
        glyph = GLYPHS.get(band_symbol(series.band), GLYPHS["o"])
    marker = f'<span style="color:{band_colour(series.band)}">{glyph}</span>'
    # nowrap: the row breaks between entries, never inside one ("z forced" / "(36)")
    return f'<span style="white-space:nowrap">{marker}&nbsp;{series.legend}</span>'


class LegendRow(FittedLabel):
    """The legend as one wrapping line of entries above the plot: it never covers a
    point, and takes the height its entries need (none when nothing is drawn).
    Rich text on the plot's dark background, where the band colours were chosen to
    read. Placed by hand (``FittedLabel``): a new legend relayouts the window only
    when its number of lines changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, hide_empty=True)
        self.label.setStyleSheet(
            "QLabel { background: black; color: #e6e6e6; padding: 3px 8px; font-size: 8pt; }"
        )

    def set_entries(self, entries: list[str], notes: list[str]) -> None:
        notes = [f'<i style="white-space:nowrap">{n}</i>' for n in notes]
        self.set_text(ENTRY_GAP.join(entries + notes))


class HoverTip(pg.TextItem):
    """What the hovered point is, drawn beside it inside the plot: a tooltip placed by
    the screen could leave the window, this is moved to stay within the view box."""

    def __init__(self) -> None:
        super().__init__(
            color="#f0f0f0", fill=pg.mkBrush(25, 25, 25, 235), border=pg.mkPen("#888888"),
            anchor=(0, 0),
        )  # fmt: skip
        self.setZValue(1000)
        self.owner = ""  # the series key whose point is shown
        self.setVisible(False)

    def show_at(self, box: pg.ViewBox, x: float, y: float, text: str, owner: str) -> None:
        """Show ``text`` next to data point (``x``, ``y``): above right of it, flipped
        to the other side near an edge, and kept inside ``box``."""
        self.owner = owner
        self.setText(text)
        self.setVisible(True)
        size = self.textItem.boundingRect()
        area: QRectF = box.sceneBoundingRect()
        point = box.mapViewToScene(QPointF(x, y))
        left = point.x() + TIP_OFFSET
        if left + size.width() > area.right():
            left = point.x() - TIP_OFFSET - size.width()
        top = point.y() - TIP_OFFSET - size.height()
        if top < area.top():
            top = point.y() + TIP_OFFSET
        left = max(area.left(), min(left, area.right() - size.width()))
        top = max(area.top(), min(top, area.bottom() - size.height()))
        self.setPos(box.mapSceneToView(QPointF(left, top)))

    def hide_for(self, owner: str | None = None) -> None:
        """Hide the read-out (only if it is ``owner``'s, when given)."""
        if owner is None or owner == self.owner:
            self.setVisible(False)
            self.owner = ""
