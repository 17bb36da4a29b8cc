"""The Sky tab: every alert of the session on an all-sky map, linked with the table.

``SkyMapController`` (``controllers/skymap.py``) decides what is drawn; this
module holds the widgets. The points are drawn as one pyqtgraph ``ImageItem``
rasterised in numpy at the view's own pixel size (a million scatter symbols
take seconds to paint; a million points rasterised take tens of
milliseconds), drawn again when the view pans, zooms or the rows change, at
most every ``DRAW_MS``. Left-drag draws a box or a lasso (the tool buttons)
whose alerts filter the table; a click selects the alert under the pointer in
the table; the alert selected in the table is ringed on the map.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.skymap import (
    CATEGORIES,
    LINE_COLOURS,
    Region,
    SkyMapController,
    hover_text,
    legend_html,
)
from alertview.core import sky
from alertview.core.wording import counted
from alertview.gui.sky_viewbox import SkyViewBox

#: Width over height of the map's view (x -3..3, y -1.5..1.5: the whole sky and a margin).
MAP_ASPECT = 2.0
#: The map is never capped lower than this (pixels), however narrow the pane.
MAP_MIN_HEIGHT = 120
#: The rows are looked at for new alerts this often (ms): a live stream's batches are
#: projected together, never one redraw per batch.
ROWS_MS = 500
#: The map is drawn anew once the view has rested this long (ms): while it pans or
#: zooms, the image drawn last moves with it.
DRAW_MS = 120
#: Coloured by age or a column, the map is drawn anew at most this often (s) as rows
#: arrive (the scale's range moves with them); new rows are drawn onto it meanwhile.
RESCALE_S = 5.0
#: The pointer rests this long (ms) before the alert under it is named.
HOVER_MS = 50
#: The pointer's reach for hover and click, in screen pixels.
REACH_PX = 5
#: What the hover line says while no alert is within reach of the pointer.
HOVER_HINT = "Point at an alert to see it; click it to select it in the table."
_LINES = {  # told apart by their dashes too
    "galactic": pg.mkPen(LINE_COLOURS["galactic"], width=1.5, style=Qt.PenStyle.DashLine),
    "ecliptic": pg.mkPen(LINE_COLOURS["ecliptic"], width=1.5, style=Qt.PenStyle.DashDotLine),
}
#: The ring around the alert selected in the table: white on a dark outline, a colour no
#: point has (it was the r band's red).
RING_PEN, RING_SHADOW = pg.mkPen((255, 255, 255), width=2), pg.mkPen((0, 0, 0), width=5)


class SkyMapView(QWidget):
    """The map, its tools and what it says; reads the alert table model's columns."""

    #: A point clicked: the alert id at that position.
    alert_clicked = Signal(object)
    #: The sky selection changed: positions (None: cleared).
    selection_changed = Signal(object)
    #: The alerts the sky selection holds changed (drawn, cleared, or new ones landed
    #: inside): the filter bar's count follows it.
    subset_changed = Signal()

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = SkyMapController()
        self.colour = QComboBox()
        self.colour.setToolTip("Colour the alerts by survey, band, age or a column")
        self.colour.addItems(self.controller.colour_modes(model.columns))
        self.colour.currentTextChanged.connect(self._colour_chosen)
        self.projection = QComboBox()
        self.projection.addItem("Hammer-Aitoff", "hammer")
        self.projection.addItem("Mollweide", "mollweide")
        self.projection.currentIndexChanged.connect(self._projection_chosen)
        self.tools = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Colour by:"))
        bar.addWidget(self.colour)
        bar.addWidget(self.projection)
        for name, tip in (
            ("Pan", "Drag to pan, wheel to zoom"),
            ("Box", "Drag a box: its alerts filter the table"),
            ("Lasso", "Draw around alerts: they filter the table"),
        ):
            button = QToolButton()
            button.setText(name)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setChecked(name == "Pan")
            self.tools.addButton(button)
            bar.addWidget(button)
        self.tools.buttonToggled.connect(self._tool_toggled)
        self.clear_button = QPushButton("Clear sky selection")
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear_selection)
        #: For the status bar: the table hides alerts off the sky selection, whatever tab
        #: is in front; a click shows them all again.
        self.status_button = QPushButton()
        self.status_button.setFlat(True)
        self.status_button.setToolTip(
            "The table shows only the alerts selected on the sky map: click to show all"
        )
        self.status_button.clicked.connect(self.clear_selection)
        self.status_button.hide()
        bar.addWidget(self.clear_button)
        bar.addStretch(1)
        self.box = SkyViewBox()
        self.plot = pg.PlotWidget(viewBox=self.box)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.getPlotItem().hideButtons()  # no stray "A" (auto-range) on the map
        self.box.setRange(xRange=(-3, 3), yRange=(-1.5, 1.5), padding=0.02)
        self.points = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.points, ignoreBounds=True)
        self.lines: dict[str, pg.PlotDataItem] = {}
        grey = pg.mkPen((128, 128, 128, 110), width=1)
        for name, pen, z in (
            ("graticule", grey, 6),
            ("outline", pg.mkPen((128, 128, 128), width=1.5), 7),
            ("galactic", _LINES["galactic"], 8),
            ("ecliptic", _LINES["ecliptic"], 8),
        ):
            self.lines[name] = pg.PlotDataItem(pen=pen, connect="finite")
            self.lines[name].setZValue(z)
            self.box.addItem(self.lines[name])
        self.points.setZValue(5)  # beneath the lines: they stay readable over dense points
        self._pending_mark: int | None = None  # the table's selection, ringed when shown
        self.marker = pg.ScatterPlotItem(size=16, symbol="o", pen=RING_PEN, brush=None)
        self.marker_shadow = pg.ScatterPlotItem(size=16, symbol="o", pen=RING_SHADOW, brush=None)
        for z, item in ((9, self.marker_shadow), (10, self.marker)):
            item.setZValue(z)
            self.box.addItem(item, ignoreBounds=True)
        self.count = QLabel()
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.hover = QLabel(HOVER_HINT)
        self.hover.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label, lines in ((self.count, 1), (self.legend, 3), (self.hover, 1)):
            # long text wraps, never widening the tab, and in a fixed height: a longer
            # count after a box is drawn must not shrink the map (the map would jump)
            label.setWordWrap(True)
            label.setFixedHeight(lines * label.fontMetrics().lineSpacing() + 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.count)
        layout.addWidget(self.hover)
        layout.addStretch(0)  # the height the map cannot use: below the labels
        self._lines_projection: str | None = None
        self._draw_timer = QTimer(self, singleShot=True, interval=DRAW_MS)
        self._draw_timer.timeout.connect(lambda: self.draw())
        self._rows_timer = QTimer(self, interval=ROWS_MS)
        self._rows_timer.timeout.connect(self.catch_up)
        self._rows_timer.start()
        self._hover_at: QPointF | None = None
        self._hover_timer = QTimer(self, singleShot=True, interval=HOVER_MS)
        self._hover_timer.timeout.connect(self._hovered)
        self.box.sigRangeChanged.connect(lambda *_: self.schedule())
        self.box.sigResized.connect(lambda *_: self.schedule())
        self.box.region_drawn.connect(self.select_region)
        self.box.clicked.connect(self._clicked)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot.viewport().installEventFilter(self)
        #: How long the last ``draw`` took (seconds), for the benchmarks.
        self.draw_seconds = 0.0
        self._whole_at = -float("inf")  # time.monotonic() of the last whole drawing
        self._show_count()

    # -- rows and drawing -----------------------------------------------------------------
    def catch_up(self) -> None:
        """Project the rows that arrived; new alerts inside the region join the table."""
        columns = self.model.columns
        if len(columns) == len(self.controller):
            return
        inside = self.controller.update(columns)
        if len(inside):
            self.model.extend_sky_subset(inside)
            self.subset_changed.emit()
        if self.colour.count() != len(self.controller.colour_modes(columns)):
            self._refill_modes()
        self._show_count()
        if self.isVisible() and not self._draw_timer.isActive():
            rescale = time.monotonic() - self._whole_at > RESCALE_S
            self.draw(whole=rescale and self.controller.mode not in CATEGORIES)

    def schedule(self) -> None:
        """Draw anew once the view rests (each call restarts the wait)."""
        if self.isVisible():
            self._draw_timer.start()

    def resizeEvent(self, event) -> None:
        """The sky is twice as wide as high: the map is no taller than that, and the
        pane's spare height goes below the legend and counts, in the window's colour
        (it was a black band above and below the sky, the labels far beneath it)."""
        super().resizeEvent(event)
        self.plot.setMaximumHeight(max(MAP_MIN_HEIGHT, round(self.width() / MAP_ASPECT)))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.catch_up()
        self._mark(self._pending_mark)
        self.schedule()

    def draw(self, whole: bool = True) -> None:
        """Rasterise the points for the view's range at its size in pixels (unless
        ``whole``, only the rows added since onto the image drawn, if it still fits)."""
        started = time.perf_counter()
        self._draw_lines()
        (x0, x1), (y0, y1) = self.box.viewRange()
        size = self.box.size()
        shape = (max(int(size.height()), 1), max(int(size.width()), 1))
        rect = (x0, y0, x1 - x0, y1 - y0)
        image, colouring = self.controller.image(self.model.columns, rect, shape, whole)
        if whole:
            self._whole_at = time.monotonic()
        self.points.setImage(image, autoLevels=False)
        self.points.setRect(QRectF(*rect))
        self._show_legend(colouring)
        self.draw_seconds = time.perf_counter() - started

    def _draw_lines(self) -> None:
        projection = self.controller.projection
        if self._lines_projection == projection:
            return
        self._lines_projection = projection
        self.lines["graticule"].setData(*sky.graticule(projection))
        self.lines["outline"].setData(*sky.outline(projection))
        for name in ("galactic", "ecliptic"):
            self.lines[name].setData(*sky.reference_line(name, projection))
        self._mark(self.controller.marked)

    def _show_legend(self, colouring) -> None:
        self.legend.setText(legend_html(colouring))

    def _show_count(self) -> None:
        selected = self.controller.selected
        self.clear_button.setEnabled(selected is not None)
        self.status_button.setVisible(selected is not None)
        if selected is None:
            self.count.setText(f"{counted(len(self.controller), 'alert')} on the sky")
            return
        if not self.controller.selected_count:  # else an empty table, and no word why
            region = self.controller.region
            where = "lasso" if region is not None and region.kind == "lasso" else "box"
            self.status_button.setText(f"sky selection: no alerts inside the {where} ✕")
            self.count.setText(f"No alerts inside the {where} — Clear sky selection")
            return
        alerts = counted(self.controller.selected_count, "alert")
        self.status_button.setText(f"sky selection: {alerts} ✕")
        self.count.setText(
            f"{alerts} selected on the sky; the table shows those its filter passes"
        )

    # -- the user -------------------------------------------------------------------------
    def select_region(self, region: Region) -> None:
        """The alerts inside a box or lasso drawn on the map filter the table."""
        self.catch_up()
        positions = self.controller.select(region)
        self.model.set_sky_subset(positions)
        self.box.show_region(region)  # drawn until the selection is cleared
        self._show_count()
        self.selection_changed.emit(positions)
        self.subset_changed.emit()
        self.schedule()

    def clear_selection(self) -> None:
        self.controller.clear_selection()
        self.model.set_sky_subset(None)
        self.box.show_region(None)
        self._show_count()
        self.selection_changed.emit(None)
        self.subset_changed.emit()
        self.schedule()

    def _tool_toggled(self, button, checked: bool) -> None:
        if checked:
            self.box.tool = button.text().lower()

    def set_tool(self, name: str) -> None:
        """Choose the left-drag tool: "pan", "box" or "lasso"."""
        for button in self.tools.buttons():
            if button.text().lower() == name:
                button.setChecked(True)

    def _colour_chosen(self, mode: str) -> None:
        if mode:
            self.controller.mode = mode
            self.schedule()

    def _refill_modes(self) -> None:
        current = self.colour.currentText()
        self.colour.blockSignals(True)
        self.colour.clear()
        self.colour.addItems(self.controller.colour_modes(self.model.columns))
        self.colour.setCurrentText(current)
        self.colour.blockSignals(False)

    def _projection_chosen(self, _index: int) -> None:
        self.controller.set_projection(self.projection.currentData(), self.model.columns)
        self.box.show_region(self.controller.region)  # the old projection's region is gone
        self._mark(self.controller.marked)
        self.schedule()

    def _reach(self) -> tuple[float, float]:
        width, height = self.box.viewPixelSize()
        return REACH_PX * width, REACH_PX * height

    def _clicked(self, x: float, y: float) -> None:
        self.catch_up()
        position = self.controller.point_at((x, y), self._reach())
        if position is None:
            return
        alert_id = int(self.model.columns.alert_id.values[position])
        self.alert_clicked.emit(alert_id)

    def _mouse_moved(self, scene_pos) -> None:
        if self.box.sceneBoundingRect().contains(scene_pos):
            self._hover_at = self.box.mapSceneToView(scene_pos)
            if not self._hover_timer.isActive():
                self._hover_timer.start()
        else:
            self._hover_left()

    def eventFilter(self, watched, event) -> bool:
        """The pointer left the map (the plot's viewport): no alert is under it."""
        if event.type() == QEvent.Type.Leave:
            self._hover_left()
        return super().eventFilter(watched, event)

    def _hover_left(self) -> None:
        self._hover_at = None
        self._hover_timer.stop()
        self.hover.setText(HOVER_HINT)

    def _hovered(self) -> None:
        """Name the alert under the pointer, or say none is (the last one's name stayed
        while the pointer moved on over empty sky)."""
        if self._hover_at is None:
            return
        at = (self._hover_at.x(), self._hover_at.y())
        position = self.controller.point_at(at, self._reach())
        if position is None:
            self.hover.setText(HOVER_HINT)
        else:
            self.hover.setText(hover_text(self.model.columns, position))

    def mark_position(self, position: int | None) -> None:
        """Ring the alert at this column position (the one selected in the table); while
        the tab is hidden, when it is next shown (no projecting on every selection for
        a map nobody looks at)."""
        self._pending_mark = position
        if self.isVisible():
            self.catch_up()
            self._mark(position)

    def _mark(self, position: int | None) -> None:
        where = self.controller.mark(position)
        for item in (self.marker_shadow, self.marker):
            if where is None:
                item.setData([], [])
            else:
                item.setData([where[0]], [where[1]])


def install_skymap(window) -> SkyMapView:
    """Add the Sky tab to the inspection view's tabs (``window.skymap``), linked with the
    alert table both ways."""
    view = SkyMapView(window.model)
    window.inspection.tabs.addTab(view, "Sky")
    window.skymap = view
    window.statusBar().addPermanentWidget(view.status_button)

    def current_changed(current, _previous) -> None:
        valid = current.isValid() and current.row() < window.model.rowCount()
        view.mark_position(window.model.position(current.row()) if valid else None)

    window.table.selectionModel().currentRowChanged.connect(current_changed)

    def clicked(alert_id: int) -> None:
        if not window.table.select_alert_id(alert_id):
            view.hover.setText(f"alert {alert_id} is not in the table: its filter hides it")

    view.alert_clicked.connect(clicked)
    view.subset_changed.connect(window.session.update_status)
    return view
