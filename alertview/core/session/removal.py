"""Removing a session: only the files a session is made of, never another folder,
never a session a running process holds.

``alertview sessions rm`` asks nothing, so the checks are here: the folder
must be a session (or what is left of one under the sessions folder), hold no
file a session does not have (a user's notes), and nobody may hold its lock
while it goes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from alertview.core.session.listing import (
    INDEX,
    LOCK,
    SESSION_FILE,
    SessionError,
    is_path_like,
    locked,
    resolve_session,
    session_folder_name,
    summarise,
)
from alertview.core.session.meta import safe_name
from alertview.core.session.store import default_sessions_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Removal:
    """A session removed (or, with ``dry_run``, that would be)."""

    name: str
    folder: Path
    alerts: int
    #: Bytes of the files removed.
    freed: int


def _removable_folder(name_or_dir: str | os.PathLike, root: Path) -> Path:
    """The folder to remove: a session, or a half-deleted one (no index left) directly
    under the sessions folder. Never any other folder."""
    try:
        return resolve_session(name_or_dir, root)
    except SessionError:
        text = os.fspath(name_or_dir)
        if not is_path_like(text):
            for name in dict.fromkeys((safe_name(text), session_folder_name(text))):
                if (root / name).is_dir() and _session_files_only(root / name):
                    return root / name
        raise


def _session_files_only(folder: Path) -> bool:
    entries = list(folder.iterdir())
    return bool(entries) and all(SESSION_FILE.fullmatch(p.name) for p in entries)


def remove_session(
    name_or_dir: str | os.PathLike, root: Path | None = None, dry_run: bool = False
) -> Removal:
    """Delete a session's files and its folder. Refuses (``SessionError``) a folder
    that is not a session, one holding files a session does not have, and one a
    running process is writing (its ``session.lock`` is held)."""
    root = default_sessions_dir() if root is None else root
    folder = _removable_folder(name_or_dir, root)
    entries = sorted(folder.iterdir())
    foreign = [p.name for p in entries if not (p.is_file() and SESSION_FILE.fullmatch(p.name))]
    if foreign:
        listed = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise SessionError(
            f"{folder} holds files that are not part of a session ({listed}); "
            "not removed: move them away first"
        )
    summary = summarise(folder, schemas=False)
    with locked(folder) as free:
        if not free:
            raise SessionError(
                f"session {folder.name} is being written by a running stream "
                f"(consume or the viewer); stop it first"
            )
        freed = 0
        if not dry_run:
            # the index first: from then on no reader takes the folder for a session
            order = sorted(entries, key=lambda p: (not p.name.startswith(INDEX), p.name))
            for path in order:
                if path.name == LOCK:
                    continue  # held until the end
                freed += _unlink(path)
            freed += _unlink(folder / LOCK)
            try:
                folder.rmdir()
            except OSError as exc:
                raise SessionError(f"{folder}: files removed, folder kept: {exc}") from None
        else:
            freed = summary.size
    log.info("removed session %s (%d bytes)", folder, freed)
    return Removal(summary.name, folder, summary.alerts, freed)


def _unlink(path: Path) -> int:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise SessionError(f"cannot remove {path}: {exc}") from None
    return size
