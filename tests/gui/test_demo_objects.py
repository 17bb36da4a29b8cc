"""`alertview demo` as a user runs it: it says on stdout where its stream is, and the
stream has objects seen on several nights, for the Objects tab to show. One demo start
for both (each costs CI seconds)."""

from __future__ import annotations

import re
import time

import numpy as np


def test_the_demo_command_says_where_it_streams_objects_with_several_alerts(
    qapp, tmp_path, monkeypatch, capsys
):
    from PySide6.QtCore import QTimer

    from alertview.cli import main
    from alertview.gui.main_window import MainWindow

    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    seen: dict[str, object] = {}

    def epochs(window: MainWindow, object_id: str) -> set[float]:
        columns = window.model.columns
        positions = np.flatnonzero(columns.texts["object_id"].tail().materialise() == object_id)
        return {round(float(columns.numbers["mjd"].values[p]), 5) for p in positions}

    def watch() -> None:
        """In the demo's event loop: close its window once ZTF19acihgng shows its real
        alert and the six before it, each on its own night (or after 60 s)."""
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow)]
        window = next((w for w in windows if w.isVisible()), None)
        if window is None:
            return
        if "printed" not in seen:  # what it says once its window is open
            seen["printed"] = capsys.readouterr().out
        try:
            nights = sorted(epochs(window, "ZTF19acihgng"))
        except Exception as exc:  # said below, after the window closed
            nights = seen["error"] = exc
        seen["nights"] = nights
        if not isinstance(nights, list) or len(nights) >= 7 or time.monotonic() > deadline:
            poll.stop()
            window.close()  # as the user stops the demo

    deadline = time.monotonic() + 60
    poll = QTimer()
    poll.timeout.connect(watch)
    poll.start(100)
    code = main(["demo", "--interval", "0.05"])
    poll.stop()
    at_exit = capsys.readouterr().out
    assert code == 0 and "error" not in seen, seen.get("error")
    printed = str(seen["printed"])
    # where the stream is, for kcat or another consumer, while the window shows it
    bootstrap = re.search(r"embedded mock broker \(.+\) at (127\.0\.0\.1:\d+)\n", printed)
    assert bootstrap, printed
    assert "topic alertview-demo:" in printed and "3 alerts every 0.05 s" in printed
    assert f"kcat -C -b {bootstrap[1]} -t alertview-demo" in printed
    assert printed.rstrip().endswith("close the window, or press Ctrl-C here, to stop")
    # and at exit, how many were sent
    last = at_exit.strip().splitlines()[-1]
    sent = re.fullmatch(r"alertview demo: stopped; (\d+) alerts sent", last)
    assert sent and int(sent[1]) >= 7, last
    nights = seen["nights"]
    assert isinstance(nights, list) and len(nights) >= 7, nights
    assert nights[-1] - nights[0] > 7  # spread over ten nights, as its history is
