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
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from astropy.table import Table

#: FITS / VOTable name of each time scale an ``Alert`` can have.
TIME_SYSTEMS = {"utc": "UTC", "tai": "TAI", "tt": "TT", "tdb": "TDB"}
_PER_ROW = "time scale per row in column time_scale: UTC for ZTF, TAI for Rubin"

#: column -> (unit, description, UCD); "{flux}" is the flux unit, "{scale}" the time scale.
COLUMNS: dict[str, tuple[str | None, str, str]] = {
    "ra": ("deg", "Right ascension (ICRS)", "pos.eq.ra;meta.main"),
    "dec": ("deg", "Declination (ICRS)", "pos.eq.dec;meta.main"),
    "mjd": ("d", "Modified Julian Date of the observation ({scale})", "time.epoch;obs"),
    "mag": ("mag", "AB magnitude", "phot.mag"),
    "mag_err": ("mag", "Error of mag", "stat.error;phot.mag"),
    "flux": ("{flux}", "Difference-image flux", "phot.flux"),
    "flux_err": ("{flux}", "Error of flux", "stat.error;phot.flux"),
    "flux_njy": ("nJy", "Difference-image flux", "phot.flux"),
    "flux_err_njy": ("nJy", "Error of flux_njy", "stat.error;phot.flux"),
}


def time_system(table: Table) -> str | None:
    """The one FITS time scale of every row (``UTC``, ``TAI``), or None when rows
    differ or a scale is unknown (a generic alert's)."""
    if "time_scale" not in table.colnames or not len(table):
        return None
    scales = {str(s) for s in table["time_scale"]}
    if len(scales) != 1:
        return None
    return TIME_SYSTEMS.get(scales.pop())


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
    for name, (unit, text, ucd) in COLUMNS.items():
        if name not in table.colnames:
            continue
        column = table[name]
        column.unit = flux if unit == "{flux}" else unit
        column.description = text.format(scale=scale or _PER_ROW)
        column.meta["ucd"] = ucd
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
            frame = TimeSys(
                ID="time_frame", timeorigin="MJD-origin", timescale=scale, refposition="TOPOCENTER"
            )
        resource.time_systems.append(frame)
        field = next(f for f in resource.tables[0].fields if f.name == "mjd")
        field.ref = "time_frame"
    votable.to_xml(str(dest))
