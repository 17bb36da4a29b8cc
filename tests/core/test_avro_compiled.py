"""The compiled Avro readers give exactly fastavro's values, or fail as loudly.

Real packets of every shared schema (ZTF 0.4 prototype to 4.x, Fink's
multi-alert and transfer files, Rubin v3-v11 from lsst-alert-packet) and a
synthetic schema holding every Avro type are read by both; truncated bytes
must raise, never give a value.
"""

from __future__ import annotations

import datetime
import decimal
import io
import math
import uuid

import fastavro
import numpy as np
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.compiled import compile_reader
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import read_records
from alertview.core.avro.projection import Projection
from alertview.core.avro.schemas import SchemaCache, lsst_package_root
from alertview.core.decode import decode_bytes, whole_record
from alertview.core.surveys import SURVEY_FIELDS
from tests.conftest import FINK_LSST_TRANSFER, SHARED, ZTF_FILES, raw_records

SHARED_FILES = sorted(p for p in SHARED.rglob("*.avro"))
TABLE_FIELDS = Projection(SURVEY_FIELDS).table_fields
RUBIN_SAMPLES = sorted((lsst_package_root() or SHARED).glob("*/*/sample_data/fakeAlert.avro"))


def same(a, b) -> bool:
    """Equal values and types, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("path", SHARED_FILES + RUBIN_SAMPLES, ids=lambda p: p.name)
def test_real_packets_read_as_fastavro_reads_them(path, cache):
    assert len(SHARED_FILES) >= 10 and len(RUBIN_SAMPLES) >= 8  # v3..v11 in the package
    expected = raw_records(path)
    decoded = list(read_records(path.read_bytes(), cache))
    assert decoded and all(
        d.schema.reader is not None for d in decoded
    )  # compiled, not fallen back
    assert len(decoded) == len(expected)
    for mine, theirs in zip(decoded, expected, strict=True):
        assert same(mine.record, theirs)


@pytest.mark.parametrize("path", SHARED_FILES + RUBIN_SAMPLES, ids=lambda p: p.name)
def test_table_prefix_reads_as_fastavro_reads_it(path, cache):
    """Up to the table's record, which keeps only the fields the table reads."""
    (first, *_) = read_records(path.read_bytes(), cache)
    prefix = first.schema.table_prefix
    assert prefix is not None
    stream = io.BytesIO()  # the record re-encoded: a schemaless body
    fastavro.schemaless_writer(stream, first.schema.parsed, first.record)
    data = stream.getvalue()
    reference = io.BytesIO(data)
    expected = fastavro.schemaless_reader(reference, prefix[0], None)
    got, end = first.schema.table_reader(data, 0)
    assert end == reference.tell() < len(data)
    assert list(got)[: len(expected)] == list(expected)
    extra = list(got)[len(expected) :]  # a broker's fields after the history, read on
    assert set(extra) <= first.schema.projection.extra_fields
    assert all(same(got[name], first.record[name]) for name in extra)
    cut = [name for name in TABLE_FIELDS if isinstance(got.get(name), dict)]
    assert len(cut) == 1  # candidate or diaSource
    for name, value in got.items():
        if name in cut:
            kept = TABLE_FIELDS[name][1]
            assert list(value) == [k for k in expected[name] if k in kept]
            assert {"ra", "dec"} <= set(value) or {"ra", "decl"} <= set(value)
            assert all(same(v, expected[name][k]) for k, v in value.items())
        elif name in expected:
            assert same(value, expected[name])


EVERYTHING = {
    "type": "record",
    "name": "test.Everything",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "single", "type": "float"},
        {"name": "double", "type": ["null", "double"]},
        {"name": "text", "type": "string"},
        {"name": "raw", "type": "bytes"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["R", "G"]}},
        {"name": "tags", "type": {"type": "map", "values": ["null", "long"]}},
        {"name": "matrix", "type": {"type": "array", "items": {"type": "array", "items": "int"}}},
        {"name": "either", "type": ["null", "string", "Hash", {"type": "array", "items": "int"}]},
        {
            "name": "when",
            "type": {"type": "long", "logicalType": "timestamp-micros"},
        },
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
        },
        {
            "name": "next",
            "type": ["null", "test.Everything"],  # recursive
        },
    ],
}


def _value(depth: int) -> dict:
    return {
        "flag": depth % 2 == 0,
        "small": -(2**31),
        "big": 2**63 - 1 - depth,
        "single": float("nan") if depth else 1.5,
        "double": None if depth else -2.25e300,
        "text": "Zwicky ☄",
        "raw": bytes(range(200)),
        "hash": b"\x00\xff\x10\x01",
        "colour": "G",
        "tags": {"a": 1, "b": None, "c": -(2**40)},
        "matrix": [[], [1, -1, 300], list(range(100))],
        "either": [5, 6] if depth else b"abcd",
        "when": datetime.datetime(2026, 11, 28, 11, 0, 0, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2025, 6, 23),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "price": decimal.Decimal("-1234.56"),
        "next": _value(depth + 1) if depth < 2 else None,
    }


def _encoded() -> tuple[dict, bytes]:
    parsed = fastavro.parse_schema(EVERYTHING)
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, parsed, _value(0))
    return parsed, stream.getvalue()


def test_every_avro_type_reads_as_fastavro_reads_it():
    parsed, data = _encoded()
    expected = fastavro.schemaless_reader(io.BytesIO(data), parsed, None)
    got, end = compile_reader(parsed)(data, 0)
    assert same(got, expected)
    assert end == len(data)
    assert got["next"]["next"]["either"] == [5, 6]


def test_projection_skips_fields_and_ends_in_the_same_place():
    parsed, data = _encoded()
    reader = compile_reader(parsed, keep={"test.Everything": frozenset({"big", "next"})})
    got, end = reader(data, 0)
    assert end == len(data)
    assert list(got) == ["big", "next"]
    assert got["next"]["next"]["big"] == 2**63 - 3


def _record(record_name: str, **fields) -> dict:
    """A parsed record schema with ``fields`` (name=type) in order."""
    fields_list = [{"name": k, "type": v} for k, v in fields.items()]
    return fastavro.parse_schema({"type": "record", "name": record_name, "fields": fields_list})


def test_blocks_with_a_byte_size_are_read_and_skipped():
    # writers may send an array as blocks with a negative count followed by the byte size
    schema = _record("Blocks", items={"type": "array", "items": "long"}, after="int")
    data = bytes([3, 4, 2, 4, 0, 84])  # count -2, size 2 bytes, items 1 and 2, end; after=42
    expected = fastavro.schemaless_reader(io.BytesIO(data), schema, None)
    assert compile_reader(schema)(data, 0) == (expected, len(data))
    skipping = compile_reader(schema, keep={"Blocks": frozenset({"after"})})
    assert skipping(data, 0) == ({"after": 42}, len(data))


@pytest.mark.parametrize("cut", [1, 5, 17, 40, 150, 400, -30, -3, -1])
def test_truncated_bytes_raise(cut):
    parsed, data = _encoded()
    with pytest.raises(Exception):  # noqa: B017 - any exception; never a value
        compile_reader(parsed)(data[:cut], 0)
    with pytest.raises(Exception):  # noqa: B017
        compile_reader(parsed, keep={"test.Everything": frozenset({"flag"})})(data[:cut], 0)


RUBIN_FILES = [FINK_LSST_TRANSFER, *RUBIN_SAMPLES]


@pytest.mark.parametrize("path", RUBIN_FILES, ids=lambda p: f"{p.parent.parent.name}-{p.name}")
def test_light_curve_decode_draws_what_the_whole_decode_draws(path):
    data = path.read_bytes()
    cache = SchemaCache(fields=SURVEY_FIELDS)
    whole = list(decode_bytes(data, cache, origin=Origin(str(path))))
    shown = list(decode_bytes(data, cache, origin=Origin(str(path)), detail=Detail.LIGHT_CURVE))
    assert len(shown) == len(whole)
    for quick, full in zip(shown, whole, strict=True):
        assert full.detail is Detail.FULL
        for name in ("alert_id", "object_id", "ra", "dec", "mjd", "band", "flux", "quality"):
            assert getattr(quick, name) == getattr(full, name), name
        for series in ("detections", "upper_limits", "forced"):
            mine, theirs = getattr(quick, series), getattr(full, series)
            for column in ("mjd", "mag", "flux", "flux_err", "source_id"):
                assert np.array_equal(getattr(mine, column), getattr(theirs, column), True)
            assert list(mine.band) == list(theirs.band)
        assert quick.cutouts == full.cutouts
        assert same(whole_record(quick), full.record)  # the packet tree's fields, all there
    if any(len(a.detections) > 1 for a in whole):
        assert shown[0].detail is Detail.LIGHT_CURVE  # the history really was cut down
        mine, theirs = shown[0].record, whole[0].record
        histories = ("prvDiaSources", "prvDiaForcedSources")
        assert any(mine[h] and set(mine[h][0]) < set(theirs[h][0]) for h in histories)


def test_ztf_is_decoded_whole_for_display(cache):
    (alert,) = decode_bytes(ZTF_FILES[0].read_bytes(), cache, origin=Origin("z"),
                             detail=Detail.LIGHT_CURVE)  # fmt: skip
    assert alert.detail is Detail.FULL  # nothing to gain: a whole ZTF packet decodes in ~0.15 ms


def test_a_corrupt_block_count_raises_instead_of_looping():
    schema = _record(
        "Counts", values={"type": "array", "items": "float"}, name="string", after="int"
    )
    huge = bytes([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])  # 2^55 - 1 floats
    readers = [compile_reader(schema), compile_reader(schema, {"Counts": frozenset({"after"})})]
    for reader in readers:  # reading the array, and skipping it
        with pytest.raises(EOFError):
            reader(huge + bytes(20), 0)
    negative_name = bytes([0, 3, 0])  # empty array, string of length -2, ...
    for reader in readers:
        with pytest.raises((EOFError, ValueError)):
            reader(negative_name, 0)
