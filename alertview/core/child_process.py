"""A spawned child process a viewer owns: started, asked how it is, ended.

Spawned, never forked: the parent runs Qt's threads (a fork copies their locks
held). The stream's process (``stream.ingest``) and the demo's replay
(``replay_process``) are two.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


class ChildProcess:
    """A daemon child running ``target(*args)``; ``end`` joins it, then terminates it."""

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], name: str) -> None:
        self._process = multiprocessing.get_context("spawn").Process(
            target=target, args=args, name=name, daemon=True
        )
        self._process.start()

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it started)."""
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode

    def end(self, timeout: float) -> None:
        """Wait ``timeout`` seconds for the child to finish; stop it the hard way if not."""
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
