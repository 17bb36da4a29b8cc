"""`consume --out`: one Avro container file per matching alert, whole or absent."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from alertview.core.alert import Alert
from alertview.core.session.segments import fsync_dir

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def _name_part(text: str, limit: int) -> str:
    """``text`` as part of a file name: safe characters only, at most ``limit`` of
    them, never hidden; changed text gets a hash of the original, so that two
    ids never share a name."""
    safe = _UNSAFE.sub("_", text)[:limit]
    if safe.startswith("."):
        safe = "_" + safe[1:]
    if safe == text:
        return safe
    digest = hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"{safe}-{digest}"


def packet_name(alert: Alert) -> str:
    """``SURVEY_OBJECT_ALERTID.avro``, safe as a file name whatever the ids hold (a raw
    objectId may be 300 characters long or hold a NUL)."""
    parts = (
        _name_part(alert.survey or "unknown", 32),
        _name_part(alert.object_id or "noobject", 64),
        _name_part(str(alert.alert_id), 40),
    )
    return "_".join(parts) + ".avro"


class OutFolder:
    """``--out``: one container file per alert, whole or absent.

    Each file is written under a hidden temporary name, fsynced and renamed
    into place; the folder itself is synced once per batch, before the
    batch's offsets are committed.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.avro.part"):  # left by a run that was killed
            stale.unlink(missing_ok=True)
        self._renamed = False

    def write(self, name: str, data: bytes) -> None:
        partial = self.folder / f".{name}.part"
        with partial.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, self.folder / name)
        self._renamed = True

    def sync(self) -> None:
        if self._renamed:
            fsync_dir(self.folder)
            self._renamed = False
