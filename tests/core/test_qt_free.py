"""alertview.core must work where Qt cannot even be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import alertview.core

#: A child's first lines: any import of Qt (or pyqtgraph) fails from then on.
NO_QT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"):
                raise ImportError(f"Qt is blocked here: {name}")
            return None

    sys.meta_path.insert(0, NoQt())
    """
)

BLOCK_QT = NO_QT + textwrap.dedent(
    """
    import alertview.core
    names = [m.name for m in pkgutil.walk_packages(alertview.core.__path__, "alertview.core.")]
    for name in names:
        importlib.import_module(name)
    # decode a real packet end to end without Qt
    from alertview.core.decode import read_alerts
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.summary import alert_summary
    alerts = list(read_alerts([sys.argv[1]], SchemaCache()))
    print(len(names), alert_summary(alerts[0])["alert_id"])
    assert not [m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph")]
    """
)


def test_core_imports_and_decodes_with_qt_blocked():
    from tests.conftest import ZTF_FILES

    result = subprocess.run(
        [sys.executable, "-c", BLOCK_QT, str(ZTF_FILES[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules, alert_id = result.stdout.split()
    assert int(modules) >= 10 and int(alert_id) == 1661382530015060001
    assert alertview.core.__doc__


def test_only_core_stream_imports_confluent_kafka():
    """Kafka stays in one package: the rest of the app talks to it through core.stream.

    The one exception is the schema registry's client (``confluent_kafka.schema_registry``),
    used by ``core.avro.registry``: where writer schemas come from, not Kafka.
    """
    import re
    from pathlib import Path

    root = Path(alertview.core.__file__).resolve().parents[1]
    pattern = re.compile(r"^\s*(from|import)\s+confluent_kafka(?!\.schema_registry)", re.MULTILINE)
    importers = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert importers, "the stream package imports confluent_kafka"
    assert all(name.startswith("core/stream/") for name in importers), importers
