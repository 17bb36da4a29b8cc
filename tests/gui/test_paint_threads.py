"""The viewer paints on its GUI thread alone (issue 15 §3: a cold jump within 20 ms).

Qt hands fills and image blits of more than ~96 lines to its GUI thread pool and
waits for them; on two cores that pool has one thread, so each stamp's blit was
sent to it and waited for (the cutouts' repaint 1.7 ms, 1.0 ms without). The
viewer turns the pool off (``QT_NO_GUI_THREADPOOL``) before Qt starts: here in a
fresh process, as the viewer starts, with the variable not set beforehand.
"""

from __future__ import annotations

import os
import textwrap

from tests.conftest import ZTF_FILES, python_json

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import read_alerts
    from alertview.gui.app import make_application
    from alertview.gui.inspection import InspectionView

    app = make_application()
    view = InspectionView()
    view.resize(1500, 900)
    alert = next(iter(read_alerts([sys.argv[1]], SchemaCache())))
    view.show_alert(alert)
    view.show()
    app.processEvents()
    image = view.grab()  # painted: the stamps blitted, the panes filled
    threads = [
        Path(f"/proc/self/task/{task}/comm").read_text().strip()
        for task in os.listdir("/proc/self/task")
    ]
    print(json.dumps({"threads": threads, "size": [image.width(), image.height()]}))
    """
)


def test_the_window_is_painted_without_qts_gui_thread_pool():
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    seen = python_json(SCRIPT, str(ZTF_FILES[0]), env=env)
    assert seen["size"] == [1500, 900]
    assert "Thread (pooled)" not in seen["threads"], seen["threads"]
