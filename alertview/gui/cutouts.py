"""The cutout pane: science, template, difference side by side, linked, North up."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from alertview.core.alert import CUTOUT_NAMES
from alertview.core.cutouts import Cutout, CutoutError
from alertview.core.scaling import display_image

TITLES = {"science": "Science", "template": "Template", "difference": "Difference"}
#: Menu name -> pyqtgraph colour map (the difference keeps its diverging map).
COLOUR_MAPS = {"grey": "CET-L1", "viridis": "viridis", "inferno": "inferno", "cividis": "cividis"}


def _is_difference(name: str, cutout: Cutout) -> bool:
    # limits symmetric about zero only where zero means "no change" (FITS, not JPEG)
    return name == "difference" and cutout.kind == "fits"


def prepare(
    cutouts: dict[str, Cutout | CutoutError], choices: tuple[str, str]
) -> tuple[tuple[str, str], dict[str, np.ndarray]]:
    """The stamps scaled for display with ``choices`` (limits, stretch); thread-safe."""
    limits, stretch = choices
    shown = {
        name: display_image(c.data, limits, stretch, _is_difference(name, c))
        for name, c in cutouts.items()
        if isinstance(c, Cutout)
    }
    return choices, shown


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
        self.colour_map = "CET-L1"
        self.pixel_label = QLabel(" ")
        layout.addWidget(self.pixel_label)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.boxes: dict[str, pg.ViewBox] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.labels: dict[str, pg.LabelItem] = {}
        self.crosshairs: dict[str, pg.ScatterPlotItem] = {}
        # what each view shows now: a colour map or title is set again only when it changes
        # (each costs a lookup table or a text layout, ~1 ms an alert for nothing)
        self._shown_map: dict[str, str] = {}
        self._shown_title: dict[str, tuple[str, str | None]] = {}
        for column, name in enumerate(CUTOUT_NAMES):
            label = self.view.addLabel(TITLES[name], row=0, col=column)
            box = self.view.addViewBox(row=1, col=column, lockAspect=True, enableMenu=False)
            box.setMouseEnabled(True, True)
            image = pg.ImageItem()
            box.addItem(image)
            cross = pg.ScatterPlotItem(symbol="+", size=14, pen=pg.mkPen("#00e5ff", width=1.5))
            box.addItem(cross, ignoreBounds=True)
            self.boxes[name], self.images[name] = box, image
            self.labels[name], self.crosshairs[name] = label, cross
            box.scene().sigMouseMoved.connect(lambda pos, n=name: self._hover(n, pos))
        self.boxes["template"].setXLink(self.boxes["science"])
        self.boxes["template"].setYLink(self.boxes["science"])
        self.boxes["difference"].setXLink(self.boxes["science"])
        self.boxes["difference"].setYLink(self.boxes["science"])
        self.cutouts: dict[str, Cutout | CutoutError] = {}
        self._extent: tuple[float, float] | None = None
        self.boxes["science"].sigResized.connect(lambda *_: self.fit())

    def show_cutouts(
        self,
        cutouts: dict[str, Cutout | CutoutError],
        prepared: tuple[tuple[str, str], dict[str, np.ndarray]] | None = None,
    ) -> None:
        """Show the stamps; ``prepared`` holds images already scaled elsewhere for the
        display choices it names (used when those are still the panel's)."""
        self.cutouts = cutouts
        ready = {}
        if prepared is not None and prepared[0] == (self.limits, self.stretch):
            ready = prepared[1]
        for name in CUTOUT_NAMES:
            cutout = cutouts.get(name, CutoutError(f"{name} cutout is missing"))
            self._show_one(name, cutout, ready.get(name))
        self._extent = self._stamp_extent(cutouts)
        self.fit()

    @staticmethod
    def _stamp_extent(cutouts: dict[str, Cutout | CutoutError]) -> tuple[float, float] | None:
        """Half-width and half-height on screen of the (possibly rotated) stamps."""
        for cutout in cutouts.values():
            if isinstance(cutout, Cutout):
                rows, cols = cutout.data.shape
                corners = np.array([[-cols, -cols, cols, cols], [-rows, rows, -rows, rows]]) / 2
                screen = cutout.sky_transform @ corners
                return float(np.abs(screen[0]).max()), float(np.abs(screen[1]).max())
        return None

    def fit(self) -> None:
        """Show the whole stamp (again after a resize: a hidden tab has no size yet)."""
        if self._extent is not None:
            hx, hy = self._extent
            self.boxes["science"].setRange(xRange=(-hx, hx), yRange=(-hy, hy), padding=0.02)

    def display_choices(self) -> tuple[str, str]:
        """(limits, stretch): what ``prepare`` needs to scale stamps off the GUI thread."""
        return self.limits, self.stretch

    def _show_one(
        self, name: str, cutout: Cutout | CutoutError, shown: np.ndarray | None = None
    ) -> None:
        image, cross = self.images[name], self.crosshairs[name]
        if isinstance(cutout, CutoutError):
            image.clear()
            cross.clear()
            self._title(name, f"{TITLES[name]}: {cutout}", "#c0392b")
            return
        difference = _is_difference(name, cutout)
        data = cutout.data
        if shown is None:
            shown = display_image(data, self.limits, self.stretch, difference)
        colours = "CET-D1A" if difference else self.colour_map
        image.setImage(shown, autoLevels=False, levels=(0.0, 1.0))
        if self._shown_map.get(name) != colours:
            image.setColorMap(pg.colormap.get(colours))
            self._shown_map[name] = colours
        rows, cols = data.shape
        # rotate/flip about the stamp centre so North is up and East left
        m = cutout.sky_transform
        cx, cy = (float(v) for v in m @ np.array([cols / 2.0, rows / 2.0]))
        transform = QTransform(
            float(m[0, 0]), float(m[1, 0]), float(m[0, 1]), float(m[1, 1]), -cx, -cy
        )
        image.setTransform(transform)
        cross.setData([0.0], [0.0])
        self._title(name, f"{TITLES[name]} {rows}×{cols}", None)  # noqa: RUF001

    def _title(self, name: str, text: str, colour: str | None) -> None:
        if self._shown_title.get(name) != (text, colour):
            self._shown_title[name] = (text, colour)
            self.labels[name].setText(text, color=colour)

    # -- display choices -------------------------------------------------------------------
    def set_display(
        self, limits: str | None = None, stretch: str | None = None, colours: str | None = None
    ) -> None:
        """Change limits (zscale, minmax, percentile), stretch or colour map; redraw."""
        self.limits = limits or self.limits
        self.stretch = stretch or self.stretch
        self.colour_map = colours or self.colour_map
        if self.cutouts:
            for name in CUTOUT_NAMES:
                self._show_one(name, self.cutouts.get(name, CutoutError(f"{name} is missing")))

    def _menu(self, position) -> None:
        menu = QMenu(self)
        for title, key, options in (
            ("Limits", "limits", ("zscale", "minmax", "percentile")),
            ("Stretch", "stretch", ("linear", "asinh", "log")),
            ("Colours", "colours", tuple(COLOUR_MAPS)),
        ):
            sub = menu.addMenu(title)
            current = {"limits": self.limits, "stretch": self.stretch,
                       "colours": self.colour_map}[key]  # fmt: skip
            for option in options:
                value = COLOUR_MAPS.get(option, option) if key == "colours" else option
                action = sub.addAction(option)
                action.setCheckable(True)
                action.setChecked(value == current)
                action.triggered.connect(
                    lambda _=False, k=key, v=value: self.set_display(**{k: v})
                )
        menu.exec(self.mapToGlobal(position))

    # -- the pixel under the cursor -----------------------------------------------------------
    def _hover(self, name: str, scene_pos) -> None:
        cutout = self.cutouts.get(name)
        image = self.images[name]
        if not isinstance(cutout, Cutout) or image.image is None:
            return
        if not self.boxes[name].sceneBoundingRect().contains(scene_pos):
            return
        point = image.mapFromScene(scene_pos)
        self.pixel_label.setText(self.describe_pixel(name, point.x(), point.y()))

    def describe_pixel(self, name: str, x: float, y: float) -> str:
        """Value (and RA/Dec where the stamp has a WCS) at image coordinates x, y."""
        cutout = self.cutouts.get(name)
        if not isinstance(cutout, Cutout):
            return " "
        col, row = int(np.floor(x)), int(np.floor(y))
        rows, cols = cutout.data.shape
        if not (0 <= col < cols and 0 <= row < rows):
            return " "
        text = f"{TITLES[name]} pixel ({col}, {row}) = {cutout.data[row, col]:.4g}"
        unit = cutout.header.get("BUNIT") if cutout.header_text else None
        if unit:
            text += f" {unit}"
        if cutout.wcs is not None:
            ra, dec = cutout.wcs.pixel_to_world_values(col, row)
            text += f"   RA {float(ra):.6f}  Dec {float(dec):+.6f}"
        return text

    def shapes(self) -> dict[str, tuple[int, int]]:
        """Shapes of the stamps on show (what a test checks)."""
        return {
            name: tuple(self.images[name].image.shape)
            for name in CUTOUT_NAMES
            if self.images[name].image is not None
        }
