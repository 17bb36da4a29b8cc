"""How the three stamps are shown: scaling, colour map, orientation, titles, the marks
on them (ticks, compass, scale bar, limits), the pixel under the cursor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import numpy as np

from alertview.controllers.views import CutoutsView
from alertview.core.alert import CUTOUT_NAMES
from alertview.core.cutouts import Cutout, CutoutError
from alertview.core.scaling import Limits, Stretch, stretch_image
from alertview.core.stamp_limits import LIMITS, symmetric
from alertview.core.stamp_overlay import Overlay, stamp_overlay

TITLES = {"science": "Science", "template": "Template", "difference": "Difference"}
#: Menu name -> pyqtgraph colour map (the difference keeps its diverging map).
COLOUR_MAPS = {"grey": "CET-L1", "viridis": "viridis", "inferno": "inferno", "cividis": "cividis"}
DIVERGING_MAP = "CET-D1A"
#: The display choices the panel's menu offers.
CHOICES = {
    "limits": ("zscale", "minmax", "percentile"),
    "stretch": ("linear", "asinh", "log"),
    "colours": tuple(COLOUR_MAPS),
}
ERROR_COLOUR = "#c0392b"
#: The title of a difference the packet calls negative (ZTF's isdiffpos = f).
NOTE_COLOUR = "#f39c12"
#: What such a title says in short; the stamp's note (why) is its tooltip.
NOTE_TAG = "negative"
_BUNIT = re.compile(r"BUNIT   = '([^']*)'")
#: A stamp scaled for display, and the limits it was scaled between.
Scaled = tuple[np.ndarray, tuple[float, float]]


@dataclass(frozen=True)
class Stamp:
    """One stamp as drawn: an image scaled to 0..1, or ``None`` and the reason."""

    title: str
    title_colour: str | None = None
    image: np.ndarray | None = None
    colour_map: str | None = None
    #: QTransform's (m11, m12, m21, m22, dx, dy): North up, East left, centred.
    transform: tuple[float, ...] | None = None
    overlay: Overlay | None = None
    #: The display limits, written in the stamp's corner.
    limits_text: str = ""
    #: The title's full story (the title stays short: three columns share the width).
    tooltip: str = ""


def scale(name: str, cutout: Cutout, limits: Limits, stretch: Stretch) -> Scaled:
    """A stamp in [0, 1] and its limits (fitted once per stamp: ``core.stamp_limits``);
    a difference gets limits symmetric about zero and a linear stretch (zero must stay
    "no change"). Blank pixels stay NaN: the view draws them transparent over a pattern
    no colour map makes (as 0 they looked like the map's darkest data)."""
    difference = symmetric(name, cutout)
    lo_hi = LIMITS.limits(cutout, limits, symmetric=difference)
    return stretch_image(cutout.data, lo_hi, "linear" if difference else stretch), lo_hi


def prepare(
    cutouts: dict[str, Cutout | CutoutError], choices: tuple[str, str]
) -> tuple[tuple[str, str], dict[str, Scaled]]:
    """The stamps scaled for display with ``choices`` (limits, stretch); thread-safe."""
    limits, stretch = cast(Limits, choices[0]), cast(Stretch, choices[1])
    shown = {
        name: scale(name, c, limits, stretch)
        for name, c in cutouts.items()
        if isinstance(c, Cutout)
    }
    return choices, shown


def stamp_extent(cutouts: dict[str, Cutout | CutoutError]) -> tuple[float, float] | None:
    """Half-width and half-height on screen of the (possibly rotated) stamps."""
    for cutout in cutouts.values():
        if isinstance(cutout, Cutout):
            rows, cols = cutout.data.shape
            corners = np.array([[-cols, -cols, cols, cols], [-rows, rows, -rows, rows]]) / 2
            screen = cutout.sky_transform @ corners
            return float(np.abs(screen[0]).max()), float(np.abs(screen[1]).max())
    return None


class CutoutsController:
    """Science, template, difference with the user's limits, stretch and colour map."""

    def __init__(self, view: CutoutsView) -> None:
        self.view = view
        self.limits = "zscale"
        self.stretch = "asinh"
        self.colour_map = "CET-L1"
        self.cutouts: dict[str, Cutout | CutoutError] = {}
        self.stamps: dict[str, Stamp] = {}
        self.extent: tuple[float, float] | None = None

    def display_choices(self) -> tuple[str, str]:
        """(limits, stretch): what ``prepare`` needs to scale stamps off the GUI thread."""
        return self.limits, self.stretch

    def show_cutouts(
        self,
        cutouts: dict[str, Cutout | CutoutError],
        prepared: tuple[tuple[str, str], dict[str, Scaled]] | None = None,
    ) -> None:
        """Show the stamps; ``prepared`` holds images already scaled elsewhere for the
        display choices it names (used when those are still the panel's)."""
        self.cutouts = cutouts
        ready: dict[str, Scaled] = {}
        if prepared is not None and prepared[0] == self.display_choices():
            ready = prepared[1]
        self.extent = stamp_extent(cutouts)
        for name in CUTOUT_NAMES:
            cutout = cutouts.get(name, CutoutError(f"{name} cutout is missing"))
            self._show(name, cutout, ready.get(name))
        self.view.fit(self.extent)

    def set_display(
        self, limits: str | None = None, stretch: str | None = None, colours: str | None = None
    ) -> None:
        """Change limits (zscale, minmax, percentile), stretch or colour map; redraw."""
        self.limits = limits or self.limits
        self.stretch = stretch or self.stretch
        self.colour_map = colours or self.colour_map
        if self.cutouts:
            for name in CUTOUT_NAMES:
                self._show(name, self.cutouts.get(name, CutoutError(f"{name} is missing")))

    def current(self, key: str) -> str:
        """The current choice of ``key`` ("limits", "stretch", "colours")."""
        return {"limits": self.limits, "stretch": self.stretch, "colours": self.colour_map}[key]

    def shapes(self) -> dict[str, tuple[int, int]]:
        """Shapes of the stamps on show."""
        return {n: s.image.shape for n, s in self.stamps.items() if s.image is not None}

    def _show(self, name: str, cutout: Cutout | CutoutError, shown: Scaled | None = None) -> None:
        self.stamps[name] = stamp = self._stamp(name, cutout, shown)
        self.view.show_stamp(name, stamp)

    def _stamp(self, name: str, cutout: Cutout | CutoutError, shown: Scaled | None) -> Stamp:
        if isinstance(cutout, CutoutError):
            return Stamp(f"{TITLES[name]}: {cutout}", ERROR_COLOUR)
        difference = symmetric(name, cutout)
        if shown is None:
            shown = scale(name, cutout, cast(Limits, self.limits), cast(Stretch, self.stretch))
        image, (lo, hi) = shown
        rows, cols = cutout.data.shape
        # rotate/flip about the stamp centre so North is up and East left
        m = cutout.sky_transform
        cx, cy = (float(v) for v in m @ np.array([cols / 2.0, rows / 2.0]))
        transform = (float(m[0, 0]), float(m[1, 0]), float(m[0, 1]), float(m[1, 1]), -cx, -cy)
        title = f"{TITLES[name]} {rows}×{cols}"  # noqa: RUF001
        found = _BUNIT.search(cutout.header_text)
        unit = f" {found[1].strip()}" if found and found[1].strip() else ""
        return Stamp(
            f"{title} ({NOTE_TAG})" if cutout.note else title,
            NOTE_COLOUR if cutout.note else None,
            image=image,
            colour_map=DIVERGING_MAP if difference else self.colour_map,
            transform=transform,
            overlay=stamp_overlay(cutout, self.extent or (cols / 2, rows / 2)),
            limits_text=f"{self.limits} {lo:.4g} … {hi:.4g}{unit}",
            tooltip=cutout.note,
        )

    def describe_pixel(self, name: str, x: float, y: float) -> str:
        """Value (and RA/Dec where the stamp has a WCS) at image coordinates x, y."""
        cutout = self.cutouts.get(name)
        if not isinstance(cutout, Cutout):
            return " "
        col, row = int(np.floor(x)), int(np.floor(y))
        rows, cols = cutout.data.shape
        if not (0 <= col < cols and 0 <= row < rows):
            return " "
        value = float(cutout.data[row, col])
        text = f"{TITLES[name]} pixel ({col}, {row}) = "
        text += f"{value:.4g}" if np.isfinite(value) else "blank"
        unit = cutout.header.get("BUNIT") if cutout.header_text else None
        if unit and np.isfinite(value):
            text += f" {unit}"
        if cutout.wcs is not None:
            ra, dec = cutout.wcs.pixel_to_world_values(col, row)
            text += f"   RA {float(ra):.6f}  Dec {float(dec):+.6f}"
        return text
