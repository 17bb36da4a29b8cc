"""Display limits computed once per stamp and kept for the session.

astropy's zscale fit takes ~0.5 ms a stamp (1.5-4 ms an alert), on the path from a
selection to its cutouts drawn. Its result depends on the stamp's pixels only, so it
is kept, keyed by a digest of the stamp's bytes: a stamp seen again (another display
stretch, the objects' filmstrip, an alert selected again, limits computed ahead for
rows as they arrive by ``AlertLoader.warm``) is scaled without fitting again. The
value kept is astropy's, exactly (``scaling.display_limits``). Thread-safe: the
decode thread fills it, the GUI thread reads it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import Cutout, decode_cutouts
from alertview.core.decode import PacketStore, decode_stored
from alertview.core.scaling import Limits, display_limits

#: Limits kept (one a stamp and method: ~200 bytes each).
KEEP = 60_000


def stamp_key(cutout: Cutout) -> bytes:
    """A digest of the stamp's bytes (its pixels when it has none: a made-up stamp)."""
    raw = cutout.raw or cutout.data.tobytes()
    return hashlib.blake2b(raw, digest_size=16).digest()


class LimitsCache:
    """(stamp digest, method, symmetric) -> (lo, hi), the least recently used dropped."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._limits: OrderedDict[tuple[bytes, str, bool], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # fits done (a test's and a benchmark's count)

    def limits(
        self, cutout: Cutout, method: Limits = "zscale", symmetric: bool = False
    ) -> tuple[float, float]:
        """``display_limits`` of the stamp, fitted on its first request only."""
        key = (stamp_key(cutout), method, symmetric)
        with self._lock:
            found = self._limits.get(key)
            if found is not None:
                self._limits.move_to_end(key)
                return found
        found = display_limits(cutout.data, method, symmetric=symmetric)
        with self._lock:
            self.computed += 1
            self._limits[key] = found
            while len(self._limits) > self.keep:
                self._limits.popitem(last=False)
        return found

    def __contains__(self, key: tuple[bytes, str, bool]) -> bool:
        with self._lock:
            return key in self._limits

    def clear(self) -> None:
        with self._lock:
            self._limits.clear()


#: The process's limits: the viewer's decode thread and its panels share them.
LIMITS = LimitsCache()


def symmetric(name: str, cutout: Cutout) -> bool:
    """Limits symmetric about zero: only where zero means "no change" (a FITS difference,
    not the prototype's JPEG)."""
    return name == "difference" and cutout.kind == "fits"


def fit_row(store: PacketStore, cache: SchemaCache, row: int, method: Limits) -> None:
    """Fit the display limits of a stored alert's stamps into ``LIMITS`` (ahead of its
    selection: ``gui.limits_ahead``)."""
    alert = decode_stored(store, row, cache, Detail.LIGHT_CURVE)  # the lightest with stamps
    for name, cutout in decode_cutouts(alert).items():
        if isinstance(cutout, Cutout):
            LIMITS.limits(cutout, method, symmetric(name, cutout))
