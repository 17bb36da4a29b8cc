"""The controllers import and run where Qt cannot even be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"):
                raise ImportError(f"Qt is blocked here: {name}")
            return None

    sys.meta_path.insert(0, NoQt())
    import alertview.controllers
    path, prefix = alertview.controllers.__path__, "alertview.controllers."
    for module in pkgutil.walk_packages(path, prefix):
        importlib.import_module(module.name)
    """
)


def test_controllers_import_with_qt_blocked():
    subprocess.run([sys.executable, "-c", CHECK], check=True, timeout=60)
