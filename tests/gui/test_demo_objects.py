"""The demo's stream has objects seen on several nights, for the Objects tab to show."""

from __future__ import annotations

import numpy as np


def test_the_demo_replays_objects_with_several_alerts(window, qtbot):
    from alertview.gui.demo import DemoStream

    with DemoStream(interval=0.05) as demo:
        window.connect_stream(demo.consumer_settings())

        def epochs(object_id: str) -> set[float]:
            columns = window.model.columns
            positions = np.flatnonzero(
                columns.texts["object_id"].tail().materialise() == object_id
            )
            return {round(float(columns.numbers["mjd"].values[p]), 5) for p in positions}

        # ZTF19acihgng: its real alert and the six before it, each on its own night
        qtbot.waitUntil(lambda: len(epochs("ZTF19acihgng")) >= 7, timeout=60000)
        window.stop_stream()
    nights = sorted(epochs("ZTF19acihgng"))
    assert nights[-1] - nights[0] > 7  # spread over ten nights, as its history is
