"""The stamps are coloured as pyqtgraph coloured them (issue 15 §3: a cold jump within
20 ms): the panel hands the image item its colours, computed once per stamp, where
pyqtgraph rescaled the values and built a colour table in Python at each paint."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from alertview.controllers.cutouts import COLOUR_MAPS, DIVERGING_MAP, scale
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import Cutout, decode_cutouts
from alertview.core.decode import read_alerts
from alertview.gui.cutouts import stamp_rgba
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE


def drawn(item: pg.ImageItem) -> QImage:
    item.render()
    return item.qimage.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def stamps():
    """Real stamps scaled as shown, each also with blank pixels and out-of-range ones."""
    for path in (FINK_ZTF_SINGLE, FINK_LSST_TRANSFER):
        alert = next(iter(read_alerts([path], SchemaCache())))
        for name, cutout in decode_cutouts(alert).items():
            if isinstance(cutout, Cutout):
                image, _ = scale(name, cutout, "zscale", "asinh")
                holed = image.copy()
                holed[:3, :] = np.nan
                holed[5, :4] = (-0.5, 1.0, 1.5, 0.999)
                yield image
                yield holed


@pytest.mark.parametrize("colour_map", [*COLOUR_MAPS.values(), DIVERGING_MAP])
def test_stamp_colours_are_pyqtgraphs(qapp, colour_map):
    lut = pg.colormap.get(colour_map).getLookupTable(nPts=256)
    compared = 0
    for image in stamps():
        theirs = pg.ImageItem()
        theirs.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        theirs.setColorMap(pg.colormap.get(colour_map))
        ours = pg.ImageItem()
        ours.setImage(stamp_rgba(image, lut), levels=None)
        assert drawn(ours) == drawn(theirs), colour_map
        compared += 1
    assert compared >= 8  # ZTF's three stamps and Rubin's, with and without blanks
