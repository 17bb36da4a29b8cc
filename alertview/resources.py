"""Files AlertView ships besides code (sample alerts, icons), found when installed or not."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path


def resource_dir() -> Path:
    """The ``resources`` folder: inside the wheel, the PyInstaller bundle (which puts it
    at the same place, ``alertview/resources``, see packaging/alertview.spec), or at the
    top of a source checkout."""
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader only
    if bundle is not None:
        return Path(bundle) / "alertview" / "resources"
    packaged = Path(str(resources.files("alertview"))) / "resources"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "resources"


def samples_dir() -> Path:
    """Real ZTF and Rubin alerts shipped for the demo and `inspect --samples`."""
    return resource_dir() / "samples"


def icons_dir() -> Path:
    """The application icon: ``alertview.svg`` and ``hicolor/<N>x<N>/apps/alertview.png``."""
    return resource_dir() / "icons"


def desktop_dir() -> Path:
    """The freedesktop entry, shared-mime-info XML and AppStream metainfo
    (``packaging/`` links to them; ``alertview --install-desktop-entry`` installs them)."""
    return resource_dir() / "desktop"
