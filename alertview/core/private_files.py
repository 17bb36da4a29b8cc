"""Files only their owner may read: passwords, private keys.

Created with mode 0600 from the start (``O_EXCL``), so there is no moment at
which another user could open them under the default umask.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing it) readable and writable by its owner only."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
