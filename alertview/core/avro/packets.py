"""Bytes -> Avro records, whatever the framing.

The framing is recognised from the bytes, never from a file name:

- gzip (``1f 8b``): decompressed, then recognised again;
- Avro object container (``Obj\\x01``): ZTF sends one per Kafka message;
  Fink and archives hold many records in one;
- Confluent wire format (byte 0 is 0, then a 4-byte big-endian schema id):
  Rubin;
- Fink's live stream: the writer schema JSON in the message key;
- a schemaless body with a schema the user gives.

Container headers are parsed here rather than with ``fastavro.reader`` so
that the schema is looked up in the :class:`SchemaCache` instead of being
parsed again for every message.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import fastavro

from alertview.core.avro.codecs import CODECS, GZIP_MAGIC, gunzip
from alertview.core.avro.schemas import SchemaCache, WriterSchema
from alertview.core.errors import DamagedInput, DecodeError, SchemaNotFound

CONTAINER_MAGIC = b"Obj\x01"
_SYNC_SIZE = 16
#: Records in one container block beyond which the count is corrupt unless the
#: block has as many bytes (an alert record takes hundreds of bytes at least).
_MAX_RECORDS_PER_BLOCK = 100_000


class Framing(StrEnum):
    """How a packet's bytes must be read back."""

    CONTAINER = "container"
    CONFLUENT = "confluent"
    FINK = "fink"
    SCHEMALESS = "schemaless"


@dataclass(frozen=True, slots=True)
class DecodedRecord:
    """One Avro record with what is needed to trace and re-export it."""

    record: dict[str, Any]
    schema: WriterSchema
    #: Exact bytes of this alert as sent (a whole message, or the record body
    #: when it came from a multi-record container file).
    packet: bytes
    framing: Framing
    #: Record index within its source (0 for a single message).
    index: int
    #: Byte offset of the record within the (decompressed) source.
    offset: int
    #: Only the table's fields were decoded (``table_only``); the history was skipped.
    partial: bool = False
    #: With ``partial``: entries in the first history array (prv_candidates,
    #: prvDiaSources), read from its block header; None if not known.
    history_length: int | None = None
    #: History records hold only ``schemas.LIGHT_CURVE_FIELDS`` (``light_curve_only``).
    projected: bool = False


#: How much of a record to decode: all, up to the table's fields, or all but the
#: history records' fields the viewer does not show.
FULL, TABLE, LIGHT_CURVE = "full", "table", "light curve"


# -- framing detection --------------------------------------------------------------
def decode_bytes(
    data: bytes,
    cache: SchemaCache,
    *,
    key: bytes | None = None,
    schema: WriterSchema | None = None,
    source: str | None = None,
    table_only: bool = False,
    light_curve_only: bool = False,
) -> Iterator[DecodedRecord]:
    """Every record in ``data``, a Kafka message value or a whole file.

    Parameters
    ----------
    key
        The Kafka message key; Fink puts the writer schema JSON there.
    schema
        A schema for schemaless bodies (given by the user).
    table_only
        For a packet holding one alert: decode only up to the fields the
        table shows (``WriterSchema.table_prefix``), not the history.
    light_curve_only
        Decode history records with only the fields the viewer shows
        (``WriterSchema.light_curve_reader``; ``DecodedRecord.projected``).
    """
    part = TABLE if table_only else LIGHT_CURVE if light_curve_only else FULL
    try:
        if not data:
            raise DecodeError("empty packet (0 bytes)", offset=0)
        if data[:2] == GZIP_MAGIC:
            data = gunzip(data)
            if not data:
                raise DecodeError("gzip data holds nothing (0 bytes)", offset=0)
        if data[:4] == CONTAINER_MAGIC:
            yield from decode_container(data, cache, part)
        elif key is not None and key.lstrip()[:1] == b"{":
            writer = cache.from_text(key, origin="message key")
            yield read_single(data, writer, Framing.FINK, part)
        elif (
            data[0] == 0
            and len(data) >= 5
            and (confluent := _confluent(data, cache, schema, part))
        ):
            yield confluent
        elif schema is not None:
            yield read_single(data, schema, Framing.SCHEMALESS, part)
        else:
            raise DecodeError(
                "not an Avro container, a Confluent frame or a Fink message, and no "
                f"schema given for a schemaless body (first bytes {data[:8].hex(' ')})",
                offset=0,
            )
    except _Truncated as exc:  # a header cut short: the packet failed
        raise DecodeError(exc.reason, source, exc.offset) from None
    except DecodeError as exc:
        raise exc.located(source) from None


def _confluent(
    data: bytes, cache: SchemaCache, fallback: WriterSchema | None, part: str = FULL
) -> DecodedRecord | None:
    (schema_id,) = struct.unpack_from(">I", data, 1)
    try:
        writer = cache.by_id(schema_id)
    except SchemaNotFound:
        if fallback is not None:  # a schemaless body that merely starts with 0
            return None
        raise
    if part == TABLE and writer.table_prefix is not None:
        return _read_table_fields(data, 5, writer, data, Framing.CONFLUENT, 0)
    record, end = _read_record(data, 5, writer, part)
    _check_consumed(data, end, writer)
    return DecodedRecord(
        record, writer, data, Framing.CONFLUENT, 0, 0, projected=_projected(writer, part)
    )


def read_single(
    data: bytes,
    writer: WriterSchema,
    framing: Framing = Framing.SCHEMALESS,
    part: str = FULL,
) -> DecodedRecord:
    """One schemaless body written with ``writer`` (the whole of ``data``)."""
    if part == TABLE and writer.table_prefix is not None:
        return _read_table_fields(data, 0, writer, data, framing, 0)
    record, end = _read_record(data, 0, writer, part)
    _check_consumed(data, end, writer)
    return DecodedRecord(record, writer, data, framing, 0, 0, projected=_projected(writer, part))


def _read_table_fields(
    data: bytes | memoryview,
    start: int,
    writer: WriterSchema,
    packet: bytes,
    framing: Framing,
    offset: int,
) -> DecodedRecord:
    """The record up to the table's fields, and the history's length from its header.

    Writers (Java's and fastavro's) put a whole array in one block, so the
    first block count is its length; a negative count means a size follows.
    """
    _, array_branch = writer.table_prefix
    record, end = _read_record(data, start, writer, TABLE)
    length = None
    if array_branch is not None:
        cursor = _Cursor(bytes(data[end : end + 20]))
        try:
            branch = -1 if array_branch == -1 else cursor.long()
            length = abs(cursor.long()) if branch == array_branch else 0
        except DecodeError:
            length = None
    return DecodedRecord(record, writer, packet, framing, 0, offset, True, length)


def _read_record(
    data: bytes | memoryview, start: int, writer: WriterSchema, part: str = FULL
) -> tuple[dict, int]:
    """The record at ``start`` and where it ends; the ``part`` of it asked for (TABLE:
    only up to the table's fields, ``WriterSchema.table_prefix``; LIGHT_CURVE: see
    ``WriterSchema.light_curve_reader``).

    The schema's compiled reader reads it (``avro_compiled``: same values as
    fastavro, ~1.8x (Rubin) to ~2.7x (ZTF) faster, benchmarks/results/decode.json);
    fastavro where a schema did not compile.
    """
    try:
        if part == TABLE:
            reader = writer.table_reader
        elif part == LIGHT_CURVE:
            reader = writer.light_curve_reader or writer.reader
        else:
            reader = writer.reader
        if reader is not None:
            record, end = reader(data if isinstance(data, bytes) else bytes(data), start)
        else:
            stream = io.BytesIO(data)
            stream.seek(start)
            parsed = writer.table_prefix[0] if part == TABLE else writer.parsed
            record, end = fastavro.schemaless_reader(stream, parsed, None), stream.tell()
    except Exception as exc:  # EOFError, IndexError, UnicodeDecodeError, struct.error, ...
        raise DecodeError(
            f"body does not match schema {writer.name or '?'} ({type(exc).__name__}: {exc})",
            offset=start,
        ) from None
    if not isinstance(record, dict):
        raise DecodeError(f"schema {writer.name or '?'} is not a record schema", offset=start)
    return record, end


def _projected(writer: WriterSchema, part: str) -> bool:
    return part == LIGHT_CURVE and writer.light_curve_reader is not None


def _check_consumed(data: bytes, end: int, writer: WriterSchema) -> None:
    if end != len(data):
        raise DecodeError(
            f"body does not match schema {writer.name or '?'}: "
            f"{len(data) - end} bytes left after the record",
            offset=end,
        )


# -- Avro object container files -------------------------------------------------------
class _Truncated(DecodeError):
    """The bytes end before what they announce: what came before may still be read."""


class _Cursor:
    """Reads Avro's primitive encodings from a buffer, with offsets for errors."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def long(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data):
                raise _Truncated("truncated (in a varint)", offset=self.pos)
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7
            if shift > 63:
                raise DecodeError("corrupt varint", offset=self.pos)

    def skip(self, size: int) -> int:
        """Move past ``size`` bytes; returns where they start."""
        start = self.pos
        if size < 0:
            raise DecodeError(f"corrupt length {size}", offset=start)
        if start + size > len(self.data):
            raise _Truncated(
                f"truncated: {size} bytes expected, {len(self.data) - start} left", offset=start
            )
        self.pos = start + size
        return start

    def take(self, size: int) -> bytes:
        start = self.skip(size)
        return self.data[start : start + size]


def _read_header(cursor: _Cursor) -> tuple[dict[str, bytes], bytes]:
    cursor.take(4)
    meta: dict[str, bytes] = {}
    while (count := cursor.long()) != 0:
        if count < 0:  # a negative count is followed by the block's byte size
            cursor.long()
            count = -count
        for _ in range(count):
            name = cursor.take(cursor.long()).decode("utf-8", "replace")
            meta[name] = cursor.take(cursor.long())
    return meta, cursor.take(_SYNC_SIZE)


@dataclass(frozen=True, slots=True)
class _Block:
    start: int  #: offset of the block in the file
    count: int  #: records it announces
    payload: bytes  #: the file itself (null codec: read in place) or the decompressed block
    begin: int  #: where its records begin in ``payload``
    end: int  #: and end
    #: Bytes of this block missing at the end of the file: only the records that
    #: fit before the end are real.
    missing: int = 0


def decode_container(data: bytes, cache: SchemaCache, part: str = FULL) -> Iterator[DecodedRecord]:
    """Records of an Avro object container file, schema taken from the cache.

    Blocks are read one at a time, so a file damaged at its end (a short last
    block, a truncated sync marker) still gives every record before the
    damage, then a ``DamagedInput`` saying what is missing. With ``part``
    TABLE, a file holding a single alert (ZTF's Kafka messages) is decoded
    only up to the table's fields.
    """
    known = cache.known_header(data)
    if known is not None:  # ZTF: every message repeats the same header (but its sync)
        writer, codec, end = known
        cursor = _Cursor(data, end)
        sync = cursor.take(_SYNC_SIZE)
    else:
        cursor = _Cursor(data)
        meta, sync = _read_header(cursor)
        if "avro.schema" not in meta:
            raise DecodeError("container header has no avro.schema", offset=0)
        writer = cache.from_text(meta["avro.schema"], origin="container header")
        codec = meta.get("avro.codec", b"null").decode("ascii", "replace") or "null"
        cache.remember_header(data[: cursor.pos - _SYNC_SIZE], writer, codec)
    decompress = CODECS.get(codec)
    if decompress is None:
        raise DecodeError(f"container codec {codec!r} is not supported", offset=0)
    read = 0
    try:
        for block in _blocks(cursor, data, sync, codec, decompress):
            single = read == 0 and block.count == 1 and cursor.pos == len(data)
            if single and part == TABLE and writer.table_prefix is not None:
                yield _read_table_fields(
                    block.payload, block.begin, writer, data, Framing.CONTAINER, block.start
                )
                return
            for decoded in _block_records(block, writer, part, read, data if single else None):
                yield decoded
                read += 1
    except _Truncated as exc:
        if read == 0:  # nothing to show: the file failed
            raise DecodeError(exc.reason, offset=exc.offset) from None
        raise DamagedInput(
            f"damaged after {read} complete record{'s' if read != 1 else ''}, which were read "
            f"({exc.reason})",
            offset=exc.offset,
        ) from None


def _blocks(cursor: _Cursor, data: bytes, sync: bytes, codec: str, decompress) -> Iterator[_Block]:
    """The file's blocks in order; a block the file ends inside comes out with the
    bytes it ``missing`` (null codec: its records that fit are still whole), then
    the truncation."""
    while cursor.pos < len(data):
        start = cursor.pos
        count = cursor.long()
        size = cursor.long()
        if count < 0 or (count > _MAX_RECORDS_PER_BLOCK and count > size):
            raise DecodeError(f"corrupt block: {count} records in {size} bytes", offset=start)
        if codec == "null":
            begin = cursor.pos
            try:
                cursor.skip(size)
            except _Truncated:
                yield _Block(start, count, data, begin, len(data), begin + size - len(data))
                raise _Truncated(
                    f"truncated: the last block lacks {begin + size - len(data)} of its "
                    f"{size} bytes",
                    offset=len(data),
                ) from None
            block = _Block(start, count, data, begin, begin + size)
        else:
            payload = decompress(cursor.take(size), start)
            block = _Block(start, count, payload, 0, len(payload))
        if len(data) - cursor.pos < _SYNC_SIZE:  # records complete, sync marker cut
            yield block
            cursor.take(_SYNC_SIZE)
        if cursor.take(_SYNC_SIZE) != sync:
            raise DecodeError("sync marker mismatch after a block", offset=cursor.pos - _SYNC_SIZE)
        yield block


def _truncated_in(block: _Block, index: int) -> _Truncated:
    return _Truncated(
        f"truncated: the file ends inside record {index}, {block.missing} bytes short of "
        f"its last block's end",
        offset=block.end,
    )


def _block_records(
    block: _Block, writer: WriterSchema, part: str, index: int, whole: bytes | None
) -> Iterator[DecodedRecord]:
    """The records of one block; ``whole`` is the file when it is this one alert."""
    pos = block.begin
    for _ in range(block.count):
        try:
            record, end = _read_record(block.payload, pos, writer, part)
        except DecodeError as exc:
            if block.missing:  # the file ends inside this record
                raise _truncated_in(block, index) from None
            raise DecodeError(f"record {index}: {exc.reason}", offset=block.start) from None
        if block.missing and end > block.end:
            raise _truncated_in(block, index)
        packet = whole if whole is not None else block.payload[pos:end]
        framing = Framing.CONTAINER if whole is not None else Framing.SCHEMALESS
        yield DecodedRecord(
            record, writer, packet, framing, index, block.start,
            projected=_projected(writer, part),
        )  # fmt: skip
        pos = end
        index += 1
    if pos < block.end and not block.missing:
        raise DecodeError(
            f"block holds {block.end - pos} bytes after its {block.count} records",
            offset=block.start,
        )
    if pos > block.end:
        raise DecodeError(f"its {block.count} records run past their block", offset=block.start)
