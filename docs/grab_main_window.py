"""Grab the main window from a real X display, for the README.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/grab_main_window.py docs/main-window.png
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer

from alertview.core.session.store import AlertStore
from alertview.gui.app import make_application
from alertview.gui.main_window import MainWindow
from alertview.resources import samples_dir

app = make_application()
with tempfile.TemporaryDirectory() as folder:
    window = MainWindow(AlertStore(Path(folder) / "grab"))
    window.resize(1500, 900)
    window.move(0, 0)
    window.show()
    window.open_paths([samples_dir()])
    window.select_row(9)  # ZTF19acihgng: 33 detections in g and r

    def grab() -> None:
        app.primaryScreen().grabWindow(0).copy(0, 0, 1500, 900).save(sys.argv[1])
        window.close()
        app.quit()

    QTimer.singleShot(3000, grab)
    app.exec()
    window.store.close()
