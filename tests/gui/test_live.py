"""The viewer on a live stream: embedded broker + replay, the GUI thread stays free."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer

from alertview.core.decode import decode_stored


def test_rows_arrive_while_the_gui_keeps_ticking(window, qtbot):
    from alertview.gui.demo import DemoStream

    with DemoStream(interval=0.3) as demo:
        worker = window.connect_stream(demo.consumer_settings())
        gaps: list[int] = []
        clock = QElapsedTimer()
        clock.start()

        def tick() -> None:
            gaps.append(clock.restart())

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        qtbot.waitUntil(lambda: window.model.rowCount() >= 20, timeout=30000)
        timer.stop()
        assert window.stream_state.text() == "receiving"
        assert "received" in window.status.text()
        # librdkafka's statistics give the consumer lag for the status bar
        qtbot.waitUntil(lambda: window.session.lag is not None, timeout=15000)
        assert window.session.lag >= 0
        # the GUI thread kept ticking while alerts arrived and were stored (the tight
        # budget, p99 <= 50 ms, is measured by the benchmarks, not asserted here). With
        # the replay in a thread of this process, sizing the columns for the first rows
        # stalled it 1.0-1.8 s on a quiet machine (3.1 s on a busy one): each table
        # cell's text waited for the GIL. In its own process: 16 ms, 15 ms with both
        # cores busy.
        ticks = sorted(gaps[5:])
        assert ticks[int(0.95 * len(ticks))] < 150, ticks[-10:]
        assert ticks[-1] < 1000, ticks[-10:]

        # the table's fields came first; between visits the worker decodes the
        # history, and the detection counts reach the table
        def counted() -> bool:
            shown = [window.model.field(r, "n_detections") for r in range(20)]
            return all(n is not None and n >= 1 for n in shown)

        qtbot.waitUntil(counted, timeout=20000)
        first = window.model.field(0, "alert_id")
        row = int(window.model.columns.row.values[0])
        stored = decode_stored(window.store, row, window.cache)
        assert stored.alert_id == first
        assert window.model.field(0, "n_detections") == len(stored.detections)

        # pause: nothing more arrives; resume: rows grow again
        window.pause_action.setChecked(True)
        # the stream process answers between batches; with the demo's replay, broker and
        # renumbering sharing its GIL that took over 5 s once on CI
        qtbot.waitUntil(lambda: window.stream_state.text() == "paused", timeout=15000)
        qtbot.wait(1500)  # let batches already in flight land
        paused_at = window.model.rowCount()
        qtbot.wait(1500)
        assert window.model.rowCount() == paused_at
        window.pause_action.setChecked(False)
        qtbot.waitUntil(lambda: window.model.rowCount() > paused_at, timeout=20000)

        # closing the window stops and joins the worker thread
        window.close()
        assert worker.wait(10000) and not worker.isRunning()
        assert window.worker is None


def test_a_wrong_host_is_a_readable_message(window, qtbot):
    from alertview.core.stream.config import KafkaSettings
    from alertview.core.stream.consumer import ConsumerSettings

    settings = ConsumerSettings(KafkaSettings("127.0.0.1:1"), ("t",), "g")
    worker = window.connect_stream(settings)
    qtbot.waitUntil(lambda: worker.isFinished(), timeout=25000)
    assert window.stream_state.text().startswith("cannot reach Kafka at 127.0.0.1:1")
    qtbot.waitUntil(lambda: getattr(window, "failure_box", None) is not None, timeout=5000)
    assert window.failure_box.text().startswith("cannot reach Kafka at 127.0.0.1:1")
    window.filter_edit.setText("mag < 20")  # the window is still usable
    assert window.isVisible()
