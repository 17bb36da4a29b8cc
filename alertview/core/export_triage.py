"""The user's triage in exports: three columns of a table, or a CSV beside the packets.

A table export (ECSV, CSV, VOTable, FITS, light-curve CSV) gains the columns
``triage`` (a state or ``unscanned``), ``tags`` ("a, b") and ``note``. An Avro
container holds the packets as the survey sent them, so their triage goes to a
sidecar ``<file>.triage.csv`` with one line per alert of the file (survey,
alert_id, object_id, triage, tags, note); a cutouts folder gets ``triage.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError
from alertview.core.table.filter_fields import FieldLookup
from alertview.core.table.filters import AlertFilter
from alertview.core.table.triage import TRIAGE_NAMES, UNSCANNED, Triage, triage_fields

if TYPE_CHECKING:
    from astropy.table import Table

#: An export's triage: by (survey, alert id), as ``AlertStore.triage_by_alert`` gives it.
TriageByAlert = Mapping[tuple[str, int], Triage]
#: The sidecar's columns, in order.
SIDECAR_COLUMNS = ("survey", "alert_id", "object_id", "triage", "tags", "note")
#: The suffix of an Avro file's sidecar.
SIDECAR_SUFFIX = ".triage.csv"


def _values(triage: Triage | None) -> tuple[str, str, str]:
    if triage is None:
        return UNSCANNED, "", ""
    return triage.label, triage.tags_text, triage.note


def add_triage_columns(
    table: Table, keys: Iterable[tuple[str, int]], triage: TriageByAlert, ascii_only: bool = False
) -> None:
    """Add ``triage``, ``tags`` and ``note`` to ``table``, whose rows are the alerts
    ``keys`` ((survey, alert id) each). ``ascii_only`` (FITS) escapes other characters."""
    rows = [_values(triage.get((survey, int(alert_id)))) for survey, alert_id in keys]
    for index, name in enumerate(("triage", "tags", "note")):
        texts = [row[index] for row in rows]
        if ascii_only:
            texts = [t.encode("ascii", "backslashreplace").decode("ascii") for t in texts]
        # at least one character wide: an empty str column is refused by some writers
        table[name] = np.array(texts, dtype=f"U{max([1, *map(len, texts)])}")


def lightcurve_keys(table: Table) -> list[tuple[str, int]]:
    """The (survey, alert id) of each point of a light-curve table."""
    return list(zip(table["survey"].tolist(), table["alert_id"].tolist(), strict=True))


def write_sidecar(path: Path, alerts: Sequence[Alert], triage: TriageByAlert) -> Path:
    """Write the triage of ``alerts`` (every one, unscanned too) as CSV at ``path``."""
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(SIDECAR_COLUMNS)
            for alert in alerts:
                found = triage.get((alert.survey, alert.alert_id))
                writer.writerow(
                    (alert.survey, alert.alert_id, alert.object_id or "", *_values(found))
                )
    except OSError as exc:
        raise AlertViewError(f"cannot write {path}: {exc}") from None
    return path


def sidecar_path(container: Path) -> Path:
    """Where the triage of an Avro file goes: ``alerts.avro`` -> ``alerts.avro.triage.csv``."""
    return container.with_name(container.name + SIDECAR_SUFFIX)


def write_avro_sidecars(
    files: Iterable[tuple[Path, Sequence[Alert]]], triage: TriageByAlert
) -> list[Path]:
    """One sidecar per container file, listing the alerts it holds: ``files`` is (path,
    alerts) each, as the Avro export wrote them (not grouped again here)."""
    return [write_sidecar(sidecar_path(path), group, triage) for path, group in files]


class _TriagedLookup(FieldLookup):
    """An alert's fields, and its triage under the filter's names (``TRIAGE_NAMES``)."""

    def __init__(self, alert: Alert, triage: Triage | None) -> None:
        super().__init__(alert)
        found = triage or Triage(0, None)
        self._triage = triage_fields(found.state, found.tags_text, found.note)

    def get(self, name: str) -> Any:
        if name in self._triage:
            return self._triage[name]
        return super().get(name)


def triaged_match(alert_filter: AlertFilter, alert: Alert, triage: TriageByAlert) -> bool:
    """Whether ``alert`` passes ``alert_filter``, which may name its triage (an alert
    not in ``triage`` is unscanned)."""
    if not alert_filter.names & set(TRIAGE_NAMES):
        return alert_filter(alert)
    found = triage.get((alert.survey, alert.alert_id))
    return alert_filter.matches(_TriagedLookup(alert, found))
