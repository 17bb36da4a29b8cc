"""`alertview` commands run as child processes, read line by line as they go.

A test that fails while a consumer runs must not hang on it, nor leave it
running: the process is killed when the ``with`` block ends, however it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from tests.fake_keyrings import NO_KEYRING_ENV

ALERTVIEW = [sys.executable, "-m", "alertview"]


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment, no OS keyring (as every test has), then ``env``."""
    return {**os.environ, **NO_KEYRING_ENV, **(env or {})}


def run_alertview(
    *args: object, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``alertview ARGS`` to its end, its output captured (``env`` added to ours)."""
    return subprocess.run(
        [*ALERTVIEW, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env),
        check=False,
    )


class Command:
    def __init__(self, *args: object, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*ALERTVIEW, *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(env),
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 20, stream: str = "err") -> None:
        """Until a line of stderr (or stdout) holds ``text``."""
        lines = self.err if stream == "err" else self.out
        deadline = time.monotonic() + timeout
        while not any(text in line for line in lines):
            ended = not any(reader.is_alive() for reader in self._readers)
            assert not ended and time.monotonic() < deadline, f"no {text!r}: {self.stderr}"
            time.sleep(0.02)

    def wait_lines(self, count: int, timeout: float = 20) -> list[str]:
        """Until stdout has ``count`` lines."""
        deadline = time.monotonic() + timeout
        while len(self.out) < count:
            ended = not any(reader.is_alive() for reader in self._readers)
            assert not ended and time.monotonic() < deadline, f"{self.out}: {self.stderr}"
            time.sleep(0.02)
        return self.out[:count]

    def finish(self, timeout: float = 30) -> int:
        """The exit status, once the process has ended and its output is read."""
        status = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return status

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def __enter__(self) -> Command:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        for reader in self._readers:
            reader.join(5)
        self.process.stdout.close()
        self.process.stderr.close()
