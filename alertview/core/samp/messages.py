"""What AlertView sends over SAMP: a VOTable of alerts, FITS stamps, a position.

Files go to a private folder (mode 0700, files 0600) and are sent as ``file://``
URLs, as SAMP's load messages expect. The tables sent are remembered by table-id
and URL so that a row another tool highlights maps back to its alert.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from alertview.core.alert import CUTOUT_NAMES, Alert
from alertview.core.avro import codecs
from alertview.core.cutouts import gunzip
from alertview.core.errors import CutoutError
from alertview.core.export_units import (
    TABLE_FLUX_UNIT,
    TIME_FRAME,
    TIME_FRAME_ID,
    column_meta,
    one_time_system,
)
from alertview.core.private_files import write_private
from alertview.core.samp.votable import Field, votable_bytes
from alertview.core.table.columns import AlertColumns

log = logging.getLogger(__name__)

MTYPE_TABLE = "table.load.votable"
MTYPE_FITS = "image.load.fits"
#: Table fields sent after the alert id; their unit, description and UCD are the
#: export's (``export_units.COLUMNS``): TOPCAT and Aladin find RA/Dec by UCD.
TABLE_FIELDS = (
    "object_id", "survey", "ra", "dec", "mjd", "time_scale", "band", "mag", "mag_err",
    "flux", "flux_err", "rb", "drb", "reliability", "snr", "n_detections",
)  # fmt: skip
#: Tables remembered for highlight.row (the newest; older ones are forgotten).
REMEMBERED_TABLES = 50


@dataclass(frozen=True, slots=True)
class SentTable:
    """A table AlertView sent: its id, URL, and the alert id of each row."""

    table_id: str
    url: str
    alert_ids: tuple[int, ...]


class SentTables:
    """The tables sent, to map a highlighted row back to its alert."""

    def __init__(self, keep: int = REMEMBERED_TABLES) -> None:
        self._tables: OrderedDict[str, SentTable] = OrderedDict()
        self._keep = keep

    def remember(self, table: SentTable) -> None:
        self._tables[table.table_id] = table
        self._tables.move_to_end(table.table_id)
        while len(self._tables) > self._keep:
            self._tables.popitem(last=False)

    def alert_of(self, table_id: str | None, url: str | None, row: int) -> int | None:
        """The alert id at ``row`` of a table sent (found by id, else by URL)."""
        table = self._tables.get(table_id or "")
        if table is None:
            table = next((t for t in self._tables.values() if url and t.url == url), None)
        if table is None or not 0 <= row < len(table.alert_ids):
            return None
        return table.alert_ids[row]


def _meta(name: str, scale: str | None) -> tuple[str | None, str, str]:
    meta = column_meta(name, TABLE_FLUX_UNIT, scale)
    if meta is None:  # a field sent must be described in export_units.COLUMNS
        raise KeyError(f"{name} is not in export_units.COLUMNS")
    return meta


def selection_fields(columns: AlertColumns, positions: np.ndarray) -> list[Field]:
    """The table fields of the alerts at ``positions`` (column positions), with units:
    the alert id first (int64, or text for ids beyond it), nulls flagged."""
    ids = columns.alert_id.values[positions]
    ids = ids if ids.dtype != object else ids.astype(str)
    scales = columns.texts["time_scale"]
    scale = one_time_system(scales[int(p)] for p in positions)
    unit, description, ucd = _meta("alert_id", scale)
    fields = [Field("alert_id", ids, unit, ucd, description=description)]
    for name in TABLE_FIELDS:
        unit, description, ucd = _meta(name, scale)
        if name in columns.numbers:
            values = columns.numbers[name].values[positions]
            missing = np.isnan(values)
            if name == "n_detections":  # a count: an integer, null where not counted yet
                values = np.where(missing, 0, values).astype(np.int32)
        else:
            texts = columns.texts[name]
            raw = [texts[int(p)] for p in positions]
            values = np.array(["" if t is None else t for t in raw], dtype=object)
            missing = np.array([t is None for t in raw], dtype=bool)
        fields.append(Field(name, values, unit, ucd, missing, description))
    return fields


def write_votable(fields: list[Field], path: Path, table_id: str, name: str) -> Path:
    """The fields as a VOTable file at ``path``; its TABLE element is ``table_id``.
    When every row has one time scale, a ``TIMESYS`` the ``mjd`` field refers to says
    it, as in an exported VOTable."""
    by_name = {f.name: f for f in fields}
    scales = by_name.get("time_scale")
    scale = None if scales is None else one_time_system(scales.values.tolist())
    timesys = None
    if scale is not None and "mjd" in by_name:
        timesys = {"ID": TIME_FRAME_ID, "timescale": scale, **TIME_FRAME}
        fields = [replace(f, ref=TIME_FRAME_ID) if f.name == "mjd" else f for f in fields]
    write_private(path, votable_bytes(fields, table_id, name, timesys))
    return path


def table_message(path: Path, table_id: str, name: str) -> dict[str, str]:
    """The params of ``table.load.votable``."""
    return {"url": path.as_uri(), "table-id": table_id, "name": name}


def point_at_params(ra: float, dec: float) -> dict[str, str]:
    """The params of ``coord.pointAt.sky`` (SAMP sends numbers as strings)."""
    return {"ra": repr(float(ra)), "dec": repr(float(dec))}


def fits_bytes(name: str, stamp: bytes) -> bytes:
    """A stamp as a FITS file: Rubin's as received, ZTF's gunzipped (with the same
    bound on inflation as the viewer) and its first card made standard; a JPEG (ZTF's
    2016-17 prototype) is refused."""
    if not stamp:
        raise CutoutError(f"{name} cutout is missing")
    if stamp[:2] == codecs.GZIP_MAGIC:
        stamp = gunzip(name, stamp)
    if stamp[:6] != b"SIMPLE":
        raise CutoutError(f"{name} cutout is not FITS")
    return _standard_simple(stamp)


#: The first card of a FITS file as the standard writes it (value in columns 11-30).
_SIMPLE_CARD = b"SIMPLE  =                    T / conforms to FITS standard".ljust(80)


def _standard_simple(data: bytes) -> bytes:
    """ZTF writes ``SIMPLE  =  T`` (the value not in column 30): astropy warns and
    stricter readers refuse it. Only that card is rewritten; the rest is as sent."""
    first = data[:80]
    if first == _SIMPLE_CARD or first[29:30] == b"T" or not re.match(rb"SIMPLE\s*=\s*T\s", first):
        return data
    return _SIMPLE_CARD + data[80:]


def write_cutouts(alert: Alert, folder: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """The alert's stamps as FITS files in ``folder``; returns (name, path) of each
    written and one line for each that could not be."""
    written: list[tuple[str, Path]] = []
    problems: list[str] = []
    for name in CUTOUT_NAMES:
        try:
            data = fits_bytes(name, alert.cutouts.get(name, b""))
        except CutoutError as exc:
            problems.append(str(exc))
            continue
        path = folder / f"{alert.survey}-{alert.alert_id}-{name}.fits"
        write_private(path, data)
        written.append((name, path))
    return written, problems


def image_message(path: Path, image_id: str, name: str) -> dict[str, str]:
    """The params of ``image.load.fits``."""
    return {"url": path.as_uri(), "image-id": image_id, "name": name}
