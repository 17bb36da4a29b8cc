"""`alertview render` draws a real, non-blank PNG of the requested size with no screen."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtGui import QImage

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
