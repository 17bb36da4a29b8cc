"""What a session remembers besides its alerts: its name, the stream it follows,
the filter in use, and who uses it now (the retention policy is in the index).

A session is a folder under the user data dir; ``session.json`` beside the
index says how to pick up where the user left off (Stream → Resume joins the
same consumer group, so the committed offsets say where to go on from). No
secret is ever written here: a stream is remembered by its bootstrap servers,
topics, group and the connection profile's *name* (passwords stay in the
keyring).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

META_FILE = "session.json"
LOCK_FILE = "session.lock"
#: Characters a session name may hold as a folder name (others become "_").
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
#: Longest session name: a folder name, and part of a consumer group id.
NAME_LIMIT = 80


def safe_name(text: str) -> str:
    """``text`` as a session (folder) name: safe characters only, never hidden, never
    empty, at most ``NAME_LIMIT`` characters."""
    name = _UNSAFE.sub("_", text.strip())[:NAME_LIMIT].strip("_") or "session"
    return "_" + name[1:] if name.startswith(".") else name


def stream_session_name(topics: Sequence[str], bootstrap: str) -> str:
    """The default name of a stream's session: its topic(s) and the first broker host,
    e.g. ``ztf_20260301_programid1-kafka.ztf.uw.edu``."""
    host = bootstrap.split(",")[0].strip().rsplit(":", 1)[0] or "kafka"
    topic = topics[0].lstrip("^") if topics else "stream"
    more = f"+{len(topics) - 1}" if len(topics) > 1 else ""
    return safe_name(f"{topic}{more}-{host}")


def files_session_name(paths: Sequence[str | os.PathLike]) -> str:
    """The default name of a session opened from files: the first file or folder's
    name without its extensions (``ztf_public_20260301.tar.gz`` → ``ztf_public_20260301``)."""
    if not paths:
        return "files"
    first = Path(paths[0]).expanduser()
    stem = first.name.split(".")[0] or first.name
    more = f"+{len(paths) - 1}" if len(paths) > 1 else ""
    return safe_name(f"files-{stem}{more}")


def default_group_id(tool: str, session: str, kafka_user: str | None = None) -> str:
    """The consumer group a tool uses by default for a session.

    Per tool and per session, so the viewer and ``consume`` never move each
    other's offsets and two sessions on one topic each keep their place.
    Rubin's brokers require a group id that starts with the SASL user name:
    it comes first when there is one.
    """
    owner = kafka_user or getpass.getuser()
    session = session.removeprefix(f"{tool}-")  # consume-TOPIC: not "consume-consume-TOPIC"
    group = f"{owner}-alertview-{tool}-{session}"
    if len(safe_name(group)) < NAME_LIMIT:
        return safe_name(group)
    # cut to length with a hash of the whole: two long session names keep two groups
    digest = hashlib.blake2s(group.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"{safe_name(group)[: NAME_LIMIT - 9]}-{digest}"


@dataclass(frozen=True)
class StreamMeta:
    """The stream a session follows, without any secret."""

    bootstrap: str
    topics: tuple[str, ...]
    group_id: str
    #: The connection profile it came from (its passwords are in the keyring), if any.
    profile: str | None = None


@dataclass(frozen=True)
class SessionMeta:
    """``session.json``: what reopening the session restores."""

    name: str
    created: float = field(default_factory=time.time)
    stream: StreamMeta | None = None
    #: The filter in use when the session was last saved ("" for none).
    filter: str = ""

    def with_stream(self, stream: StreamMeta | None) -> SessionMeta:
        return replace(self, stream=stream)


def load_meta(folder: Path) -> SessionMeta:
    """The session's metadata; a missing or damaged file gives defaults (a session
    written by ``consume`` or an older version has none) — said in the log, not raised."""
    path = folder / META_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        stream = data.get("stream")
        return SessionMeta(
            name=str(data.get("name") or folder.name),
            created=float(data.get("created") or path.stat().st_mtime),
            stream=StreamMeta(
                bootstrap=str(stream["bootstrap"]),
                topics=tuple(str(t) for t in stream["topics"]),
                group_id=str(stream["group_id"]),
                profile=stream.get("profile"),
            )
            if stream
            else None,
            filter=str(data.get("filter") or ""),
        )
    except FileNotFoundError:
        return SessionMeta(name=folder.name, created=_created(folder))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s: unreadable (%s); the session opens without it", path, exc)
        return SessionMeta(name=folder.name, created=_created(folder))


def save_meta(folder: Path, meta: SessionMeta) -> None:
    """Write ``session.json`` whole or not at all (a temporary file renamed over it)."""
    data = asdict(meta)
    if meta.stream is not None:
        data["stream"]["topics"] = list(meta.stream.topics)
    partial = folder / f".{META_FILE}.part"
    try:
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, folder / META_FILE)
    except OSError as exc:  # a full disk must not stop the viewer: the alerts matter more
        log.warning("cannot save %s: %s", folder / META_FILE, exc)


def _created(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return time.time()


class SessionLock:
    """A shared lock on ``session.lock`` while a session is in use.

    Any number of users (the viewer, ``consume``) hold it shared;
    ``alertview sessions rm`` takes it exclusively and refuses a session in
    use. Where ``fcntl`` is missing (Windows) it locks nothing.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._file: IO[bytes] | None = None

    def acquire(self) -> SessionLock:
        try:
            import fcntl
        except ImportError:
            return self
        with contextlib.suppress(OSError):  # a read-only session: used, never locked
            self._file = self.path.open("ab")
            fcntl.flock(self._file.fileno(), fcntl.LOCK_SH)
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None

    def __enter__(self) -> SessionLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
