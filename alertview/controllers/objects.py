"""The objects view: one row per object, and the object chosen with its merged light
curve and the cutouts of each of its alerts (a filmstrip, with a blink).

The table of objects is computed on the alert table's columns (``core.table.objects``);
the chosen object's alerts are decoded on one background thread (a ZTF object has
10-20 alerts, a decode and three scaled stamps each: ~5-50 ms), and results for
an object no longer chosen are dropped (a generation counter, as ``AlertLoader``).

While a stream adds alerts of the chosen object, each rebuild of the table that finds
its count changed decodes it again (one decode at a time: a rebuild meanwhile waits
for it), so its light curve and filmstrip never fall behind its row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from alertview.controllers.cutouts import CutoutsController, Stamp
from alertview.core.alert import Alert
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutouts
from alertview.core.decode import PacketStore, decode_stored
from alertview.core.object_lightcurve import ObjectLightcurve, merge_lightcurve
from alertview.core.table.columns import AlertColumns
from alertview.core.table.objects import ObjectTable, object_table, order_of
from alertview.core.table.objects_triage import triage_counts, triage_sort_key
from alertview.core.wording import counted

log = logging.getLogger(__name__)

#: Triplets the filmstrip shows at most (the newest alerts'): stamps cost ~50 KB each.
MAX_FRAMES = 50
#: Alerts decoded at most for one light curve (the newest); each repeats the history.
MAX_ALERTS = 2000
#: What the panels below the table say when no object is chosen.
NOTHING_CHOSEN = "Select an object."
#: The stamps the blink alternates.
BLINK = ("science", "template")


@dataclass(frozen=True)
class Frame:
    """One alert's three stamps, as the cutout panel would draw them."""

    row: int
    alert_id: int
    mjd: float
    band: str | None
    mag: float | None
    stamps: dict[str, Stamp]

    @property
    def caption(self) -> str:
        mag = "" if self.mag is None else f" {self.mag:.2f}"
        return f"MJD {self.mjd:.4f}  {self.band or '-'}{mag}"


@dataclass(frozen=True)
class ObjectLoaded:
    """What the decode thread found for the chosen object: first its light curve
    (``frames`` None), then its frames."""

    generation: int
    object_id: str
    lightcurve: ObjectLightcurve | None = None
    frames: tuple[Frame, ...] | None = None
    note: str = ""
    #: A reload of the object already shown (more alerts of it arrived).
    refresh: bool = False


class ObjectsView(Protocol):
    """The objects tab, as its controller sees it."""

    def show_table(self, table: ObjectTable, order: np.ndarray) -> None:
        """The objects, shown in ``order`` (entries of ``table``)."""

    def loaded(self, result: ObjectLoaded) -> None:
        """Called on the decode thread: hand ``result`` to ``show_loaded`` on the GUI's."""

    def show_lightcurve(self, lightcurve: ObjectLightcurve | None, note: str) -> None: ...

    def show_frames(self, frames: Sequence[Frame], note: str) -> None: ...

    def show_blink(self, frame: Frame | None, name: str) -> None:
        """The blink panel: ``frame``'s stamp ``name`` (science or template)."""

    def show_triage(self, counts: np.ndarray) -> None:
        """The Triage column's counts (one row per table entry) changed."""


class _Collected:
    """A cutouts view that keeps what it is given (to prepare stamps off the GUI)."""

    def __init__(self) -> None:
        self.stamps: dict[str, Stamp] = {}

    def show_stamp(self, name: str, stamp: Stamp) -> None:
        self.stamps[name] = stamp

    def fit(self, extent: tuple[float, float] | None) -> None:
        pass


def frame_of(alert: Alert, row: int) -> Frame:
    """``alert``'s stamps scaled and oriented as the cutout panel shows them."""
    collected = _Collected()
    CutoutsController(collected).show_cutouts(decode_cutouts(alert))
    return Frame(row, alert.alert_id, alert.mjd, alert.band, alert.mag, collected.stamps)


class ObjectsController:
    """The table of objects (sorted), the object chosen, its decode and the blink."""

    def __init__(self, view: ObjectsView, store: PacketStore, cache: SchemaCache) -> None:
        self.view = view
        self.store = store
        self.cache = cache
        self.table = object_table(AlertColumns())
        self.columns: AlertColumns | None = None
        #: Per table entry: its alerts of each triage state (``objects_triage.COUNTED``).
        self.triage = triage_counts(self.table, AlertColumns().triage)
        self.order = np.zeros(0, np.int64)
        self.sort_field: str | None = "last_mjd"
        self.descending = True
        #: (object id, survey) of the chosen object
        self.chosen: tuple[str, str | None] | None = None
        self.generation = 0
        self.lightcurve: ObjectLightcurve | None = None
        self.frames: tuple[Frame, ...] = ()
        self.frame = -1  # the frame the blink panel shows
        self.blinking = False
        self.blink_name = BLINK[0]
        #: How many alerts of the chosen object the last decode was given, and whether
        #: it is still running (its frames not yet shown).
        self.loaded_rows: tuple[int, ...] = ()  # the chosen object's alerts last decoded
        self.loading = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="objects")

    # -- the table ----------------------------------------------------------------------
    def rebuild(self, columns: AlertColumns, mask: np.ndarray | None = None) -> None:
        """The objects of the alerts ``mask`` passes (all when None)."""
        self.columns = columns
        self.table = object_table(columns, mask)
        self.triage = triage_counts(self.table, columns.triage)
        if self.chosen is not None and self.table.index_of(*self.chosen) is None:
            self.clear()  # the filter dropped it: its light curve and frames go too
        self._sort()
        self._refresh_if_changed()

    def _refresh_if_changed(self) -> bool:
        """Decode the chosen object again if its alerts changed since its last decode was
        started (more arrived, or a filter swapped some for others: the same count is not
        the same alerts); not while one runs: its end looks again. Returns whether."""
        if self.chosen is None or self.loading or self.columns is None:
            return False
        entry = self.table.index_of(*self.chosen)
        if entry is None:
            return False
        rows = tuple(self.columns.row.values[self.table.positions(entry)].tolist())
        if rows == self.loaded_rows:
            return False
        self._submit(entry, refresh=True)
        return True

    def refresh_triage(self) -> None:
        """The user triaged: the Triage column counted again (re-sorted if sorted by it)."""
        if self.columns is None:
            return
        self.triage = triage_counts(self.table, self.columns.triage)
        if self.sort_field == "triage":
            self._sort()
        else:
            self.view.show_triage(self.triage)

    def sort(self, field: str | None, descending: bool = False) -> None:
        self.sort_field, self.descending = field, descending
        self._sort()

    def _sort(self) -> None:
        if self.sort_field is None:
            self.order = np.arange(len(self.table))
        elif self.sort_field == "triage":
            self.order = order_of(triage_sort_key(self.triage), self.descending)
        else:
            self.order = self.table.order(self.sort_field, self.descending)
        self.view.show_table(self.table, self.order)

    def entry(self, row: int) -> int:
        """The table entry shown at ``row``."""
        return int(self.order[row])

    def row_of_chosen(self) -> int | None:
        """Where the chosen object is shown now (None: not in the table)."""
        return None if self.chosen is None else self.row_of(self.chosen)

    def key(self, row: int) -> tuple[str, str | None]:
        """(object id, survey) of the object shown at ``row``."""
        entry = self.entry(row)
        return str(self.table.object_id[entry]), self.table.survey[entry]

    def row_of(self, key: tuple[str, str | None]) -> int | None:
        """Where the object ``key`` (object id, survey) is shown now (None: not shown)."""
        entry = self.table.index_of(*key)
        if entry is None:
            return None
        return int(np.flatnonzero(self.order == entry)[0])

    def latest_alert(self, row: int) -> int:
        """The store row of the newest alert of the object shown at ``row``."""
        assert self.columns is not None
        return int(self.columns.row.values[self.table.latest[self.entry(row)]])

    def latest_alert_id(self, row: int) -> int:
        assert self.columns is not None
        return int(self.columns.alert_id.values[self.table.latest[self.entry(row)]])

    # -- the chosen object ----------------------------------------------------------------
    def choose(self, row: int) -> int:
        """Show the object at ``row``: its alerts are decoded off the GUI thread
        (``view.loaded`` twice); returns the generation of the results."""
        self.chosen = self.key(row)
        self.blinking = False
        return self._submit(self.entry(row), refresh=False)

    def _submit(self, entry: int, refresh: bool) -> int:
        """Decode the alerts of table entry ``entry`` (the chosen object) off this thread."""
        assert self.columns is not None and self.chosen is not None
        self.generation += 1
        rows = self.columns.row.values[self.table.positions(entry)].tolist()
        self.loaded_rows, self.loading = tuple(rows), True
        self._executor.submit(self._load, self.generation, self.chosen[0], rows, refresh)
        return self.generation

    def _load(self, generation: int, object_id: str, rows: list[int], refresh: bool) -> None:
        """On the decode thread: the light curve, then the frames."""
        alerts, failed = [], 0
        for row in rows[-MAX_ALERTS:]:
            if generation != self.generation:
                return  # another object was chosen meanwhile
            try:
                alert = decode_stored(self.store, row, self.cache, Detail.LIGHT_CURVE)
            except Exception as exc:  # a dropped packet, a bad one: the others still show
                log.debug("object %s: row %d not decoded: %s", object_id, row, exc)
                failed += 1
                continue
            alerts.append((row, alert))
        notes = []
        if len(rows) > MAX_ALERTS:
            notes.append(f"the newest {MAX_ALERTS} of {len(rows)} alerts")
        if failed:
            notes.append(f"{counted(failed, 'alert')} without a readable packet")
        try:
            lightcurve = merge_lightcurve([a for _, a in alerts])
        except Exception as exc:  # a packet no test has met: one line, not a crash
            log.debug("object %s: light curve not merged", object_id, exc_info=True)
            lightcurve, notes = None, [*notes, f"light curve not merged: {exc}"]
        notes_text = "; ".join(notes)
        self.view.loaded(
            ObjectLoaded(generation, object_id, lightcurve, None, notes_text, refresh)
        )
        frames = []
        for row, alert in alerts[-MAX_FRAMES:]:
            if generation != self.generation:
                return
            try:
                frames.append(frame_of(alert, row))
            except Exception as exc:
                log.debug("object %s: row %d stamps not shown: %s", object_id, row, exc)
        note = ""
        if len(alerts) > MAX_FRAMES:
            note = f"the newest {MAX_FRAMES} of {len(alerts)} alerts"
        self.view.loaded(ObjectLoaded(generation, object_id, None, tuple(frames), note, refresh))

    def show_loaded(self, result: ObjectLoaded) -> bool:
        """On the GUI thread: show a decode's result unless another object was chosen
        since; returns whether it was shown."""
        if result.generation != self.generation:
            return False
        if result.frames is None:
            self.lightcurve = result.lightcurve
            self.view.show_lightcurve(result.lightcurve, result.note)
            return True
        kept = self.current_frame if result.refresh else None
        newest = kept is None or self.frame == len(self.frames) - 1
        self.frames = result.frames
        self.loading = False
        self.view.show_frames(result.frames, result.note)
        # a reload keeps the frame the user picked in the blink panel; else the newest
        ids = [f.alert_id for f in result.frames]
        if not newest and kept is not None and kept.alert_id in ids:
            self.show_frame(ids.index(kept.alert_id))
        else:
            self.show_frame(len(result.frames) - 1)
        self._refresh_if_changed()  # alerts arrived during the decode
        return True

    def clear(self) -> None:
        """Nothing chosen (the object left the table): its panels emptied, and a decode
        still running for it dropped (the generation moves on)."""
        self.chosen = None
        self.generation += 1
        self.loading, self.loaded_rows = False, ()
        self.lightcurve, self.frames, self.frame = None, (), -1
        self.blinking, self.blink_name = False, BLINK[0]
        self.view.show_lightcurve(None, NOTHING_CHOSEN)
        self.view.show_frames((), "")
        self.view.show_blink(None, BLINK[0])

    # -- the blink --------------------------------------------------------------------------
    def show_frame(self, index: int) -> None:
        """The frame the blink panel shows (the newest by default)."""
        self.frame = index
        self.blink_name = BLINK[0]
        self.view.show_blink(self.current_frame, self.blink_name)

    @property
    def current_frame(self) -> Frame | None:
        return self.frames[self.frame] if 0 <= self.frame < len(self.frames) else None

    def set_blinking(self, on: bool) -> None:
        self.blinking = on
        if not on and self.blink_name != BLINK[0]:
            self.blink_step()

    def blink_step(self) -> None:
        """Science <-> template in the blink panel (the view's timer calls this)."""
        self.blink_name = BLINK[1] if self.blink_name == BLINK[0] else BLINK[0]
        self.view.show_blink(self.current_frame, self.blink_name)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait for the decode thread's queued work (tests, benchmarks)."""
        done = threading.Event()
        self._executor.submit(done.set)
        return done.wait(timeout)

    def shutdown(self) -> None:
        self.generation += 1
        self._executor.shutdown(wait=True)
