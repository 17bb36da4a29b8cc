"""Export a selection of alerts: raw packets, tables, light curves, cutouts.

- ``avro``: the packets as one Avro container file per writer schema
  (readable by fastavro and AlertView);
- ``ecsv``, ``csv``, ``votable``, ``fits``: the table of key fields through
  astropy (64-bit ids kept exact as int64 columns; units, descriptions and the
  time scale in ECSV, VOTable and FITS, see ``export_units``; a CSV stays plain
  for every reader, with its ``time_scale`` and ``flux_unit`` columns);
- ``lightcurve-csv``: every detection, upper limit and forced point;
- ``cutouts``: each stamp as FITS, every HDU as sent (Rubin's UNCERT and
  PSFIMAGE too), and as a PNG of the whole stamp turned North up (zscale,
  asinh; the difference symmetric about zero; transparent where there is no
  data, the corners of a turned stamp among them).
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alertview.core.alert import Alert
from alertview.core.avro.encode import container_file
from alertview.core.decode import whole_record
from alertview.core.errors import AlertViewError
from alertview.core.export_triage import (
    TriageByAlert,
    add_triage_columns,
    lightcurve_keys,
    write_avro_sidecars,
    write_sidecar,
)
from alertview.core.export_units import describe_columns, write_votable
from alertview.core.summary import alert_summary
from alertview.core.surveys.brokers import broker_fields

if TYPE_CHECKING:
    from astropy.table import Table  # imported when exporting: astropy loads slowly

    from alertview.core.cutouts import Cutout

FORMATS = ("avro", "ecsv", "csv", "votable", "fits", "lightcurve-csv", "cutouts")
TABLE_FORMATS = {"ecsv": "ascii.ecsv", "csv": "ascii.csv", "votable": "votable", "fits": "fits"}
#: Summary keys that are not scalar columns.
_NOT_COLUMNS = ("cutouts", "cutout_shapes", "cutout_errors")

Progress = Callable[[int], None]


class ExportError(AlertViewError):
    """An export that could not be written."""


def export_alerts(
    alerts: Iterable[Alert],
    fmt: str,
    dest: Path,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    triage: TriageByAlert | None = None,
) -> list[Path]:
    """Write ``alerts`` in format ``fmt`` to ``dest``; returns the files written.

    With ``triage`` (by survey and alert id; the others are unscanned) tables gain the
    columns triage, tags and note, and Avro files and cutout folders a CSV sidecar
    (``export_triage``)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    report = progress or (lambda _n: None)
    stop = cancel or threading.Event()
    taken: list[Alert] = []
    for n, alert in enumerate(alerts, 1):
        if stop.is_set():
            return []
        taken.append(alert)
        if fmt == "cutouts":
            _write_cutouts(alert, dest)
        report(n)
    if fmt == "cutouts":
        if triage is not None and taken:
            write_sidecar(dest / "triage.csv", taken, triage)
        return sorted(dest.glob("*"))
    if not taken:
        raise ExportError("nothing to export: no alerts selected")
    if fmt == "avro":
        files = _write_avro(taken, dest)
        written = [path for path, _ in files]
        return written if triage is None else written + write_avro_sidecars(files, triage)
    if fmt == "lightcurve-csv":
        points = _lightcurve_table(taken)
        if triage is not None:
            add_triage_columns(points, lightcurve_keys(points), triage)
        return [_write(points, dest, "ascii.csv")]
    table = summary_table(taken)
    if triage is not None:
        keys = [(a.survey, a.alert_id) for a in taken]
        add_triage_columns(table, keys, triage, ascii_only=fmt == "fits")
    return [_write(table, dest, TABLE_FORMATS[fmt])]


def summary_table(alerts: list[Alert]) -> Table:
    """The key fields of ``alerts`` as an astropy Table (ids as int64)."""
    from astropy.table import Table

    rows = [_summary_row(a) for a in alerts]
    names = [k for k in rows[0] if k not in _NOT_COLUMNS]
    for row in rows[1:]:  # ZTF and Rubin have different quality keys
        names += [k for k in row if k not in names and k not in _NOT_COLUMNS]
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        columns[name] = _column(name, values)
    table = Table(columns)
    table["cutouts"] = [",".join(a.cutouts) for a in alerts]
    describe_columns(table)
    return table


def _summary_row(alert: Alert) -> dict:
    """The summary's fields, then the broker's classifier and cross-match fields (Fink's),
    as the table shows them."""
    row = alert_summary(alert, cutouts={})
    for name, value in broker_fields(alert.record).items():
        row.setdefault(name, value)
    return row


def _column(name: str, values: list) -> np.ndarray:
    if name in ("alert_id", "index", "partition", "offset") or name.startswith("n_"):
        if all(isinstance(v, int) and -(2**63) <= v < 2**63 for v in values):
            return np.array(values, dtype=np.int64)
        if all(v is None or isinstance(v, int) for v in values):
            return np.array([-1 if v is None else v for v in values], dtype=np.int64)
    if all(v is None or isinstance(v, float | int) for v in values) and any(
        v is not None for v in values
    ):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(["" if v is None else str(v) for v in values], dtype=str)


def _lightcurve_table(alerts: list[Alert]) -> Table:
    from astropy.table import Table, vstack

    parts = []
    for alert in alerts:
        for kind, points in (
            ("detection", alert.detections),
            ("upper_limit", alert.upper_limits),
            ("forced", alert.forced),
        ):
            if not len(points):
                continue
            part = Table(
                {
                    "alert_id": np.full(len(points), alert.alert_id, dtype=np.int64),
                    "object_id": np.full(len(points), alert.object_id or "", dtype=object).astype(
                        str
                    ),
                    "survey": np.full(len(points), alert.survey),
                    "kind": np.full(len(points), kind),
                    "mjd": points.mjd,
                    "time_scale": np.full(len(points), alert.time_scale),
                    "band": points.band,
                    "mag": points.mag,
                    "mag_err": points.mag_err,
                    "flux_njy": points.flux,
                    "flux_err_njy": points.flux_err,
                    "source_id": points.source_id,
                }
            )
            parts.append(part)
    if not parts:
        raise ExportError("the selected alerts have no light-curve points")
    table = vstack(parts)
    describe_columns(table)
    return table


def _write(table: Table, dest: Path, astropy_format: str) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        if astropy_format == "votable":
            write_votable(table, dest)
        else:
            table.write(dest, format=astropy_format, overwrite=True)
    except (OSError, ValueError, TypeError) as exc:
        raise ExportError(f"cannot write {dest}: {exc}") from None
    return dest


def _write_avro(alerts: list[Alert], dest: Path) -> list[tuple[Path, list[Alert]]]:
    """One container file per writer schema (an Avro file holds one schema); returns
    each file with the alerts it holds (their triage sidecars list the same)."""
    groups: dict[int, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(id(alert.packet.schema), []).append(alert)
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for number, group in enumerate(groups.values()):
        path = (
            dest if len(groups) == 1 else dest.with_name(f"{dest.stem}-{number + 1}{dest.suffix}")
        )
        records = [whole_record(a) for a in group]
        path.write_bytes(container_file(records, group[0].packet.schema))
        written.append((path, group))
    return written


def _write_cutouts(alert: Alert, folder: Path) -> None:
    from alertview.core.cutouts import Cutout, decode_cutouts

    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{alert.survey}_{(alert.object_id or 'noobject').replace('/', '_')}_{alert.alert_id}"
    for name, cutout in decode_cutouts(alert).items():
        if not isinstance(cutout, Cutout):
            continue
        _write_stamp_fits(cutout, folder / f"{stem}_{name}.fits")
        _write_stamp_png(cutout, folder / f"{stem}_{name}.png")


def _write_stamp_fits(cutout: Cutout, path: Path) -> None:
    """Every HDU of a FITS stamp as sent (Rubin's UNCERT and PSFIMAGE after the image),
    its header made standard (ZTF's 'SIMPLE  =  T'); a JPEG stamp's pixels alone."""
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)  # the repairs silentfix makes
        if cutout.kind != "fits":
            fits.PrimaryHDU(cutout.data).writeto(path, overwrite=True)
            return
        with fits.open(io.BytesIO(cutout.raw), ignore_missing_simple=True) as hdus:
            header = hdus[0].header
            if "SIMPLE" in header:  # a card made anew: the old one's image is kept as read
                comment = header.comments["SIMPLE"]
                del header["SIMPLE"]
                header.insert(0, ("SIMPLE", True, comment))
            hdus.writeto(path, overwrite=True, output_verify="silentfix")


def _write_stamp_png(cutout: Cutout, path: Path) -> None:
    """The whole stamp North up, 4x, grey with an alpha channel: transparent where there
    is no data (a turned Rubin stamp's corners, masked pixels)."""
    from PIL import Image

    from alertview.core.scaling import display_limits, stretch_image

    image = cutout.north_up(whole=True)
    symmetric = cutout.name == "difference" and cutout.kind == "fits"
    limits = display_limits(image, "zscale", symmetric=symmetric)
    shown = stretch_image(image, limits, "linear" if symmetric else "asinh")
    grey = (np.nan_to_num(shown, nan=0.0) * 255).astype(np.uint8)
    alpha = np.where(np.isfinite(image), 255, 0).astype(np.uint8)
    rows, cols = grey.shape
    Image.fromarray(np.dstack([grey, alpha])).resize(
        (cols * 4, rows * 4), Image.Resampling.NEAREST
    ).save(path)
