"""The light-curve pane for an object: the alert pane's plot and controls, drawing the
merged light curve, with a "DC mag" box for ZTF's apparent magnitudes."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from alertview.controllers.lightcurve import Series
from alertview.controllers.object_lightcurve import DC_KIND, ObjectLightcurveController
from alertview.core.object_lightcurve import ObjectLightcurve
from alertview.gui.lightcurve import LightcurvePanel
from alertview.gui.lightcurve_parts import legend_entry
from alertview.gui.points_item import Marker
from alertview.gui.theme import band_colour, band_symbol


class ObjectLightcurvePanel(LightcurvePanel):
    """``LightcurvePanel`` with the object's controller; DC points drawn hollow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        alert_controller, self.controller = self.controller, ObjectLightcurveController(self)
        self.forced_box.toggled.disconnect(alert_controller.set_forced)
        self.forced_box.toggled.connect(self.controller.set_forced)
        self.dc_box = QCheckBox(DC_KIND)
        self.dc_box.setChecked(True)
        self.dc_box.setToolTip(
            "ZTF apparent magnitude: the reference source's flux (magnr) plus or minus the "
            "difference's (isdiffpos), where the reference source is within 1.4\""
        )
        self.dc_box.toggled.connect(self.controller.set_dc)
        controls = self.layout().itemAt(0).layout()
        assert isinstance(controls, QHBoxLayout)
        controls.insertWidget(controls.count() - 1, self.dc_box)
        self.controller.redraw()  # its own words while nothing is chosen

    def show_object(self, lightcurve: ObjectLightcurve | None) -> None:
        self.controller.show_object(lightcurve)
        self.dc_box.setEnabled(lightcurve is not None and len(lightcurve.dc) > 0)

    def legend_entry(self, series: Series) -> str:
        if series.kind != DC_KIND:
            return legend_entry(series)
        glyph = "\u25c7" if band_symbol(series.band) == "d" else "\u25cb"  # hollow, as drawn
        return (
            f'<span style="color:{band_colour(series.band)}">{glyph}</span>&nbsp;{series.legend}'
        )

    def marker(self, series: Series) -> Marker:
        if series.kind != DC_KIND:
            return super().marker(series)
        colour = band_colour(series.band)
        return Marker(band_symbol(series.band), 9, colour, 1.6, bars=colour)  # hollow
