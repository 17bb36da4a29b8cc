"""`alertview render` draws a real, non-blank PNG of the requested size with no screen."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtGui import QImage

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from tests.conftest import FINK_LSST_TRANSFER, PROTOTYPE


def _render(path, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "alertview", "render", str(path), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )


def _distinct_colours(image: QImage) -> int:
    step = 7
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_render_rubin_alert(tmp_path):
    out = tmp_path / "rubin.png"
    result = _render(FINK_LSST_TRANSFER, out, "--index", "1", "--size", "1000x700")
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)
    assert _distinct_colours(image) > 50  # stamps, points and text: far from blank


def test_render_prototype_jpeg_alert(tmp_path):
    out = tmp_path / "proto.png"
    assert _render(PROTOTYPE, out).returncode == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 850) and _distinct_colours(image) > 50


def test_render_index_past_the_end_is_one_line(tmp_path):
    result = _render(PROTOTYPE, tmp_path / "x.png", "--index", "3")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"alertview: {PROTOTYPE} holds 1 alert; --index 3 is past the end"
    )


# -- a figure, quietly (issue 15 §3) -------------------------------------------------------


def _visible_controls(widget) -> list[str]:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QTabBar

    return [
        type(child).__name__
        for kind in (QTabBar, QComboBox, QCheckBox)
        for child in widget.findChildren(kind)
        if child.isVisibleTo(widget)
    ]


def test_render_prints_only_the_file_it_wrote(tmp_path):
    """Qt's own lines ('This plugin does not support propagateSizeHints()', 'QFont...')
    went to the terminal around the one line render means to print."""
    from tests.conftest import ZTF_FILES

    for path in (ZTF_FILES[-1], FINK_LSST_TRANSFER):
        out = tmp_path / "figure.png"
        result = _render(path, out)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines() == [str(out)]


def test_render_grabs_no_tabs_or_controls(qtbot, monkeypatch, tmp_path):
    """The figure is the view without its tab bar and the light curve's controls row."""
    import alertview.gui.qt_messages as qt_messages
    from alertview.gui.app import render_alert
    from alertview.gui.inspection import InspectionView

    monkeypatch.setattr(qt_messages, "route_qt_messages", lambda: None)  # pytest-qt's stays
    grabbed = []
    grab = InspectionView.grab

    def spy(view, *args):
        grabbed.append((_visible_controls(view), view.lightcurve.plot.height()))
        return grab(view, *args)

    monkeypatch.setattr(InspectionView, "grab", spy)
    out = render_alert(FINK_LSST_TRANSFER, 1, tmp_path / "f.png", (1000, 700))
    assert QImage(str(out)).size().toTuple() == (1000, 700)
    assert grabbed  # (painted first, so that axes have widened for their labels)
    assert all(controls == [] for controls, _ in grabbed)
    plot_height = grabbed[-1][1]
    # the same view as a tool: its tabs and controls shown, its plot lower
    view = InspectionView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show_alert(next(iter(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))))
    view.show()
    qtbot.waitExposed(view)
    assert {"QTabBar", "QComboBox"} <= set(_visible_controls(view))
    assert view.lightcurve.plot.height() < plot_height
    view.hide_controls()
    assert _visible_controls(view) == []
    assert not view.cutouts.pixel_label.isVisibleTo(view)  # a mouse read-out
    view.close()
