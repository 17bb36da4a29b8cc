"""Grab the main window from a real X display, for the README.

    xvfb-run -a -s "-screen 0 1500x900x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/grab_main_window.py docs/main-window.png
    xvfb-run -a -s "-screen 0 1500x900x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/grab_main_window.py --dark docs/main-window-dark.png
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from alertview.core.session.store import AlertStore
from alertview.gui.app import make_application
from alertview.gui.main_window import MainWindow
from alertview.gui.theme import apply_color_scheme
from alertview.resources import samples_dir

dark = "--dark" in sys.argv[1:]
(out,) = [a for a in sys.argv[1:] if a != "--dark"]
app = make_application()
if dark:  # what a dark system scheme gives (Xvfb has no system scheme to follow)
    apply_color_scheme(app, Qt.ColorScheme.Dark)
with tempfile.TemporaryDirectory() as folder:
    window = MainWindow(AlertStore(Path(folder) / "grab"))
    window.resize(1500, 900)
    window.move(0, 0)
    window.show()
    window.open_paths([samples_dir()]).wait_done(60)  # read off the GUI thread
    window.select_row(9)  # ZTF19acihgng: 33 detections in g and r

    def grab() -> None:
        app.primaryScreen().grabWindow(0).copy(0, 0, 1500, 900).save(out)
        window.close()
        app.quit()

    QTimer.singleShot(3000, grab)
    app.exec()
    window.store.close()
