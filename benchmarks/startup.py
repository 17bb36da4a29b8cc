"""Start: `alertview` from process start to an interactive window; prints JSON.

    python benchmarks/startup.py [--repeat 7] [--xvfb]

Each run starts a new Python process that runs the `alertview` command's
own entry point (``alertview.cli.main``, no arguments: the viewer) with
Qt's offscreen platform, or with ``--xvfb`` on a real X server (Xvfb, Qt's
xcb platform, as on a Linux desktop). The time is taken from just before the process is
created to the first moment the event loop is idle with the main window
exposed and painted: the window then answers input. Interpreter start-up
and every import are included. ``first_s`` is the first start in this
benchmark (the package installed and byte-compiled, the OS file cache as
the machine left it); ``warm_s`` the spread of the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from bench_common import machine, report, spread

DRIVER = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    real_exec = QApplication.exec

    def exec_and_report(*args):
        def ready():
            windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
            if not windows:
                QTimer.singleShot(1, ready)
                return
            windows[0].repaint()
            QApplication.processEvents()
            print("READY", time.time(), flush=True)
            QApplication.quit()

        QTimer.singleShot(0, ready)
        return real_exec()

    QApplication.exec = exec_and_report
    sys.argv = ["alertview"]
    from alertview.cli import main

    sys.exit(main([]))
    """
)


def one_run(env: dict) -> float:
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-c", DRIVER], capture_output=True, text=True, env=env, timeout=120
    )
    for line in result.stdout.splitlines():
        if line.startswith("READY"):
            return float(line.split()[1]) - started
    raise SystemExit(f"alertview did not start:\n{result.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--xvfb", action="store_true", help="on an X server (Xvfb)")
    args = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as config:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": config}
        if args.xvfb:
            display = ":97"
            server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24"])
            time.sleep(1.0)
            env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display)
        try:
            runs = [one_run(env) for _ in range(args.repeat)]
        finally:
            if server is not None:
                server.terminate()
                server.wait()
    # the PySide6 driver itself imports QtCore/QtWidgets before alertview does: those
    # imports are counted, as they are part of any start of the viewer
    result = {
        "machine": machine(),
        "platform": "xcb (Xvfb)" if args.xvfb else "offscreen",
        "first_s": round(runs[0], 3),
        "warm_s": spread(runs[1:], 3),
    }
    report(result)


if __name__ == "__main__":
    main()
