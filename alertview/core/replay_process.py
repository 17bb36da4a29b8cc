"""A looping survey-cadence replay in a process of its own (the demo's stream).

In the viewer's process, the replay's renumbering and encoding held the GIL
between the viewer's calls into Qt: each call back into Python (a table
cell's text while the columns were sized) waited up to a switch interval
for it, and the window stalled for 1-3 s when the first rows arrived
(``tests/gui/test_live.py``). A child process produces over TCP to the
broker as any other producer does, and the viewer's threads keep the GIL
to themselves.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from alertview.core.avro.schemas import SchemaCache
from alertview.core.child_process import ChildProcess
from alertview.core.history_alerts import write_history_files
from alertview.core.replay import Cadence, MessageFramer, replay
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer
from alertview.core.terminal_signals import ignore_terminal_signals

log = logging.getLogger(__name__)

#: Seconds the child has to flush and end after being told to stop.
STOP_TIMEOUT = 10.0


class StopOrOrphaned:
    """The replay's stop flag: the parent's word on a pipe, or the pipe's end (as the
    stream's process learns it): a parent that exited at once on a second Ctrl-C told
    no one, and an orphan would produce to a broker that is no more, for ever."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._set = False
        self.orphaned = False

    def is_set(self) -> bool:
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> bool:
        if not self._set:
            try:
                if not self._conn.poll(timeout):
                    return False
                self._conn.recv()
            except (EOFError, OSError):
                self.orphaned = True
            self._set = True
        return True


def _child(
    settings: KafkaSettings,
    topic: str,
    folders: list[str],
    histories: str,
    cadence: Cadence,
    stop: Connection,
    sent: Synchronized,
) -> None:
    """Replay ``folders`` into ``topic`` until ``stop``; ``sent`` counts the messages.

    Before each pass over the real packets come the earlier alerts their histories
    imply (``core.history_alerts``), written here into ``histories``."""
    ignore_terminal_signals()  # the parent stops it in order (Ctrl-C reaches us both)
    try:
        write_history_files([Path(f) for f in folders], histories)
        producer = AlertProducer(settings)
        stopped = StopOrOrphaned(stop)

        def send(key: bytes | None, value: bytes) -> None:
            producer.send(topic, value, key)
            with sent.get_lock():
                sent.value += 1

        replay(
            [Path(histories), *(Path(f) for f in folders)],
            send,
            MessageFramer("native", SchemaCache()),
            cadence,
            on_visit=lambda *_: producer.poll(0),
            stop=stopped,
        )
        if not stopped.orphaned:  # (a broker in the parent's process is gone with it)
            producer.flush(5)
    except Exception as exc:  # one line, and the parent sees the exit code
        log.error("alertview: the replay stopped: %s: %s", type(exc).__name__, exc)
        raise SystemExit(1) from None


class ReplayProcess(ChildProcess):
    """Starts the replay child, counts what it sent, stops it.

    ``histories`` is an empty folder the caller owns and removes (a child stopped the
    hard way removes nothing)."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        folders: list[Path],
        histories: Path,
        cadence: Cadence,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        child_end, self._stop = context.Pipe(duplex=False)
        self._sent = context.Value("q", 0)
        names = [str(f) for f in folders]
        arguments = (settings, topic, names, str(histories), cadence, child_end, self._sent)
        super().__init__(_child, arguments, "alertview-replay")
        child_end.close()

    @property
    def sent(self) -> int:
        """Messages handed to the producer so far."""
        return int(self._sent.value)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask the child to finish its visit and flush; terminate it if it does not."""
        with contextlib.suppress(BrokenPipeError, OSError):  # (it ended already)
            self._stop.send(None)
        self.end(timeout)
        self._stop.close()
