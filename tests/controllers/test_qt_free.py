"""The controllers import and run where Qt cannot even be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.core.test_qt_free import NO_QT

CHECK = NO_QT + textwrap.dedent(
    """
    import alertview.controllers
    path, prefix = alertview.controllers.__path__, "alertview.controllers."
    for module in pkgutil.walk_packages(path, prefix):
        importlib.import_module(module.name)
    """
)


def test_controllers_import_with_qt_blocked():
    subprocess.run([sys.executable, "-c", CHECK], check=True, timeout=60)
