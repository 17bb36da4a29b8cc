"""The light-curve pane: detections, upper limits and forced photometry per band."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from alertview.core.alert import Alert, Photometry
from alertview.gui.style import BAND_ORDER, band_colour, band_symbol

#: pyqtgraph symbol -> the character drawn for it in the legend.
GLYPHS = {"o": "\u25cf", "s": "\u25a0", "d": "\u25c6", "h": "\u2b22", "star": "\u2605",
          "t": "\u25bc"}  # fmt: skip


class _Legend(pg.LabelItem):
    """A text label on a translucent panel, readable over the points it covers."""

    def paint(self, painter, *args) -> None:
        if self.text:
            painter.setPen(pg.mkPen("#555555"))
            painter.setBrush(pg.mkBrush(20, 20, 20, 210))
            painter.drawRoundedRect(self.rect(), 3, 3)


def _legend_row(key: str, name: str) -> str:
    """One legend line: the series' marker in its band's colour, then its name."""
    series, _, band = key.rpartition(" ")
    if series == "forced":
        glyph = "\u25cb"  # open circle, as drawn
    elif series == "upper limits":
        glyph = GLYPHS["t"]
    else:
        glyph = GLYPHS.get(band_symbol(band), GLYPHS["o"])
    return f'<span style="color:{band_colour(band)}">{glyph}</span>&nbsp;{name}'


def _bands(points: Photometry) -> list[str]:
    present = set(points.band.tolist())
    return [b for b in BAND_ORDER if b in present] + sorted(present - set(BAND_ORDER))


class LightcurvePanel(QWidget):
    """Magnitude (inverted axis) or flux against MJD; clicking a detection emits its id."""

    #: The source id (ZTF candid, Rubin diaSourceId) of a clicked detection.
    point_clicked = Signal(object)  # object: 64-bit ids overflow a C++ int

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert: Alert | None = None
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        # the legend is one rich-text label anchored in the plot's top right corner:
        # pyqtgraph's LegendItem (a graphics item per row) took ~40 % of a redraw
        # top left: the selected alert, ringed, is usually the newest point (right)
        self.legend = _Legend(justify="left", size="8pt", color="#e6e6e6")
        self.legend.setParentItem(self.plot.getPlotItem().getViewBox())
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(10, 10))
        self.units = QComboBox()
        self.units.addItems(["Magnitude", "Flux"])
        self.time_axis = QComboBox()
        self.time_axis.addItems(["MJD", "Days before this alert"])
        self.time_axis.currentIndexChanged.connect(self._redraw)
        self._x0 = 0.0
        self.forced_box = QCheckBox("Forced photometry")
        self.forced_box.setChecked(True)
        self.units.currentIndexChanged.connect(self._redraw)
        self.forced_box.toggled.connect(self._redraw)
        controls = QHBoxLayout()
        controls.addWidget(self.units)
        controls.addWidget(self.time_axis)
        controls.addWidget(self.forced_box)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plot)
        #: series name -> number of points drawn, for the legend and the tests.
        self.counts: dict[str, int] = {}
        self._user_chose_units = False
        #: plot items by series ("detections g", "detections g bars", "forced r", "ring")
        self._items: dict[str, pg.GraphicsObject] = {}
        self._shown: list[tuple[str, str]] = []
        self._legend_text = ""
        self._notes: list[str] = []
        self._labels: dict[str, str] = {}
        self.units.activated.connect(lambda _: setattr(self, "_user_chose_units", True))

    @property
    def flux_mode(self) -> bool:
        return self.units.currentIndex() == 1

    def show_alert(self, alert: Alert | None) -> None:
        self.alert = alert
        if alert is not None and not self._user_chose_units:
            # Rubin difference fluxes are often negative: flux is the honest default there
            self.units.blockSignals(True)
            self.units.setCurrentIndex(1 if alert.survey == "lsst" else 0)
            self.units.blockSignals(False)
        self._redraw()

    def _redraw(self) -> None:
        """Draw the alert, reusing the plot items of the last one (creating pyqtgraph
        items and legend rows is most of the cost of a redraw)."""
        self.counts = {}
        self._shown: list[tuple[str, str]] = []  # (series key, legend name), in order
        #: legend lines without a marker (points this unit cannot draw)
        self._notes: list[str] = []
        alert = self.alert
        if alert is not None:
            flux = self.flux_mode
            self.plot.getViewBox().invertY(not flux)
            unit = alert.flux_unit or "nJy"
            self._label("left", f"flux [{unit}]" if flux else "magnitude (AB)")
            relative = self.time_axis.currentIndex() == 1
            self._x0 = alert.mjd if relative else 0.0
            scale = alert.time_scale.upper()
            self._label("bottom", "days relative to this alert" if relative else f"MJD ({scale})")
            self._draw_detections(alert.detections, flux)
            if not flux:
                self._note_unplotted(alert)
            if not flux:
                self._draw_limits(alert.upper_limits)
            if self.forced_box.isChecked():
                self._draw_forced(alert.forced, flux)
                self._note_unmeasured(alert)
            self._highlight_current(alert, flux)
        used = {key for key, _ in self._shown} | {"ring", *(f"{k} bars" for k, _ in self._shown)}
        for key, item in self._items.items():
            if key not in used and item.isVisible():
                if isinstance(item, pg.ErrorBarItem):
                    item.setData(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0))
                else:
                    item.clear()
                item.setVisible(False)
        self._update_legend()
        self.plot.getViewBox().enableAutoRange()

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

    def _note_unplotted(self, alert: Alert) -> None:
        """A difference flux at or below zero has no magnitude: say how many points only
        the flux view shows, rather than leaving them silently out."""
        series = [("detections", alert.detections)]
        if self.forced_box.isChecked():
            series.append(("forced points", alert.forced))
        for name, points in series:
            missing = int((np.isfinite(points.flux) & ~np.isfinite(points.mag)).sum())
            if missing:
                self._notes.append(f"{missing} {name} with flux ≤ 0: see Flux")

    def _note_unmeasured(self, alert: Alert) -> None:
        """Forced epochs sent without a flux (ZTF's -99999) are drawn in no view: say how
        many, so an epoch the packet holds is never silently missing."""
        n = alert.n_forced_unmeasured
        if n:
            self._notes.append(f"{n} forced epoch{'s' if n != 1 else ''} without a measurement")

    def _update_legend(self) -> None:
        lines = [_legend_row(key, name) for key, name in self._shown]
        lines += [f"<i>{note}</i>" for note in self._notes]
        text = "<br>".join(lines)
        if text != self._legend_text:
            self._legend_text = text
            self.legend.setText(text)

    def legend_lines(self) -> list[str]:
        """The legend as plain text lines (what a user reads there)."""
        return [name for _, name in self._shown] + self._notes

    def _values(self, points: Photometry, flux: bool) -> tuple[np.ndarray, np.ndarray]:
        return (points.flux, points.flux_err) if flux else (points.mag, points.mag_err)

    def _draw_detections(self, points: Photometry, flux: bool) -> None:
        for band in _bands(points):
            chosen = points.band == band
            y, err = self._values(points, flux)
            x, y, err = points.mjd[chosen] - self._x0, y[chosen], err[chosen]
            ids = points.source_id[chosen]
            good = np.isfinite(x) & np.isfinite(y)
            if not good.any():
                continue
            colour = band_colour(band)
            error = np.where(np.isfinite(err[good]), err[good], 0.0)
            key = f"detections {band}"
            bars = self._item(f"{key} bars", lambda c=colour: pg.ErrorBarItem(pen=pg.mkPen(c)))
            bars.setData(x=x[good], y=y[good], height=2 * error)
            scatter = self._item(key, lambda b=band: self._scatter(b))
            scatter.setData(x=x[good], y=y[good], data=ids[good])
            self._shown.append((key, f"{band} ({good.sum()})"))
            self.counts[key] = int(good.sum())

    def _scatter(self, band: str) -> pg.ScatterPlotItem:
        colour = band_colour(band)
        scatter = pg.ScatterPlotItem(
            symbol=band_symbol(band), size=8, brush=pg.mkBrush(colour),
            pen=pg.mkPen("k", width=0.5), hoverable=True, tip=self._tip(band),
        )  # fmt: skip
        scatter.sigClicked.connect(self._clicked)
        return scatter

    def _draw_limits(self, points: Photometry) -> None:
        self._draw_markers(points, points.mag, "upper limits", "limit", symbol="t", size=8,
                           filled=True)  # fmt: skip

    def _draw_forced(self, points: Photometry, flux: bool) -> None:
        y_all, _ = self._values(points, flux)
        self._draw_markers(points, y_all, "forced", "forced", symbol="o", size=5, filled=False)

    def _draw_markers(
        self, points: Photometry, y_all: np.ndarray, series: str, label: str, *,
        symbol: str, size: int, filled: bool,
    ) -> None:  # fmt: skip
        """One marker series per band, without error bars (limits, forced points)."""
        for band in _bands(points):
            chosen = (points.band == band) & np.isfinite(y_all)
            if not chosen.any():
                continue
            colour = band_colour(band)

            def make(colour=colour, band=band) -> pg.ScatterPlotItem:
                return pg.ScatterPlotItem(
                    symbol=symbol, size=size, pen=pg.mkPen(colour),
                    brush=pg.mkBrush(colour + "55") if filled else None,
                    hoverable=True, tip=self._tip(band, label),
                )  # fmt: skip

            key = f"{series} {band}"
            self._item(key, make).setData(x=points.mjd[chosen] - self._x0, y=y_all[chosen])
            self._shown.append((key, f"{band} {label} ({chosen.sum()})"))
            self.counts[key] = int(chosen.sum())

    def _highlight_current(self, alert: Alert, flux: bool) -> None:
        y = alert.flux if flux else alert.mag
        if y is None or not np.isfinite(y):
            return
        ring = self._item(
            "ring",
            lambda: pg.ScatterPlotItem(
                symbol="o", size=20, brush=None, pen=pg.mkPen("#ffcc00", width=2.5)
            ),
        )
        ring.setData(x=[alert.mjd - self._x0], y=[y])

    def _tip(self, band: str, kind: str = "detection"):
        """Hover text; reads the alert shown at hover time (items outlive alerts)."""

        def tip(x: float, y: float, data: object) -> str:
            from astropy.time import Time

            alert = self.alert
            scale = alert.time_scale if alert and alert.time_scale in ("utc", "tai") else "utc"
            mjd = x + self._x0
            iso = Time(mjd, format="mjd", scale=scale).utc.iso[:19]
            return f"{band} {kind}\nMJD {mjd:.5f} {scale.upper()} ({iso} UTC)\n{y:.3f}"

        return tip

    def _clicked(self, _item: pg.ScatterPlotItem, points, _event=None) -> None:
        if len(points):
            source_id = points[0].data()
            if source_id is not None and int(source_id) >= 0:
                # emit after pyqtgraph's click handling returns: selecting another alert
                # redraws the plot and deletes the item that is handling this click
                QTimer.singleShot(0, lambda: self.point_clicked.emit(int(source_id)))
