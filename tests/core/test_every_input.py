"""No input stops the others, damaged files give what they hold, and every length,
count and decompression a packet announces is bounded."""

from __future__ import annotations

import copy
import gzip
import io
import json
import lzma
import subprocess
import sys
import tarfile

import fastavro
import pytest

from alertview.core import sources
from alertview.core.alert import Alert, Origin
from alertview.core.avro import codecs
from alertview.core.avro.compiled import compile_reader
from alertview.core.avro.packets import Framing, Packet
from alertview.core.avro.schemas import MAX_CACHED_SCHEMAS
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.errors import DamagedInput, DecodeError
from tests.conftest import FINK_ZTF_MULTI, REPO, ZTF_FILES, raw_records
from tests.core.helpers import avro_long

ZTF_1X = next(p for p in ZTF_FILES if p.name.startswith("396522680015020000"))
ZTF_33 = next(p for p in ZTF_FILES if p.name.startswith("472263571115115000"))


def writer_schema(path) -> dict:
    with path.open("rb") as stream:
        return fastavro.reader(stream).writer_schema


def container(schema, records, codec="null") -> bytes:
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(schema), records, codec=codec)
    return out.getvalue()


# -- one input that fails in an unforeseen way stops nothing --------------------------------
def malformed_ztf(path) -> bytes:
    """A record fastavro reads and the ZTF mapping cannot: previous candidates that are
    strings instead of records (``prv.get`` raises AttributeError in the mapping)."""
    schema = copy.deepcopy(writer_schema(path))
    record = raw_records(path)[0]
    for field in schema["fields"]:
        if field["name"] == "prv_candidates":
            field["type"] = ["null", {"type": "array", "items": "string"}]
    record["prv_candidates"] = ["not a candidate"]
    return container(schema, [record])


def test_a_file_that_breaks_the_survey_mapping_stops_nothing(cache, tmp_path):
    bad = tmp_path / "bad.avro"
    bad.write_bytes(malformed_ztf(ZTF_33))
    good = [*ZTF_FILES[:3], bad, *ZTF_FILES[3:]]
    items = list(read_alerts(good, cache))
    alerts = [i for i in items if isinstance(i, Alert)]
    errors = [i for i in items if isinstance(i, DecodeError)]
    assert len(alerts) == len(ZTF_FILES)
    assert [str(e.source) for e in errors] == [str(bad)]
    assert "internal error: AttributeError" in str(errors[0])
    assert str(errors[0]).endswith("please report")
    assert isinstance(errors[0].cause, AttributeError)


def inspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alertview", "inspect", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_inspect_reports_the_bad_file_and_prints_every_good_alert(tmp_path):
    bad = tmp_path / "bad.avro"
    bad.write_bytes(malformed_ztf(ZTF_33))
    paths = [str(ZTF_FILES[0]), str(bad), str(ZTF_FILES[1])]
    done = inspect(*paths)
    assert done.returncode == 1  # some inputs failed
    assert len(done.stdout.splitlines()) == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"alertview: {bad}: internal error: AttributeError: ")
    assert line.endswith("— please report")
    debug = inspect("--debug", *paths)
    assert "Traceback" in debug.stderr and "AttributeError" in debug.stderr
    assert len(debug.stdout.splitlines()) == 2  # the traceback did not stop the run


# -- writer schemas that are a list of named types (ZTF 1.x simulated packets) ------------
def test_a_list_writer_schema_is_read_and_labelled(cache, tmp_path):
    schema = writer_schema(ZTF_1X)
    note = {"type": "record", "name": "note", "namespace": "ztf", "fields": []}
    listed = tmp_path / "listed.avro"
    listed.write_bytes(container([note, schema], raw_records(ZTF_1X)))
    (alert,) = list(read_alerts([listed], cache))
    (reference,) = list(read_alerts([ZTF_1X], cache))
    assert isinstance(alert, Alert), alert
    assert alert.survey == "ztf" and alert.alert_id == reference.alert_id
    assert alert.schema_label == reference.schema_label
    assert alert.packet.schema.name == "ztf.alert"
    assert len(alert.detections) == len(reference.detections)


# -- damaged files: what came before the damage is read -----------------------------------
def test_a_truncated_sync_marker_keeps_every_record(cache):
    data = FINK_ZTF_MULTI.read_bytes()
    items = list(read_alerts_of(data[:-1], cache))
    assert sum(isinstance(i, Alert) for i in items) == 11
    assert isinstance(items[-1], DamagedInput) and items[-1].warning
    assert "15 left" in str(items[-1]) and "after 11 complete records" in str(items[-1])


def test_a_short_last_block_keeps_the_records_before_it(cache):
    data = FINK_ZTF_MULTI.read_bytes()
    items = list(read_alerts_of(data[: len(data) - 3000], cache))
    alerts = [i for i in items if isinstance(i, Alert)]
    assert len(alerts) == 10  # the last block holds the 11th, cut
    assert [a.alert_id for a in alerts] == [r["candid"] for r in raw_records(FINK_ZTF_MULTI)][:10]
    damage = items[-1]
    assert isinstance(damage, DamagedInput)
    assert "truncated" in damage.reason and "bytes short" in damage.reason
    assert damage.offset == len(data) - 3000


def test_a_file_damaged_before_any_record_fails(cache):
    data = FINK_ZTF_MULTI.read_bytes()
    (error,) = list(read_alerts_of(data[:30000], cache))
    assert type(error) is DecodeError and not error.warning


def read_alerts_of(data: bytes, cache):
    try:
        yield from decode_bytes(data, cache, origin=Origin("file.avro"))
    except DecodeError as exc:
        yield exc


def test_inspect_warns_of_damage_and_succeeds(tmp_path):
    cut = tmp_path / "cut.avro"
    cut.write_bytes(FINK_ZTF_MULTI.read_bytes()[:-5])
    done = inspect(str(cut))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 11
    assert done.stderr.startswith(f"alertview: warning: {cut}: offset ")


# -- bounded decompression ----------------------------------------------------------------
def zeros_record_file(codec: str, size: int) -> bytes:
    schema = {"type": "record", "name": "blob", "fields": [{"name": "b", "type": "bytes"}]}
    return container(schema, [{"b": bytes(size)}], codec=codec)


@pytest.mark.parametrize("codec", ["deflate", "snappy", "bzip2", "xz"])
def test_a_container_block_inflating_past_the_cap_is_refused(cache, monkeypatch, codec):
    monkeypatch.setattr(codecs, "MAX_BLOCK_BYTES", 4 * 2**20)
    small = list(decode_bytes(zeros_record_file(codec, 2**20), cache, origin=Origin("ok")))
    assert len(small[0].record["b"]) == 2**20  # below the cap: read as before
    with pytest.raises(DecodeError, match=rf"{codec} block inflates past 4 MB: refused"):
        list(decode_bytes(zeros_record_file(codec, 8 * 2**20), cache, origin=Origin("bomb")))


def test_gzip_members_and_layers_count_against_one_cap():
    member = gzip.compress(bytes(3 * 2**20))
    assert len(codecs.gunzip(member, limit=4 * 2**20)) == 3 * 2**20
    with pytest.raises(DecodeError, match="inflates past 4 MB"):
        codecs.gunzip(member + member, limit=4 * 2**20)  # the second member counts too
    assert codecs.gunzip(gzip.compress(gzip.compress(b"alert"))) == b"alert"
    with pytest.raises(DecodeError, match="nested more than 3 deep"):
        codecs.gunzip(gzip.compress(gzip.compress(gzip.compress(gzip.compress(b"x")))))
    with pytest.raises(DecodeError, match="truncated gzip data"):
        codecs.gunzip(member[:100])


def test_unsupported_codec_is_one_clear_error(cache):
    data = zeros_record_file("null", 10).replace(
        b"\x14avro.codec\x08null", b"\x14avro.codec\x08lz77"
    )
    with pytest.raises(DecodeError, match="codec 'lz77' is not supported"):
        list(decode_bytes(data, cache, origin=Origin("x")))


# -- counts and lengths a packet announces ------------------------------------------------
def test_an_array_of_nulls_claiming_2_to_the_40_items_is_refused_at_once(cache):
    schema = {
        "type": "record",
        "name": "pill",
        "fields": [{"name": "x", "type": {"type": "array", "items": "null"}}],
    }
    writer = cache.from_text(json.dumps(schema).encode())
    three = Packet(avro_long(3) + b"\x00", Framing.SCHEMALESS, writer)
    assert three.decode().record == {"x": [None, None, None]}
    # refused from the count alone: the error is the check's, before any item is read
    with pytest.raises(DecodeError, match="items that take no bytes"):
        Packet(avro_long(2**40) + b"\x00", Framing.SCHEMALESS, writer).decode()


def test_unions_of_more_than_63_types_compile_and_match_fastavro():
    members = ["null"] + [
        {"type": "record", "name": f"r{i}", "fields": [{"name": "v", "type": "int"}]}
        for i in range(70)
    ]
    schema = fastavro.parse_schema(
        {"type": "record", "name": "wide", "fields": [{"name": "u", "type": members}]}
    )
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, {"u": ("r66", {"v": -5})})
    read = compile_reader(schema)
    assert read(body.getvalue(), 0)[0] == {"u": {"v": -5}}
    assert fastavro.schemaless_reader(io.BytesIO(body.getvalue()), schema) == {"u": {"v": -5}}


# -- schemas: nesting and the cache's size ------------------------------------------------
def nested_schema(depth: int) -> bytes:
    """A record in a record ... ``depth`` deep, as JSON text (too deep for json.dumps)."""
    text = '{"type": "record", "name": "n0", "fields": []}'
    for level in range(1, depth):
        field = f'{{"name": "f", "type": {text}}}'
        text = f'{{"type": "record", "name": "n{level}", "fields": [{field}]}}'
    return text.encode()


def test_a_schema_nested_hundreds_deep_is_refused(cache):
    with pytest.raises(DecodeError, match=r"schema nested \d+ deep \(at most 100\)"):
        list(decode_bytes(b"\x00", cache, key=nested_schema(60), origin=Origin("fink")))
    with pytest.raises(DecodeError, match="schema is nested too deep to parse"):
        list(decode_bytes(b"\x00", cache, key=nested_schema(400), origin=Origin("fink")))
    header_file = container(json.loads(nested_schema(20)), [])  # a legal depth still reads
    assert list(decode_bytes(header_file, cache, origin=Origin("ok"))) == []
    with pytest.raises(DecodeError, match=r"nested too deep|nested \d+ deep"):
        cache.from_text(b"[" * 100_000 + b"]" * 100_000)


def test_the_schema_cache_keeps_a_bounded_number_of_schemas(cache):
    for i in range(3 * MAX_CACHED_SCHEMAS):
        schema = {"type": "record", "name": f"s{i}", "fields": [{"name": "x", "type": "int"}]}
        record = list(
            decode_bytes(b"\x02", cache, key=json.dumps(schema).encode(), origin=Origin("m"))
        )
        assert record[0].record == {"x": 1}
    assert len(cache._by_text) <= MAX_CACHED_SCHEMAS


# -- files on disk --------------------------------------------------------------------------
def test_broken_gzip_files_in_a_folder_are_one_error_each(cache, tmp_path):
    packed = gzip.compress(ZTF_FILES[0].read_bytes())
    (tmp_path / "a-truncated.avro.gz").write_bytes(packed[: len(packed) // 2])
    corrupt = bytearray(packed)
    corrupt[20:40] = bytes(20)
    (tmp_path / "b-corrupt.avro.gz").write_bytes(bytes(corrupt))
    (tmp_path / "c-good.avro").write_bytes(ZTF_FILES[1].read_bytes())
    items = list(read_alerts([tmp_path], cache))
    assert [type(i).__name__ for i in items] == ["DecodeError", "DecodeError", "Alert"]
    assert all("internal" not in str(i) for i in items[:2])


def test_an_archive_member_larger_than_any_packet_is_not_read(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 2**20)
    archive = tmp_path / "night.tar.xz"
    with tarfile.open(archive, "w:xz", preset=0) as tar:
        for name, data in [("huge.avro", bytes(3 * 2**20)), ("good.avro", ZTF_33.read_bytes())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    items = list(read_alerts([archive], cache))
    assert [type(i).__name__ for i in items] == ["DecodeError", "Alert"]
    assert "larger than any alert packet" in str(items[0])
    broken = tmp_path / "broken.tar.xz"
    broken.write_bytes(archive.read_bytes()[:200] + lzma.compress(b"x")[:40])
    (error,) = list(read_alerts([broken], cache))
    assert "archive unreadable" in str(error) or "cannot read" in str(error)
