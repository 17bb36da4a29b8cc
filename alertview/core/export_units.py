"""Units, descriptions and the time scale of exported tables.

A number without its unit or time scale is a trap: ZTF times are MJD in UTC,
Rubin's MJD in TAI (37 s apart), fluxes are in nJy. ECSV, VOTable and FITS
keep each column's unit and description; the time scale goes where each
format's readers look for it: ``TIMESYS`` in the table's metadata (ECSV, and
the FITS header keyword of the FITS time standard) and a VOTable 1.4
``TIMESYS`` element the ``mjd`` field refers to. A table mixing surveys has
no single scale: then only the per-row ``time_scale`` column (which every
export has, CSV included) and the ``mjd`` description say it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from astropy.table import Table

#: FITS / VOTable name of each time scale an ``Alert`` can have.
TIME_SYSTEMS = {"utc": "UTC", "tai": "TAI", "tt": "TT", "tdb": "TDB"}
_PER_ROW = "time scale per row in column time_scale: UTC for ZTF, TAI for Rubin"

#: The unit of the alert table's flux columns: every survey mapping with a flux gives
#: nJy (``surveys.ztf``, ``surveys.lsst``); a generic alert has none.
TABLE_FLUX_UNIT = "nJy"
#: The time frame the ``mjd`` field refers to in a VOTable (its ``TIMESYS`` ID).
TIME_FRAME_ID = "time_frame"
#: The rest of that TIMESYS: MJD's origin, observed from the ground.
TIME_FRAME = {"timeorigin": "MJD-origin", "refposition": "TOPOCENTER"}

#: column -> (unit, description, UCD); "{flux}" is the flux unit, "{scale}" the time
#: scale. One list for every table AlertView writes: exports and what SAMP sends.
COLUMNS: dict[str, tuple[str | None, str, str]] = {
    "alert_id": (None, "Alert identifier given by the survey", "meta.id;meta.main"),
    "object_id": (None, "Object (source) identifier given by the survey", "meta.id"),
    "survey": (None, "Survey that sent the alert", "meta.id;instr.obsty"),
    "ra": ("deg", "Right ascension (ICRS)", "pos.eq.ra;meta.main"),
    "dec": ("deg", "Declination (ICRS)", "pos.eq.dec;meta.main"),
    "mjd": ("d", "Modified Julian Date of the observation ({scale})", "time.epoch"),
    "time_scale": (None, "Time scale of mjd: utc (ZTF) or tai (Rubin)", "time.scale"),
    "band": (None, "Photometric band of the observation", "instr.bandpass"),
    "mag": ("mag", "AB magnitude", "phot.mag"),
    "mag_err": ("mag", "Error of mag", "stat.error;phot.mag"),
    "flux": ("{flux}", "Difference-image flux", "phot.flux.density"),
    "flux_err": ("{flux}", "Error of flux", "stat.error;phot.flux.density"),
    "flux_njy": ("nJy", "Difference-image flux", "phot.flux.density"),
    "flux_err_njy": ("nJy", "Error of flux_njy", "stat.error;phot.flux.density"),
    "rb": (None, "ZTF real-bogus score, 0 (bogus) to 1 (real)", "stat.likelihood"),
    "drb": (None, "ZTF deep-learning real-bogus score, 0 to 1", "stat.likelihood"),
    "reliability": (None, "Rubin reliability score, 0 to 1", "stat.likelihood"),
    "snr": (None, "Signal-to-noise ratio of the detection", "stat.snr"),
    "n_detections": (None, "Detections of the object, this one included", "meta.number"),
}


def column_meta(
    name: str, flux: str | None, scale: str | None
) -> tuple[str | None, str, str] | None:
    """(unit, description, UCD) of column ``name`` with the flux unit and the one time
    scale filled in (``scale`` None: the scale is per row); None for another column."""
    if name not in COLUMNS:
        return None
    unit, text, ucd = COLUMNS[name]
    return (flux if unit == "{flux}" else unit), text.format(scale=scale or _PER_ROW), ucd


def one_time_system(scales: Iterable[str | None]) -> str | None:
    """The one FITS time scale of every row (``UTC``, ``TAI``), or None when rows
    differ, there are none, or a scale is unknown (a generic alert's)."""
    found = {str(s) for s in scales}
    if len(found) != 1:
        return None
    return TIME_SYSTEMS.get(found.pop())


def time_system(table: Table) -> str | None:
    """``one_time_system`` of the table's ``time_scale`` column."""
    if "time_scale" not in table.colnames:
        return None
    return one_time_system(table["time_scale"])


def _flux_unit(table: Table) -> str | None:
    if "flux_unit" not in table.colnames:
        return None
    units = {str(u) for u in table["flux_unit"]}
    return units.pop() if len(units) == 1 and "" not in units else None


def describe_columns(table: Table) -> None:
    """Set the unit, description and UCD of the columns ``table`` has, and ``TIMESYS``
    in its metadata when every row shares one time scale."""
    scale = time_system(table)
    flux = _flux_unit(table)
    for name in table.colnames:
        meta = column_meta(name, flux, scale)
        if meta is None:
            continue
        column = table[name]
        column.unit, column.description, column.meta["ucd"] = meta
    if scale is not None:
        table.meta["TIMESYS"] = scale
    else:
        table.meta.pop("TIMESYS", None)


def write_votable(table: Table, dest: Path) -> None:
    """Write ``table`` as VOTable 1.4 with its time scale as a ``TIMESYS`` element
    (astropy's table writer keeps units and descriptions but not the metadata)."""
    from astropy.io.votable import from_table
    from astropy.io.votable.exceptions import W54
    from astropy.io.votable.tree import TimeSys

    votable = from_table(table)  # version 1.4
    scale = table.meta.get("TIMESYS")
    if scale is not None and "mjd" in table.colnames:
        resource = votable.resources[0]
        with warnings.catch_warnings():
            # W54 "TIMESYS needs VOTable 1.4": an element built outside a parsed
            # file has no version to check; this one goes into a 1.4 file
            warnings.simplefilter("ignore", W54)
            frame = TimeSys(ID=TIME_FRAME_ID, timescale=scale, **TIME_FRAME)
        resource.time_systems.append(frame)
        field = next(f for f in resource.tables[0].fields if f.name == "mjd")
        field.ref = TIME_FRAME_ID
    votable.to_xml(str(dest))
