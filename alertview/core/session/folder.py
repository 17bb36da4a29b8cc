"""A session as the viewer holds it: its folder, its store, its metadata and its lock.

Sessions live under the user data dir and outlive the viewer: what a stream
delivered is there after a restart, beside the offsets the group committed
for it. Two kinds are not kept: a *temporary* session (asked for with
``--no-store`` or the connection dialog's checkbox; its stream commits no
offsets, since nothing it received is kept) and an *untitled* one that is
still empty when it is closed (the window a bare ``alertview view`` opens).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from alertview.core.session.meta import (
    SessionLock,
    StreamMeta,
    load_meta,
    safe_name,
    save_meta,
)
from alertview.core.session.store import AlertStore, StoreError, default_sessions_dir

log = logging.getLogger(__name__)

#: Prefix of the sessions a bare ``alertview view`` starts (removed again if left empty).
UNTITLED = "untitled-"


def session_folder(name: str) -> Path:
    """Where the session called ``name`` lives (it may not exist yet)."""
    return default_sessions_dir() / safe_name(name)


def is_session(folder: Path) -> bool:
    """Whether ``folder`` is a session (its index is there), not a folder of alert files."""
    return (folder / "index.sqlite").is_file()


class Session:
    """An open session: use ``Session.named``/``at``/``untitled``/``temporary``."""

    def __init__(self, folder: Path, temporary: bool = False) -> None:
        self.folder = Path(folder)
        self.is_temporary = temporary
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot open session {self.folder}: {exc}") from None
        # the lock first: `sessions rm` cannot take a session away while it opens
        self.lock = SessionLock(self.folder).acquire()
        try:
            self.store = AlertStore(self.folder)
        except BaseException:
            self.lock.release()  # a session that cannot open is not held either
            raise
        self.meta = load_meta(self.folder)
        if not (self.folder / "session.json").exists() and not temporary:
            save_meta(self.folder, self.meta)  # a consume session gains its metadata

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def named(cls, name: str) -> Session:
        """The session called ``name`` under the user data dir, created if new."""
        session = cls(session_folder(name))
        if session.meta.name == session.folder.name != name:  # named now: the name as typed
            session.rename(name)
        return session

    @classmethod
    def at(cls, folder: Path) -> Session:
        """The session in ``folder`` (anywhere: a copy on a USB disk opens too)."""
        return cls(folder)

    @classmethod
    def untitled(cls) -> Session:
        """A new session named by the time; removed at close if nothing went into it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = session_folder(UNTITLED + stamp)
        number = 1
        while folder.exists():
            number += 1
            folder = session_folder(f"{UNTITLED}{stamp}-{number}")
        return cls(folder)

    @classmethod
    def temporary(cls) -> Session:
        """A session in a temporary folder, deleted at close; its stream commits no offsets."""
        folder = Path(tempfile.mkdtemp(prefix="alertview-temporary-")) / "session"
        session = cls(folder, temporary=True)
        session.meta = replace(session.meta, name="temporary")
        return session

    # -- what it is ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def is_untitled(self) -> bool:
        return self.folder.name.startswith(UNTITLED) and not self.is_temporary

    def is_empty(self) -> bool:
        return len(self.store) == 0 and self.store.error_count() == 0

    # -- what it remembers ---------------------------------------------------------------------
    def rename(self, name: str) -> None:
        """The name shown and listed (the folder keeps its name)."""
        self._change(name=name)

    def remember_stream(self, stream: StreamMeta | None) -> None:
        self._change(stream=stream)

    def remember_filter(self, text: str) -> None:
        if text != self.meta.filter:
            self._change(filter=text)

    def _change(self, **fields: Any) -> None:
        """Change some of ``session.json``, as the file has it now: another process
        (``consume``, a second viewer) may have changed other parts since."""
        current = self.meta if self.is_temporary else load_meta(self.folder)
        self.meta = replace(current, **fields)
        if not self.is_temporary:
            save_meta(self.folder, self.meta)

    # -- closing -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store; a temporary session, or an untitled one left empty, goes."""
        empty_untitled = self.is_untitled and self.is_empty()
        self.store.close()
        self.lock.release()
        if self.is_temporary:
            shutil.rmtree(self.folder.parent, ignore_errors=True)
        elif empty_untitled:
            shutil.rmtree(self.folder, ignore_errors=True)
            log.info("removed the empty session %s", self.folder)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
