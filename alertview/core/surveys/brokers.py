"""Broker and classifier fields: what a broker adds to a survey's packet, as table columns.

Fink re-publishes ZTF and Rubin packets with its classifiers' scores and its
cross-matches appended at the top level, after the history and the cutouts.
Those are what a scanner sorts and filters by (``finkclass == "SN candidate"``,
``snn_sn_vs_all > 0.5``), so they become table columns under their own names.
The table's decode reads them too (``FIELDS`` goes to the schema cache with the
surveys' declarations) while still skipping, not building, the history between.

ALeRCE publishes its classifications as separate messages (arrays of
``{class_name, probability}``), not in the alert packet: nothing of it is
declared here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from alertview.core.avro.projection import SurveyFields

#: Top-level fields of Fink's packets read for the table, as they are named there: the
#: classifiers' scores and labels, and the cross-matches one sorts or filters by (not
#: every field Fink adds: each costs 4-8 bytes a row in the table's columns).
TOP_LEVEL = frozenset(
    {
        # Fink on ZTF (ftransfer and the live topics)
        "finkclass", "tnsclass", "rf_snia_vs_nonia", "snn_snia_vs_nonia", "snn_sn_vs_all",
        "rf_kn_vs_nonkn", "mulens", "anomaly_score", "slsn_score", "roid", "nalerthist",
        "is_transient", "mag_rate", "cdsxmatch", "tns", "gaiaClass", "vsx",
        # older Fink packets (2020-2022)
        "rfscore", "snn", "knscore",
        # Fink on Rubin
        "tns_type_recomputed",
    }
)  # fmt: skip
#: Top-level records of Fink's Rubin packets whose fields become columns by leaf name
#: (None: all of them): classifiers (``clf``), Fink's labels (``pred``), cross-matches
#: (``xm``).
NESTED: dict[str, frozenset[str] | None] = {
    "clf": None,
    "pred": None,
    "xm": frozenset(
        {
            "simbad_otype",
            "tns_fullname",
            "tns_type",
            "tns_redshift",
            "gaiadr3_VarFlag",
            "legacydr8_zphot",
            "legacydr8_pstar",
            "vsx_Type",
            "gcvs_type",
        }
    ),
}

#: For the schema cache: the top-level fields the table's decode reads after its record.
FIELDS = SurveyFields("brokers", extra=TOP_LEVEL | frozenset(NESTED))

Value = float | str | None


def broker_fields(record: Mapping[str, Any]) -> dict[str, Value]:
    """The broker fields of one decoded record, by leaf name: numbers (booleans and
    integers too) as floats, text as text, null (and NaN) as None. Other values (a
    record where another Fink version had a score) are left out."""
    found: dict[str, Value] = {}  # in the packet's order: the same columns every run
    for name in record:
        if name in TOP_LEVEL:
            _put(found, name, record[name])
    for nested, leaves in NESTED.items():
        sub = record.get(nested)
        if isinstance(sub, Mapping):
            for name in sub:
                if leaves is None or name in leaves:
                    _put(found, name, sub[name])
    return found


def present(fields: Mapping[str, Value]) -> dict[str, Value]:
    """``fields`` without its nulls: what a session keeps of a row's broker fields."""
    return {name: value for name, value in fields.items() if value is not None}


def _put(found: dict[str, Value], name: str, value: Any) -> None:
    if value is None or isinstance(value, str):
        found[name] = value
    elif isinstance(value, bool | int | float):
        number = float(value)
        found[name] = None if math.isnan(number) else number
