"""The cutout pane: science, template, difference side by side, linked, North up."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QVBoxLayout, QWidget

from alertview.core.alert import CUTOUT_NAMES
from alertview.core.cutouts import Cutout, CutoutError
from alertview.core.scaling import display_limits, stretch_image

TITLES = {"science": "Science", "template": "Template", "difference": "Difference"}


class CutoutPanel(QWidget):
    """Three linked image views; a missing or broken stamp shows a labelled blank."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.stretch = "asinh"
        self.limits = "zscale"
        self.boxes: dict[str, pg.ViewBox] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.labels: dict[str, pg.LabelItem] = {}
        self.crosshairs: dict[str, pg.ScatterPlotItem] = {}
        for column, name in enumerate(CUTOUT_NAMES):
            label = self.view.addLabel(TITLES[name], row=0, col=column)
            box = self.view.addViewBox(row=1, col=column, lockAspect=True, enableMenu=False)
            box.setMouseEnabled(True, True)
            image = pg.ImageItem()
            box.addItem(image)
            cross = pg.ScatterPlotItem(symbol="+", size=14, pen=pg.mkPen("#00e5ff", width=1.5))
            box.addItem(cross)
            self.boxes[name], self.images[name] = box, image
            self.labels[name], self.crosshairs[name] = label, cross
        self.boxes["template"].setXLink(self.boxes["science"])
        self.boxes["template"].setYLink(self.boxes["science"])
        self.boxes["difference"].setXLink(self.boxes["science"])
        self.boxes["difference"].setYLink(self.boxes["science"])
        self.cutouts: dict[str, Cutout | CutoutError] = {}

    def show_cutouts(self, cutouts: dict[str, Cutout | CutoutError]) -> None:
        self.cutouts = cutouts
        for name in CUTOUT_NAMES:
            self._show_one(name, cutouts.get(name, CutoutError(f"{name} cutout is missing")))
        self.boxes["science"].autoRange(padding=0.02)

    def _show_one(self, name: str, cutout: Cutout | CutoutError) -> None:
        image, cross = self.images[name], self.crosshairs[name]
        if isinstance(cutout, CutoutError):
            image.clear()
            cross.clear()
            self.labels[name].setText(f"{TITLES[name]}: {cutout}", color="#c0392b")
            return
        # limits symmetric about zero only where zero means "no change" (FITS, not JPEG)
        difference = name == "difference" and cutout.kind == "fits"
        data = cutout.data
        lo, hi = display_limits(data, self.limits, symmetric=difference)
        shown = stretch_image(data, (lo, hi), "linear" if difference else self.stretch)
        colours = pg.colormap.get("CET-D1A" if difference else "CET-L1")
        image.setImage(np.nan_to_num(shown, nan=0.0), autoLevels=False, levels=(0.0, 1.0))
        image.setColorMap(colours)
        rows, cols = data.shape
        # rotate/flip about the stamp centre so North is up and East left
        m = cutout.sky_transform
        cx, cy = (float(v) for v in m @ np.array([cols / 2.0, rows / 2.0]))
        transform = QTransform(
            float(m[0, 0]), float(m[1, 0]), float(m[0, 1]), float(m[1, 1]), -cx, -cy
        )
        image.setTransform(transform)
        cross.setData([0.0], [0.0])
        self.labels[name].setText(f"{TITLES[name]} {rows}×{cols}", color=None)  # noqa: RUF001

    def shapes(self) -> dict[str, tuple[int, int]]:
        """Shapes of the stamps on show (what a test checks)."""
        return {
            name: tuple(self.images[name].image.shape)
            for name in CUTOUT_NAMES
            if self.images[name].image is not None
        }
