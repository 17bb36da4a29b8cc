"""`alertview demo`: embedded broker + survey-cadence replay + the viewer, one command.

Everything runs on this machine: a real Kafka-protocol broker on 127.0.0.1,
a child process replaying the real ZTF and Rubin alerts AlertView ships (a
visit every few seconds, looping with new alert ids; ``core.replay_process``),
and the viewer subscribed to the topic in its worker thread. Before each pass
over the real packets come the earlier alerts their histories imply
(``core.history_alerts``), so the Objects tab has objects seen on several
nights.
"""

from __future__ import annotations

import importlib
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from alertview.core.broker.engines import BrokerError, EmbeddedBroker, Engine
from alertview.core.replay import Cadence
from alertview.core.replay_process import ReplayProcess
from alertview.core.session.folder import Session
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.producer import ensure_topic
from alertview.resources import samples_dir

DEMO_TOPIC = "alertview-demo"


class DemoStream:
    """The broker and the replay process behind the demo; a context manager."""

    def __init__(self, interval: float = 3.0, engine: Engine = "mock", visit_size: int = 3):
        self.broker = EmbeddedBroker(engine)
        self.cadence = Cadence(interval=interval, visit_size=visit_size, loop=True, renumber=True)
        self._replay: ReplayProcess | None = None
        self._histories: tempfile.TemporaryDirectory | None = None
        self._sent_at_stop = 0

    @property
    def settings(self) -> KafkaSettings:
        return KafkaSettings(self.broker.bootstrap)

    @property
    def sent(self) -> int:
        """Alerts the replay has sent (so far, or before it stopped)."""
        return self._replay.sent if self._replay is not None else self._sent_at_stop

    def consumer_settings(self) -> ConsumerSettings:
        return ConsumerSettings(
            self.settings, (DEMO_TOPIC,), f"alertview-demo-{uuid.uuid4().hex[:6]}", "earliest"
        )

    def start(self) -> DemoStream:
        try:
            self.broker.start()
            ensure_topic(self.settings, DEMO_TOPIC, 4)
            self._histories = tempfile.TemporaryDirectory(prefix="alertview-demo-")
            self._replay = ReplayProcess(
                self.settings,
                DEMO_TOPIC,
                [samples_dir()],
                Path(self._histories.name),
                self.cadence,
            )
            # the first visit creates the topic (librdkafka's mock creates topics on first use)
            deadline = time.monotonic() + 30
            while self.sent == 0 and self._replay.alive and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self._replay.alive:  # its one line says why, on stderr
                raise BrokerError(f"the demo's replay ended (exit code {self._replay.exitcode})")
        except BaseException:  # `with` calls no __exit__ then: no broker or process left
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._replay is not None:
            self._replay.stop()
            self._sent_at_stop = self._replay.sent
            self._replay = None
        self.broker.stop()
        if self._histories is not None:
            self._histories.cleanup()
            self._histories = None

    def __enter__(self) -> DemoStream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: The demo's session: kept like any other, its packets capped (the replay loops for ever).
DEMO_SESSION = "demo"
DEMO_KEEP_PACKETS = "1GB"


def run_demo(
    interval: float = 3.0,
    engine: Engine = "mock",
    on_start: Callable[[DemoStream], None] | None = None,
) -> int:
    """The demo until its window closes; ``on_start`` gets the running stream (the
    command tells the user where it is) before the window opens."""
    from alertview.gui.app import make_application
    from alertview.gui.interrupt import closing_on_signals
    from alertview.gui.session_windows import open_window

    # the window's modules first: imported while the replay ran in a thread of this
    # process, each of their file system calls gave the GIL to it for a switch interval
    # (the window took ~45 s to open at --interval 0.1); it runs in a child now, and
    # the imports still come before the broker's and the child's start
    importlib.import_module("alertview.gui.main_window")

    app = make_application()
    # Ctrl-C, SIGTERM or a hangup close the window, and the stream stops as after a click
    # on its close box: broker stopped, folder removed (one during the start: once it is up)
    with closing_on_signals(app), DemoStream(interval, engine) as demo:
        if on_start is not None:
            on_start(demo)
        window = open_window(Session.named(DEMO_SESSION), show=False)
        if window.opened.store.retention.keeps_all:  # the replay loops for ever
            window.set_keep_packets(DEMO_KEEP_PACKETS)
        window.follow_action.setChecked(True)
        window.show()
        window.connect_stream(demo.consumer_settings())
        window.stream_state.setToolTip(f"embedded {engine} broker: {demo.broker.limits}")
        code = app.exec()
        window.stop_stream()
    return code
