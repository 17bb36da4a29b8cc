"""What a decode for the table or the light curve keeps of a writer schema.

Most of a packet's decode time goes to fields the viewer never shows, so the
table and the light curve decode a projection of the writer schema. Which
fields those are is the survey mappings' knowledge: each survey module
declares its ``SurveyFields`` next to its mapping (``surveys.ztf``,
``surveys.lsst``, ``surveys.generic``) and the schema cache is given them
(``SchemaCache(fields=...)``). This module only knows how to cut a schema to
what they declare, not any survey's spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class SurveyFields:
    """What one survey's mapping reads of its packets.

    Parameters
    ----------
    name
        The survey, for messages.
    records
        Top-level sub-records holding the survey's own fields, the one the table
        reads first (ZTF ``candidate``; Rubin ``diaSource``, ``diaObject``). A
        filter's names are looked up in them too.
    identity
        Fields of the table record without which a schema's record of that name is
        a look-alike (kept whole), not the survey's.
    table
        Fields of the table record the table reads (a decode for the table stops
        after that record and keeps only these of it).
    light_curve
        Per history record type (the last part of its Avro name), the fields the
        light curve and the table read.
    extra
        Top-level fields after the table record that the table reads too (a
        broker's scores, appended after the history): read whole, the fields
        between them skipped.
    """

    name: str
    records: tuple[str, ...] = ()
    identity: frozenset[str] = frozenset()
    table: frozenset[str] = frozenset()
    light_curve: Mapping[str, frozenset[str]] = field(default_factory=dict)
    extra: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.identity <= self.table:  # the projected record must still be the survey's
            raise ValueError(
                f"{self.name}: identity {sorted(self.identity - self.table)} not read"
            )

    @property
    def table_record(self) -> str | None:
        """The sub-record holding the table's fields, if the survey has one."""
        return self.records[0] if self.records else None


@dataclass(frozen=True)
class Projection:
    """The surveys' declarations merged into what one writer schema's projections keep.

    Parameters
    ----------
    surveys
        In the order their mappings are tried: the first table record a schema
        has is where a decode for the table stops.
    """

    surveys: tuple[SurveyFields, ...] = ()

    @cached_property
    def table_fields(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """Per table record: (identity, table fields)."""
        return {
            s.table_record: (s.identity, s.table)
            for s in self.surveys
            if s.table_record is not None
        }

    @cached_property
    def light_curve_fields(self) -> dict[str, frozenset[str]]:
        """Per history record type: the fields kept (the union over surveys)."""
        merged: dict[str, frozenset[str]] = {}
        for survey in self.surveys:
            for name, names in survey.light_curve.items():
                merged[name] = merged.get(name, frozenset()) | names
        return merged

    def table_cut(self, fields: list[Mapping[str, Any]]) -> int | None:
        """How many top-level ``fields`` a decode for the table reads: up to and with
        the first table record, None when there is none."""
        names = [f.get("name") for f in fields]
        return next((names.index(n) + 1 for n in self.table_fields if n in names), None)

    @cached_property
    def extra_fields(self) -> frozenset[str]:
        """Top-level fields a decode for the table reads after its record (all surveys)."""
        return frozenset().union(*(s.extra for s in self.surveys))

    def table_suffix(self, fields: list[Mapping[str, Any]], cut: int) -> int | None:
        """How many top-level ``fields`` a decode for the table reads in all when it
        goes on after the ``cut`` to the last extra field, None when none follows."""
        extra = self.extra_fields
        last = max((i for i, f in enumerate(fields) if f.get("name") in extra), default=-1)
        return last + 1 if last >= cut else None

    def table_keep(self, prefix_fields: list[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
        """Per record full name, the fields kept of the table records in a cut schema
        (a look-alike record without the survey's identity is kept whole)."""
        keep = {}
        for top in prefix_fields:
            wanted = self.table_fields.get(top["name"])
            record = record_of(top["type"])
            if wanted is not None and record is not None:
                names = {f["name"] for f in record["fields"]}
                if wanted[0] <= names:
                    keep[record["name"]] = wanted[1]
        return keep

    def light_curve_keep(
        self, named: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, frozenset[str]]:
        """Per record full name among a schema's ``named`` types, the fields kept."""
        wanted = self.light_curve_fields
        return {
            name: wanted[name.rpartition(".")[2]]
            for name, schema in named.items()
            if schema["type"] in ("record", "error") and name.rpartition(".")[2] in wanted
        }


#: No survey declared: nothing is projected (every decode reads the whole record).
NO_PROJECTION = Projection()


def record_of(avro_type: Any) -> Mapping | None:
    """The record schema of a field's type (also inside a nullable union), if any."""
    for member in avro_type if isinstance(avro_type, list) else [avro_type]:
        if isinstance(member, Mapping) and member.get("type") in ("record", "error"):
            return member
    return None
