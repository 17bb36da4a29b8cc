"""Files AlertView ships besides code (sample alerts, icons), found when installed or not."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_dir() -> Path:
    """The ``resources`` folder: inside the wheel, or at the top of a source checkout."""
    packaged = Path(str(resources.files("alertview"))) / "resources"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "resources"


def samples_dir() -> Path:
    """Real ZTF and Rubin alerts shipped for the demo and `inspect --samples`."""
    return resource_dir() / "samples"
