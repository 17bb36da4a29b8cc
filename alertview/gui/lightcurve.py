"""The light-curve pane: draws what ``LightcurveController`` decides (series, axes,
range, legend), reusing its plot items; clicking a detection emits its source id,
hovering a point says what it is."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from alertview.controllers.lightcurve import LightcurveController, LightcurvePlot, Series
from alertview.controllers.time_ticks import TIME_MODE_NAMES, TIME_MODES
from alertview.gui.grid_axis import GridAxis
from alertview.gui.lightcurve_parts import HoverTip, LegendRow, legend_entry
from alertview.gui.points_item import Hit, Marker, PointSeries, PointsItem
from alertview.gui.theme import band_colour, band_symbol
from alertview.gui.time_axis import TimeAxis

#: The widest tick label each unit's axis draws (pyqtgraph prints >= 10^4 as %g).
AXIS_WIDEST = {"mag": "88.88", "flux": "-8.8e+06"}
#: Series kind -> (symbol, size, filled) of points drawn without error bars.
MARKERS = {"upper limits": ("t", 8, True), "forced": ("o", 5, False)}
#: The ring around the selected alert's own point.
RING = Marker("o", 20, "#ffcc00", 2.5)


class LightcurvePanel(QWidget):
    """Magnitude (inverted axis) or flux against time; clicking a detection emits its
    id. ``controller`` decides what is drawn; this widget draws it."""

    #: The source id (ZTF candid, Rubin diaSourceId) of a clicked detection.
    point_clicked = Signal(object)  # object: 64-bit ids overflow a C++ int

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axis = TimeAxis()
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis, "left": GridAxis("left")})
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("left", "bottom"):
            self.plot.getAxis(side).under_the_data()
            # the grid's third, finest level of lines was ~1/3 of each paint
            self.plot.getAxis(side).setStyle(maxTickLevel=1)
            # no "(x1e+06)" scaling: pyqtgraph re-set the label's HTML and the axis' size
            # at each range change, and the relayout painted the plot a second time
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.plot.getPlotItem().hideButtons()
        for side in ("top", "right"):
            # hidden, yet told of each range: they re-set their label's HTML each time
            self.plot.getAxis(side).unlinkFromView()
        # the legend is a row above the plot, never over the data (pyqtgraph's
        # LegendItem, a graphics item per row, also took ~40 % of a redraw)
        self.legend = LegendRow()
        self.hover = HoverTip()
        self.plot.addItem(self.hover, ignoreBounds=True)
        #: every series' points and bars ("detections g", "forced r", "ring")
        self.points = PointsItem()
        self.plot.addItem(self.points)
        self.points.hovered.connect(self._hovered)
        self.points.clicked.connect(self._clicked)
        self.controller = LightcurveController(self)
        self.units = QComboBox()
        self.units.addItems(["Magnitude", "Flux"])
        self.time_axis = QComboBox()
        self.time_axis.addItems(list(TIME_MODE_NAMES))
        self.time_axis.currentIndexChanged.connect(
            lambda index: self.controller.set_time_mode(TIME_MODES[max(0, index)])
        )
        self.range_box = QCheckBox("All points")
        self.range_box.setToolTip(
            "Fit the axes to every point drawn. Unticked they fit the detections, limits "
            "and this alert: forced photometry far off is drawn, beyond the range."
        )
        self.range_box.toggled.connect(lambda fit_all: self.controller.set_fit_all(fit_all))
        self.forced_box = QCheckBox("Forced photometry")
        self.forced_box.setChecked(True)
        self.units.currentIndexChanged.connect(lambda i: self.controller.set_flux(i == 1))
        self.units.activated.connect(lambda i: self.controller.set_flux(i == 1, by_user=True))
        self.forced_box.toggled.connect(self.controller.set_forced)
        controls = QHBoxLayout()
        controls.addWidget(self.units)
        controls.addWidget(self.time_axis)
        controls.addWidget(self.forced_box)
        controls.addWidget(self.range_box)  # beside what it is about: forced points
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(controls)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self.empty_text: pg.TextItem | None = None  # "Select an alert", made when first said
        self._labels: dict[str, str] = {}
        self._x_limits: tuple[float, float] | None = None
        self._axis_flux: bool | None = None  # the unit the axes' text space is set for
        self._empty: str | None = None  # the empty plot's text shown (None: not drawn yet)
        self.controller.redraw()  # nothing shown yet: say what to do

    def show_alert(self, alert) -> None:
        self.controller.show_alert(alert)

    # -- the LightcurveView the controller drives ---------------------------------------------
    def set_units(self, flux: bool) -> None:
        self.units.blockSignals(True)
        self.units.setCurrentIndex(1 if flux else 0)
        self.units.blockSignals(False)

    def draw(self, plot: LightcurvePlot) -> None:
        """Draw ``plot`` with the items of the last one (creating pyqtgraph items and
        legend rows was most of the cost of a redraw)."""
        self.hover.hide_for()
        self._show_empty(plot.empty)
        if plot.y_label:  # an alert is shown
            self.plot.getViewBox().invertY(not plot.flux)
            self._fix_axis_space(plot.flux)
            self.axis.set_mode(plot.time_mode, plot.time_scale)
            self._label("left", plot.y_label)
            self._label("bottom", plot.x_label)
            self.axis.setToolTip(plot.x_tip)
        drawn = [self._point_series(s) for s in sorted(plot.series, key=_on_top)]
        if plot.ring is not None:
            drawn.append(PointSeries("ring", np.array([plot.ring[0]]), np.array([plot.ring[1]]),
                                     RING, hoverable=False))  # fmt: skip
        self.points.set_series(drawn)
        self.legend.set_entries([self.legend_entry(s) for s in plot.series], plot.notes)
        if plot.empty:
            return
        box = self.plot.getViewBox()
        if plot.x_limits is not None and plot.x_limits != self._x_limits:
            self._x_limits = plot.x_limits
            box.setLimits(xMin=plot.x_limits[0], xMax=plot.x_limits[1])
        if plot.x_range is not None and plot.y_range is not None:
            box.disableAutoRange()
            box.setRange(xRange=plot.x_range, yRange=plot.y_range, padding=0)
            # the new transform now, not in the paint: items changed by it during the
            # paint asked for a second one (~5-10 ms more per alert)
            box.updateMatrix()
        else:
            box.enableAutoRange()

    def leaveEvent(self, event) -> None:
        """The pointer left the pane: no point is hovered any more (pyqtgraph drops
        mouse moves closer than 10 ms, and may miss the one that left the point)."""
        self.hover.hide_for()
        super().leaveEvent(event)

    def legend_entry(self, series: Series) -> str:
        """The legend's entry for ``series`` (rich text)."""
        return legend_entry(series)

    def _show_empty(self, text: str) -> None:
        """Nothing to draw: ``text`` in the middle of a plot without axes; else the axes
        (set only when that changes: showing the grid again redraws the axes)."""
        if text == self._empty:
            return
        self._empty = text
        item = self.empty_text
        if item is None and text:
            item = self.empty_text = pg.TextItem(anchor=(0.5, 0.5), color="#9a9a9a")
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
            # pyqtgraph places the label only when the axis is resized: a longer one
            # kept the last label's left edge and ran off the axis' end
            self.plot.getPlotItem().getAxis(side).resizeEvent(None)

    def _fix_axis_space(self, flux: bool) -> None:
        """Room for the widest tick label of the unit shown, fixed: pyqtgraph otherwise
        resizes the axes to each alert's labels while painting, which relayouts the plot
        and paints it again (~5-10 ms more per alert)."""
        if self._axis_flux == flux:
            return
        self._axis_flux = flux
        metrics = QFontMetrics(self.plot.font())
        widest = AXIS_WIDEST["flux" if flux else "mag"]
        plot_item = self.plot.getPlotItem()
        plot_item.getAxis("left").setStyle(
            autoExpandTextSpace=False, tickTextWidth=metrics.horizontalAdvance(widest) + 2
        )
        plot_item.getAxis("bottom").setStyle(
            autoExpandTextSpace=False, tickTextHeight=metrics.height() + 2
        )

    def marker(self, series: Series) -> Marker:
        """How ``series``' points look: detections filled with error bars, limits as
        translucent triangles, forced points as small open circles."""
        colour = band_colour(series.band)
        if series.kind == "detections":
            return Marker(band_symbol(series.band), 8, "k", 0.5, colour, bars=colour)
        symbol, size, filled = MARKERS[series.kind]
        return Marker(symbol, size, colour, fill=colour + "55" if filled else None)

    def _point_series(self, series: Series) -> PointSeries:
        return PointSeries(series.key, series.x, series.y, self.marker(series), series.error,
                           series.ids)  # fmt: skip

    def _hovered(self, hit: Hit | None) -> None:
        """Asks the controller at hover time (the item outlives the alerts it drew)."""
        text = None if hit is None else self.controller.tip(hit.key, hit.x, hit.y)
        if hit is None or not text:
            self.hover.hide_for()
            return
        self.hover.show_at(self.plot.getViewBox(), hit.x, hit.y, text, hit.key)

    def _clicked(self, source_id: int) -> None:
        # emit after pyqtgraph's click handling returns: selecting another alert redraws
        # the plot while the click is being handled
        QTimer.singleShot(0, lambda: self.point_clicked.emit(source_id))


def _on_top(series: Series) -> bool:
    """Draw order: detections last, over limits and forced points."""
    return series.kind == "detections"
