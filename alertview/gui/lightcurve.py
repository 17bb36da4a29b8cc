"""The light-curve pane: draws what ``LightcurveController`` decides (series, axes,
legend), reusing its plot items; clicking a detection emits its source id."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from alertview.controllers.lightcurve import LightcurveController, LightcurvePlot, Series
from alertview.gui.theme import band_colour, band_symbol

#: pyqtgraph symbol -> the character drawn for it in the legend.
GLYPHS = {"o": "\u25cf", "s": "\u25a0", "d": "\u25c6", "h": "\u2b22", "star": "\u2605",
          "t": "\u25bc"}  # fmt: skip
#: Series kind -> (symbol, size, filled, hover label) of points drawn without error bars.
MARKERS = {"upper limits": ("t", 8, True, "limit"), "forced": ("o", 5, False, "forced")}


class _Legend(pg.LabelItem):
    """A text label on a translucent panel, readable over the points it covers."""

    def paint(self, painter, *args) -> None:
        if self.text.strip():  # (pyqtgraph starts a label with " ")
            painter.setPen(pg.mkPen("#555555"))
            painter.setBrush(pg.mkBrush(20, 20, 20, 210))
            painter.drawRoundedRect(self.rect(), 3, 3)


def _legend_row(series: Series) -> str:
    """One legend line: the series' marker in its band's colour, then its name."""
    if series.kind == "forced":
        glyph = "\u25cb"  # open circle, as drawn
    elif series.kind == "upper limits":
        glyph = GLYPHS["t"]
    else:
        glyph = GLYPHS.get(band_symbol(series.band), GLYPHS["o"])
    return f'<span style="color:{band_colour(series.band)}">{glyph}</span>&nbsp;{series.legend}'


class LightcurvePanel(QWidget):
    """Magnitude (inverted axis) or flux against MJD; clicking a detection emits its id.
    ``controller`` decides what is drawn; this widget draws it."""

    #: The source id (ZTF candid, Rubin diaSourceId) of a clicked detection.
    point_clicked = Signal(object)  # object: 64-bit ids overflow a C++ int

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        # the legend is one rich-text label anchored in the plot's top left corner:
        # pyqtgraph's LegendItem (a graphics item per row) took ~40 % of a redraw
        # top left: the selected alert, ringed, is usually the newest point (right)
        self.legend = _Legend(justify="left", size="8pt", color="#e6e6e6")
        self.legend.setParentItem(self.plot.getPlotItem().getViewBox())
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(10, 10))
        self.controller = LightcurveController(self)
        self.units = QComboBox()
        self.units.addItems(["Magnitude", "Flux"])
        self.time_axis = QComboBox()
        self.time_axis.addItems(["MJD", "Days before this alert"])
        self.time_axis.currentIndexChanged.connect(
            lambda index: self.controller.set_relative_time(index == 1)
        )
        self.forced_box = QCheckBox("Forced photometry")
        self.forced_box.setChecked(True)
        self.units.currentIndexChanged.connect(lambda i: self.controller.set_flux(i == 1))
        self.units.activated.connect(lambda i: self.controller.set_flux(i == 1, by_user=True))
        self.forced_box.toggled.connect(self.controller.set_forced)
        controls = QHBoxLayout()
        controls.addWidget(self.units)
        controls.addWidget(self.time_axis)
        controls.addWidget(self.forced_box)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plot)
        #: plot items by series ("detections g", "detections g bars", "forced r", "ring")
        self._items: dict[str, pg.GraphicsObject] = {}
        self._legend_text = ""
        self._labels: dict[str, str] = {}
        self.controller.redraw()  # nothing shown yet: say what to do

    def show_alert(self, alert) -> None:
        self.controller.show_alert(alert)

    # -- the LightcurveView the controller drives ---------------------------------------------
    def set_units(self, flux: bool) -> None:
        self.units.blockSignals(True)
        self.units.setCurrentIndex(1 if flux else 0)
        self.units.blockSignals(False)

    def draw(self, plot: LightcurvePlot) -> None:
        """Draw ``plot``, reusing the items of the last one (creating pyqtgraph items
        and legend rows is most of the cost of a redraw)."""
        self._show_empty(plot.empty)
        if plot.y_label:  # an alert is shown
            self.plot.getViewBox().invertY(not plot.flux)
            self._label("left", plot.y_label)
            self._label("bottom", plot.x_label)
        for series in plot.series:
            if series.kind == "detections":
                self._draw_detections(series)
            else:
                self._draw_markers(series)
        if plot.ring is not None:
            ring = self._item(
                "ring",
                lambda: pg.ScatterPlotItem(
                    symbol="o", size=20, brush=None, pen=pg.mkPen("#ffcc00", width=2.5)
                ),
            )
            ring.setData(x=[plot.ring[0]], y=[plot.ring[1]])
        used = {
            "ring",
            "empty",
            *(s.key for s in plot.series),
            *(f"{s.key} bars" for s in plot.series),
        }
        for key, item in self._items.items():
            if key not in used and item.isVisible():
                if isinstance(item, pg.ErrorBarItem):
                    item.setData(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0))
                else:
                    item.clear()
                item.setVisible(False)
        lines = [_legend_row(s) for s in plot.series] + [f"<i>{n}</i>" for n in plot.notes]
        text = "<br>".join(lines)
        if text != self._legend_text:
            self._legend_text = text
            self.legend.setText(text)
        if not plot.empty:
            self.plot.getViewBox().enableAutoRange()

    def _show_empty(self, text: str) -> None:
        """Nothing to draw: ``text`` in the middle of a plot without axes; else the axes."""
        item = self._items.get("empty")
        if item is None and text:
            item = self._items["empty"] = pg.TextItem(anchor=(0.5, 0.5), color="#9a9a9a")
            self.plot.addItem(item, ignoreBounds=True)
        plot_item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            plot_item.showAxis(axis, not text)
        self.plot.showGrid(x=not text, y=not text, alpha=0.2)
        if item is not None:
            item.setText(text)
            item.setVisible(bool(text))
        if text:
            box = self.plot.getViewBox()
            box.invertY(False)
            box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            item.setPos(0.5, 0.5)

    # -- drawing --------------------------------------------------------------------------------
    def _label(self, side: str, text: str) -> None:
        if self._labels.get(side) != text:
            self._labels[side] = text
            self.plot.setLabel(side, text)

    def _item(self, key: str, make):
        """The plot item for a series (made and added once), shown."""
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = make()
            self.plot.addItem(item)
        item.setVisible(True)
        return item

    def _draw_detections(self, series: Series) -> None:
        colour = band_colour(series.band)
        bars = self._item(f"{series.key} bars", lambda: pg.ErrorBarItem(pen=pg.mkPen(colour)))
        bars.setData(x=series.x, y=series.y, height=2 * series.error)
        scatter = self._item(series.key, lambda: self._scatter(series.band))
        scatter.setData(x=series.x, y=series.y, data=series.ids)

    def _scatter(self, band: str) -> pg.ScatterPlotItem:
        colour = band_colour(band)
        scatter = pg.ScatterPlotItem(
            symbol=band_symbol(band), size=8, brush=pg.mkBrush(colour),
            pen=pg.mkPen("k", width=0.5), hoverable=True, tip=self._tip(band),
        )  # fmt: skip
        scatter.sigClicked.connect(self._clicked)
        return scatter

    def _draw_markers(self, series: Series) -> None:
        """Points without error bars (limits, forced points)."""
        symbol, size, filled, label = MARKERS[series.kind]
        colour = band_colour(series.band)

        def make() -> pg.ScatterPlotItem:
            return pg.ScatterPlotItem(
                symbol=symbol, size=size, pen=pg.mkPen(colour),
                brush=pg.mkBrush(colour + "55") if filled else None,
                hoverable=True, tip=self._tip(series.band, label),
            )  # fmt: skip

        self._item(series.key, make).setData(x=series.x, y=series.y)

    def _tip(self, band: str, kind: str = "detection"):
        """Hover text; asks at hover time (items outlive alerts)."""
        return lambda x, y, data: self.controller.tip(band, kind, x, y)

    def _clicked(self, _item: pg.ScatterPlotItem, points, _event=None) -> None:
        if len(points):
            source_id = points[0].data()
            if source_id is not None and int(source_id) >= 0:
                # emit after pyqtgraph's click handling returns: selecting another alert
                # redraws the plot and deletes the item that is handling this click
                QTimer.singleShot(0, lambda: self.point_clicked.emit(int(source_id)))
