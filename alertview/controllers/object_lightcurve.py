"""An object's merged light curve: the alert light curve's series, plus ZTF's apparent
("DC") magnitudes as a series of their own that the user can hide."""

from __future__ import annotations

import numpy as np

from alertview.controllers.lightcurve import LightcurveController, LightcurvePlot, Series, bands
from alertview.controllers.views import LightcurveView
from alertview.core.alert import Photometry
from alertview.core.object_lightcurve import ObjectLightcurve

#: The kind (and legend word) of the apparent-magnitude series.
DC_KIND = "DC mag"


class ObjectLightcurveController(LightcurveController):
    """What ``LightcurveController`` draws for the object's merged alert, and the DC
    magnitudes in the magnitude view (they have no meaning as a difference flux)."""

    empty_text = "Select an object"

    def __init__(self, view: LightcurveView) -> None:
        super().__init__(view)
        self.dc = Photometry.empty()
        self.show_dc = True

    def show_object(self, lightcurve: ObjectLightcurve | None) -> None:
        self.dc = Photometry.empty() if lightcurve is None else lightcurve.dc
        self.show_alert(None if lightcurve is None else lightcurve.alert)

    def set_dc(self, shown: bool) -> None:
        self.show_dc = shown
        self.redraw()

    def _plan(self) -> LightcurvePlot:
        plot = super()._plan()
        if self.alert is None or self.flux or not self.show_dc:
            return plot
        points = self.dc
        for band in bands(points):
            chosen = (points.band == band) & np.isfinite(points.mag)
            if not chosen.any():
                continue
            error = points.mag_err[chosen]
            plot.series.append(
                Series(
                    f"dc {band}",
                    DC_KIND,
                    band,
                    points.mjd[chosen] - self.x0,
                    points.mag[chosen],
                    f"{band} {DC_KIND} ({int(chosen.sum())})",
                    np.where(np.isfinite(error), error, 0.0),
                    points.source_id[chosen],
                )
            )
        return plot
