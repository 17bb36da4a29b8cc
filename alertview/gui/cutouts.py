"""The cutout pane: science, template, difference side by side, linked, North up.
``CutoutsController`` decides scaling, colours, titles and marks; this widget draws
them (the marks: ``stamp_marks``)."""

from __future__ import annotations

import functools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QActionGroup, QBrush, QColor, QImage, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QLabel,
    QMenu,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

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

#: The two greys of the checks under a stamp, seen through its blank (NaN) pixels: a
#: pattern no colour map draws for data (a flat colour would read as a flux).
BLANK_CHECKS = ("#6e6e6e", "#9c9c9c")


def blank_brush() -> QBrush:
    """Checks of 2x2 stamp pixels (the brush is drawn in the stamp's pixel coordinates)."""
    texture = QImage(4, 4, QImage.Format.Format_RGB32)
    for x in range(4):
        for y in range(4):
            texture.setPixelColor(x, y, QColor(BLANK_CHECKS[(x // 2 + y // 2) % 2]))
    return QBrush(texture)


@functools.cache
def colour_lut(colour_map: str) -> np.ndarray:
    """The 256 RGB(A) rows pyqtgraph's image item would use for ``colour_map``."""
    return pg.colormap.get(colour_map).getLookupTable(nPts=256)


def stamp_rgba(image: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``image`` (0..1, NaN blank) coloured by ``lut`` (256 rows of RGB or RGBA), as
    pyqtgraph colours it (0..1 cut in 256 equal bins), blank pixels transparent.

    Given colours, pyqtgraph draws the image as it is; given values and a colour map
    it rescaled them and built the image's colour table in Python at each paint
    (~0.15 ms a stamp, three an alert)."""
    blank = np.isnan(image)
    bins = np.clip(np.where(blank, 0.0, image) * len(lut), 0, len(lut) - 1).astype(np.uint8)
    rgba = np.empty((*image.shape, 4), np.uint8)
    rgba[..., : lut.shape[1]] = lut[bins]
    if lut.shape[1] == 3:
        rgba[..., 3] = 255
    rgba[blank, 3] = 0
    return rgba


class StampTitle(pg.LabelItem):
    """A title that never sizes its column: pyqtgraph's asks for its text's width, so a
    long title (a negative difference's note) widened its column and shrank the others."""

    def updateMin(self) -> None:  # pyqtgraph's name
        super().updateMin()
        height = self.itemRect().height()
        self.setMinimumWidth(0)
        for hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            self._sizeHint[hint] = (0, height)
        self.updateGeometry()


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
        self.blanks: dict[str, QGraphicsRectItem] = {}
        # what each title was last given: unchanged ones are not set again (each costs
        # a text layout)
        self._shown_title: dict[str, tuple[str, str | None]] = {}
        for column, name in enumerate(CUTOUT_NAMES):
            label = StampTitle(TITLES[name])
            self.view.addItem(label, row=0, col=column)
            # equal columns whatever the titles say: a title's width does not size its column
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setFlag(label.GraphicsItemFlag.ItemClipsChildrenToShape)
            self.view.ci.layout.setColumnStretchFactor(column, 1)
            box = self.view.addViewBox(row=1, col=column, lockAspect=True, enableMenu=False)
            box.setMouseEnabled(True, True)
            box.setSizePolicy(QSizePolicy.Policy.Ignored, box.sizePolicy().verticalPolicy())
            blank = QGraphicsRectItem()
            blank.setBrush(blank_brush())
            blank.setPen(QPen(Qt.PenStyle.NoPen))
            blank.setZValue(-1)
            blank.setVisible(False)
            box.addItem(blank, ignoreBounds=True)
            self.blanks[name] = blank
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
            # the new transforms now, not in the paint: the marks' curves told of a new
            # transform while painting asked for a second paint of the three stamps
            for box in self.boxes.values():
                box.updateMatrix()

    def show_stamp(self, name: str, stamp: Stamp) -> None:
        image, blank = self.images[name], self.blanks[name]
        if stamp.image is None:
            image.clear()
            blank.setVisible(False)
        else:
            # NaN (blank) pixels are transparent: the checks show
            image.setImage(stamp_rgba(stamp.image, colour_lut(stamp.colour_map)), levels=None)
            image.setTransform(QTransform(*stamp.transform))
            rows, cols = stamp.image.shape[:2]
            # the checks only where they show: a textured, transformed fill of the
            # whole stamp under an image without blanks cost ~0.3 ms a stamp for nothing
            has_blanks = bool(np.isnan(stamp.image).any())
            if has_blanks:
                blank.setRect(QRectF(0, 0, cols, rows))
                blank.setTransform(QTransform(*stamp.transform))
            blank.setVisible(has_blanks)
        self.marks[name].show(stamp)
        if self._shown_title.get(name) != (stamp.title, stamp.title_colour):
            self._shown_title[name] = (stamp.title, stamp.title_colour)
            label = self.labels[name]
            label.setText(stamp.title, color=stamp.title_colour)
            label.setToolTip(stamp.tooltip)

    # -- the user's choices and the pixel under the cursor --------------------------------------
    def _menu(self, position) -> None:
        menu = self.display_menu()
        menu.exec(self.mapToGlobal(position))
        menu.deleteLater()

    def display_menu(self) -> QMenu:
        """Limits, Stretch and Colours submenus, each a set of either-or choices."""
        menu = QMenu(self)
        for title, key in (("Limits", "limits"), ("Stretch", "stretch"), ("Colours", "colours")):
            sub = menu.addMenu(title)
            group = QActionGroup(sub)  # one choice of each: radio buttons, not check boxes
            group.setExclusive(True)
            current = self.controller.current(key)
            for option in CHOICES[key]:
                value = COLOUR_MAPS.get(option, option) if key == "colours" else option
                action = sub.addAction(option)
                action.setCheckable(True)
                group.addAction(action)
                action.setChecked(value == current)
                action.triggered.connect(
                    lambda _=False, k=key, v=value: self.controller.set_display(**{k: v})
                )
        return menu

    def _hover(self, name: str, scene_pos) -> None:
        stamp = self.controller.stamps.get(name)
        if stamp is None or stamp.image is None:
            return
        if not self.boxes[name].sceneBoundingRect().contains(scene_pos):
            return
        point = self.images[name].mapFromScene(scene_pos)
        self.pixel_label.setText(self.controller.describe_pixel(name, point.x(), point.y()))
