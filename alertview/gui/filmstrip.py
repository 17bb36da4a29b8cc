"""The cutout filmstrip of one object: a science/template/difference triplet per alert in
time order, and a blink panel alternating science and template (the frame clicked, else
the newest) so a change between them jumps out.

What each stamp looks like (scaling, colour map, North up) was decided off the GUI
thread (``controllers.objects.frame_of``); this only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from alertview.controllers.cutouts import TITLES, Stamp
from alertview.controllers.objects import Frame
from alertview.core.alert import CUTOUT_NAMES
from alertview.core.wording import counted
from alertview.gui.cutouts import colour_lut, stamp_rgba

#: Height of one triplet in the strip (pixels).
ROW_HEIGHT = 104
#: Blink: milliseconds each of science and template stays on screen (~2 Hz).
BLINK_MS = 500


def draw_stamp(image: pg.ImageItem, stamp: Stamp | None) -> None:
    """One stamp in an image item, as the cutout panel draws it."""
    if stamp is None or stamp.image is None:
        image.clear()
        return
    image.setImage(stamp_rgba(stamp.image, colour_lut(stamp.colour_map)), levels=None)
    if stamp.transform is not None:
        image.setTransform(QTransform(*stamp.transform))


def fit(box: pg.ViewBox, stamp: Stamp | None) -> None:
    if stamp is not None and stamp.image is not None:
        rows, cols = stamp.image.shape[:2]
        half = max(rows, cols) / 2
        box.setRange(xRange=(-half, half), yRange=(-half, half), padding=0.02)


class Filmstrip(QWidget):
    """Blink panel on top, the strip of triplets below (scrolls)."""

    #: The blink panel now shows this stamp name ("science" or "template").
    blinked = Signal(str)
    #: The user clicked the triplet at this place in the strip.
    frame_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.blink_button = QPushButton("Blink (B)")
        self.blink_button.setCheckable(True)
        self.blink_button.setToolTip("Alternate science and template of the frame shown (B)")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        controls = QHBoxLayout()
        controls.addWidget(self.blink_button)
        controls.addWidget(self.note, 1)
        self.blink_view = pg.GraphicsLayoutWidget()
        self.blink_label = self.blink_view.addLabel(" ", row=0, col=0)
        self.blink_box = self.blink_view.addViewBox(
            row=1, col=0, lockAspect=True, enableMenu=False
        )
        self.blink_image = pg.ImageItem()
        self.blink_box.addItem(self.blink_image)
        self.strip = pg.GraphicsLayoutWidget()
        self.strip.ci.setSpacing(2)
        self.strip.scene().sigMouseClicked.connect(self._clicked)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.strip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.blink_view, 2)
        layout.addWidget(self.scroll, 3)
        self.timer = QTimer(self)
        self.timer.setInterval(BLINK_MS)
        #: One entry per triplet drawn: (caption, {name: (view box, image)})
        self.rows: list[tuple[pg.LabelItem, dict[str, tuple[pg.ViewBox, pg.ImageItem]]]] = []
        self.frames: tuple[Frame, ...] = ()
        #: What the blink panel shows: (frame alert id, stamp name), None when empty.
        self.shown: tuple[int, str] | None = None
        self._marked: Frame | None = None

    # -- the strip ----------------------------------------------------------------------------
    def show_frames(self, frames: Sequence[Frame], note: str = "") -> None:
        """One triplet per frame, oldest at the top, scrolled to the newest; the same
        object's frames again with more (a stream) keep the place the user scrolled to."""
        bar = self.scroll.verticalScrollBar()
        before = {f.alert_id for f in self.frames}
        again = bool(before) and before <= {f.alert_id for f in frames}
        keep = bar.value() if again and bar.value() < bar.maximum() else None
        self.frames = tuple(frames)
        self._marked = None
        self.strip.clear()
        self.rows = []
        for number, frame in enumerate(self.frames):
            caption = self.strip.addLabel(
                frame.caption.replace("  ", "<br>"), row=number, col=0, size="8pt"
            )
            caption.setFixedWidth(104)
            boxes = {}
            for column, name in enumerate(CUTOUT_NAMES, start=1):
                box = self.strip.addViewBox(row=number, col=column, lockAspect=True)
                box.setMouseEnabled(False, False)
                box.setMenuEnabled(False)
                image = pg.ImageItem()
                box.addItem(image)
                stamp = frame.stamps.get(name)
                draw_stamp(image, stamp)
                fit(box, stamp)
                boxes[name] = (box, image)
            self.rows.append((caption, boxes))
        self.strip.setMinimumHeight(ROW_HEIGHT * len(self.frames))
        self.strip.setMaximumHeight(max(ROW_HEIGHT * len(self.frames), 1))
        titles = " · ".join(TITLES[n] for n in CUTOUT_NAMES)
        count = f"{counted(len(self.frames), 'alert')}: {titles}"
        self.note.setText(f"{count}{f' ({note})' if note else ''}" if self.frames else note)
        if keep is not None:
            QTimer.singleShot(0, lambda: bar.setValue(keep))
        elif self.frames:
            QTimer.singleShot(0, self._scroll_to_newest)

    def _scroll_to_newest(self) -> None:
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

    def row_at(self, scene_pos) -> int | None:
        for number, (_, boxes) in enumerate(self.rows):
            for box, _ in boxes.values():
                if box.sceneBoundingRect().contains(scene_pos):
                    return number
        return None

    def _clicked(self, event) -> None:
        number = self.row_at(event.scenePos())
        if number is not None:
            self.frame_clicked.emit(number)

    # -- the blink panel ------------------------------------------------------------------------
    def show_blink(self, frame: Frame | None, name: str) -> None:
        stamp = None if frame is None else frame.stamps.get(name)
        draw_stamp(self.blink_image, stamp)
        if frame is None:
            self.blink_label.setText(" ")
            self.shown = None
        else:
            self.blink_label.setText(f"{TITLES[name]} — {frame.caption}", size="9pt")
            fit(self.blink_box, stamp)
            self.shown = (frame.alert_id, name)
        self._mark(frame)
        self.blinked.emit(name)

    def _mark(self, frame: Frame | None) -> None:
        """The caption of the triplet in the blink panel in bold, the others plain."""
        if frame is self._marked:
            return  # (the blink's steps: each text set is a layout)
        self._marked = frame
        for (caption, _), shown in zip(self.rows, self.frames, strict=True):
            text = shown.caption.replace("  ", "<br>")
            caption.setText(f"<b>{text}</b>" if shown is frame else text, size="8pt")
