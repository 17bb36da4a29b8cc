"""The cutout pane: science, template, difference side by side, linked, North up.
``CutoutsController`` decides scaling, colours, titles and marks; this widget draws
them (the marks: ``stamp_marks``)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from alertview.controllers.cutouts import (
    CHOICES,
    COLOUR_MAPS,
    TITLES,
    CutoutsController,
    Scaled,
    Stamp,
)
from alertview.core.alert import CUTOUT_NAMES
from alertview.core.cutouts import Cutout, CutoutError
from alertview.gui.stamp_marks import StampMarks


class CutoutPanel(QWidget):
    """Three linked image views; a missing or broken stamp shows a labelled blank."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.controller = CutoutsController(self)
        self.pixel_label = QLabel(" ")
        layout.addWidget(self.pixel_label)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.boxes: dict[str, pg.ViewBox] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.labels: dict[str, pg.LabelItem] = {}
        self.marks: dict[str, StampMarks] = {}
        # what each image and title was last given: unchanged ones are not set again
        # (each costs a lookup table or a text layout, ~1 ms an alert for nothing)
        self._shown_map: dict[str, str] = {}
        self._shown_title: dict[str, tuple[str, str | None]] = {}
        for column, name in enumerate(CUTOUT_NAMES):
            label = self.view.addLabel(TITLES[name], row=0, col=column)
            box = self.view.addViewBox(row=1, col=column, lockAspect=True, enableMenu=False)
            box.setMouseEnabled(True, True)
            image = pg.ImageItem()
            box.addItem(image)
            self.boxes[name], self.images[name] = box, image
            self.labels[name], self.marks[name] = label, StampMarks(box)
            box.scene().sigMouseMoved.connect(lambda pos, n=name: self._hover(n, pos))
        for name in ("template", "difference"):
            self.boxes[name].setXLink(self.boxes["science"])
            self.boxes[name].setYLink(self.boxes["science"])
        self.boxes["science"].sigResized.connect(lambda *_: self.fit(self.controller.extent))

    def show_cutouts(
        self,
        cutouts: dict[str, Cutout | CutoutError],
        prepared: tuple[tuple[str, str], dict[str, Scaled]] | None = None,
    ) -> None:
        self.pixel_label.setText(" ")  # the last alert's pixel is not this one's
        self.controller.show_cutouts(cutouts, prepared)

    def set_display(
        self, limits: str | None = None, stretch: str | None = None, colours: str | None = None
    ) -> None:
        self.controller.set_display(limits, stretch, colours)

    # -- the CutoutsView the controller drives --------------------------------------------------
    def fit(self, extent: tuple[float, float] | None) -> None:
        """Show the whole stamp (again after a resize: a hidden tab has no size yet)."""
        if extent is not None:
            hx, hy = extent
            self.boxes["science"].setRange(xRange=(-hx, hx), yRange=(-hy, hy), padding=0.02)

    def show_stamp(self, name: str, stamp: Stamp) -> None:
        image = self.images[name]
        if stamp.image is None:
            image.clear()
        else:
            image.setImage(stamp.image, autoLevels=False, levels=(0.0, 1.0))
            if self._shown_map.get(name) != stamp.colour_map:
                image.setColorMap(pg.colormap.get(stamp.colour_map))
                self._shown_map[name] = stamp.colour_map
            image.setTransform(QTransform(*stamp.transform))
        self.marks[name].show(stamp)
        if self._shown_title.get(name) != (stamp.title, stamp.title_colour):
            self._shown_title[name] = (stamp.title, stamp.title_colour)
            self.labels[name].setText(stamp.title, color=stamp.title_colour)

    # -- the user's choices and the pixel under the cursor --------------------------------------
    def _menu(self, position) -> None:
        menu = QMenu(self)
        for title, key in (("Limits", "limits"), ("Stretch", "stretch"), ("Colours", "colours")):
            sub = menu.addMenu(title)
            current = self.controller.current(key)
            for option in CHOICES[key]:
                value = COLOUR_MAPS.get(option, option) if key == "colours" else option
                action = sub.addAction(option)
                action.setCheckable(True)
                action.setChecked(value == current)
                action.triggered.connect(
                    lambda _=False, k=key, v=value: self.controller.set_display(**{k: v})
                )
        menu.exec(self.mapToGlobal(position))

    def _hover(self, name: str, scene_pos) -> None:
        stamp = self.controller.stamps.get(name)
        if stamp is None or stamp.image is None:
            return
        if not self.boxes[name].sceneBoundingRect().contains(scene_pos):
            return
        point = self.images[name].mapFromScene(scene_pos)
        self.pixel_label.setText(self.controller.describe_pixel(name, point.x(), point.y()))
