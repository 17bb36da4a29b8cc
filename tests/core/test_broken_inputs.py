"""Broken packets raise a DecodeError that says what is wrong and where."""

from __future__ import annotations

import gzip
import struct

import pytest

from alertview.core.alert import Origin
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.errors import DecodeError
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI, ZTF_FILES, raw_records

ZTF = ZTF_FILES[0]


def decode(data, cache, **kwargs):
    return list(decode_bytes(data, cache, origin=Origin("msg-7"), **kwargs))


def rubin_message(cache, schema_id=1000):
    raw = raw_records(FINK_LSST_TRANSFER)[1]
    return confluent_frame(schemaless_body(rubin_native_record(raw), cache.by_id(1000)), schema_id)


def test_empty(cache):
    with pytest.raises(DecodeError, match=r"^msg-7: offset 0: empty packet"):
        decode(b"", cache)


def test_garbage(cache):
    with pytest.raises(DecodeError, match=r"msg-7: offset 0: not an Avro container.*68 65 6c"):
        decode(b"hello, this is not an alert", cache)


def test_truncated_container(cache):
    data = ZTF.read_bytes()
    with pytest.raises(DecodeError, match=r"msg-7: offset \d+: truncated") as info:
        decode(data[: len(data) // 2], cache)
    assert 0 < info.value.offset <= len(data) // 2


def test_truncated_header(cache):
    with pytest.raises(DecodeError, match="truncated"):
        decode(ZTF.read_bytes()[:100], cache)


def test_corrupt_sync_marker(cache):
    data = bytearray(ZTF.read_bytes())
    data[-1] ^= 0xFF
    with pytest.raises(DecodeError, match="sync marker mismatch"):
        decode(bytes(data), cache)


def test_wrong_magic_byte(cache):
    message = rubin_message(cache)
    with pytest.raises(DecodeError, match="not an Avro container, a Confluent frame"):
        decode(b"\x01" + message[1:], cache)


def test_unknown_schema_id(cache):
    message = rubin_message(cache, schema_id=4321)
    with pytest.raises(DecodeError, match=r"msg-7: unknown schema id 4321 \(looked in: lsst"):
        decode(message, cache)


def test_body_does_not_match_schema(cache):
    # a v10 body announced as v7.0: the bytes are read with the wrong schema
    message = rubin_message(cache)
    wrong = message[:1] + struct.pack(">I", 700) + message[5:]
    with pytest.raises(DecodeError, match=r"msg-7: offset \d+: body does not match schema lsst"):
        decode(wrong, cache)


def test_truncated_confluent_body(cache):
    message = rubin_message(cache)
    with pytest.raises(DecodeError, match=r"body does not match schema lsst\.v10_0\.alert"):
        decode(message[:-10], cache)


def test_trailing_bytes_after_body(cache):
    with pytest.raises(DecodeError, match="5 bytes left after the record"):
        decode(rubin_message(cache) + b"extra", cache)


def test_fink_key_that_is_not_a_schema(cache):
    with open(FINK_ZTF_MULTI, "rb") as stream:
        body = stream.read()[-500:]
    with pytest.raises(DecodeError, match="schema is not valid JSON"):
        decode(body, cache, key=b"{not json")


def test_broken_gzip(cache):
    data = gzip.compress(ZTF.read_bytes())
    with pytest.raises(DecodeError, match="gzip"):
        decode(data[: len(data) // 2], cache)


def test_bad_file_among_good_ones_is_one_error_in_place(cache, tmp_path):
    bad = tmp_path / "bad.avro"
    bad.write_bytes(b"Obj\x01 broken")
    items = list(read_alerts([ZTF_FILES[0], bad, ZTF_FILES[1]], cache))
    assert [type(i).__name__ for i in items] == ["Alert", "DecodeError", "Alert"]
    assert items[1].source == str(bad)
    assert str(items[1]).startswith(f"{bad}: offset ")
