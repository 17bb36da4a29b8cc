"""Every field a survey's mapping reads survives the projections its alerts are decoded with.

The table and the light curve decode only the fields each survey declares
(``SurveyFields`` in ``surveys.ztf``, ``surveys.lsst``, ``surveys.generic``). A
field a mapping reads but its survey does not declare would silently vanish
from the viewer while a full decode (the CLI) still shows it. So each mapping
runs on the whole record of every real packet, noting every field it reads,
and each of those fields must be in the projected decode too.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import DecodedRecord, read_records
from alertview.core.avro.schemas import SchemaCache, lsst_package_root
from alertview.core.surveys import SURVEY_FIELDS, generic, lsst, ztf
from tests.conftest import SHARED

PACKETS = sorted(SHARED.rglob("*.avro")) + sorted(
    (lsst_package_root() or SHARED).glob("*/*/sample_data/fakeAlert.avro")
)
MAPPINGS = {ztf.FIELDS.name: ztf, lsst.FIELDS.name: lsst, generic.FIELDS.name: generic}
#: Records per file checked (Fink's files hold up to 31, alike).
PER_FILE = 4

FieldPath = tuple[Any, ...]


class Reads(dict):
    """A record that notes the path of every field read of it, or of records inside it."""

    def __init__(self, record: dict, path: FieldPath, seen: set[FieldPath]) -> None:
        super().__init__({k: _watched(v, (*path, k), seen) for k, v in record.items()})
        self._path, self._seen = path, seen

    def __getitem__(self, key: str) -> Any:
        self._seen.add((*self._path, key))
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add((*self._path, key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._seen.add((*self._path, key))
        return super().__contains__(key)


def _watched(value: Any, path: FieldPath, seen: set[FieldPath]) -> Any:
    if isinstance(value, dict):
        return Reads(value, path, seen)
    if isinstance(value, list):
        return [_watched(item, (*path, i), seen) for i, item in enumerate(value)]
    return value


def _find(record: Any, path: FieldPath) -> bool:
    """Whether ``path`` (keys and list indices) leads somewhere in ``record``."""
    for step in path:
        in_list = isinstance(record, list) and isinstance(step, int) and step < len(record)
        if not (in_list or (isinstance(record, dict) and step in record)):
            return False
        record = record[step]
    return True


def _decoded(path: Path) -> Iterator[tuple[DecodedRecord, bytes]]:
    """Whole records of a file, each with its schemaless body to decode again (as a
    live stream's single-alert messages are: a file of many is always read whole)."""
    cache = SchemaCache(fields=SURVEY_FIELDS)
    for whole in list(read_records(path.read_bytes(), cache))[:PER_FILE]:
        body = io.BytesIO()
        fastavro.schemaless_writer(body, whole.schema.parsed, whole.record)
        yield whole, body.getvalue()


def _mapping(record: dict) -> str:
    """The survey whose mapping the viewer uses for ``record`` (as ``surveys.to_alert``)."""
    return "ztf" if ztf.is_ztf(record) else "lsst" if lsst.is_lsst(record) else "generic"


@pytest.mark.parametrize("path", PACKETS, ids=lambda p: f"{p.parent.parent.name}-{p.name}")
@pytest.mark.parametrize("detail", [Detail.TABLE, Detail.LIGHT_CURVE], ids=str)
def test_every_field_a_mapping_reads_survives_its_projection(path, detail):
    assert len(PACKETS) >= 20  # ZTF, Fink and Rubin v3..v11
    for whole, body in _decoded(path):
        cache = SchemaCache(fields=SURVEY_FIELDS)
        (projected,) = read_records(body, cache, schema=whole.schema, detail=detail)
        name = _mapping(whole.record)
        survey = MAPPINGS[name].FIELDS
        if survey is not generic.FIELDS:  # the projection is really in use
            declared = survey.table_record if detail is Detail.TABLE else survey.light_curve
            assert projected.detail is (detail if declared else Detail.FULL), name
        seen: set[FieldPath] = set()
        watched = dataclasses.replace(projected, record=Reads(whole.record, (), seen))
        MAPPINGS[name].to_alert(watched, Origin(str(path)))
        assert seen, name
        if projected.detail is Detail.TABLE:  # what follows the table record: not decoded
            assert survey.table_record in projected.record
            seen = {p for p in seen if p[0] in projected.record}
        lost = {p for p in seen if _find(whole.record, p) and not _find(projected.record, p)}
        fields = sorted({"/".join("[]" if isinstance(k, int) else k for k in p) for p in lost})
        assert not lost, f"{name} reads fields its {detail.name} projection drops: {fields}"


def test_filters_look_into_the_records_the_surveys_declare():
    from alertview.core.table.filter_fields import NESTED

    # as before they were declared, then the records of Fink's fields (surveys.brokers)
    assert NESTED == ("candidate", "diaSource", "diaObject", "clf", "pred", "xm")


def test_a_live_streams_cache_knows_the_surveys():
    """Without them a cache reads whole records: a live ZTF stream's first pass ~8x slower."""
    from alertview.core.stream.config import ConsumerSettings, KafkaSettings
    from alertview.core.stream.consumer import AlertConsumer

    consumer = AlertConsumer(ConsumerSettings(KafkaSettings("localhost:9"), ("t",), "g"))
    assert consumer.cache.projection.surveys == SURVEY_FIELDS
    assert SchemaCache().projection.surveys == ()  # what the fields are given for
