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

import gzip
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import fastavro

from alertview.core.errors import DecodeError, SchemaNotFound
from alertview.core.schemas import SchemaCache, WriterSchema

CONTAINER_MAGIC = b"Obj\x01"
GZIP_MAGIC = b"\x1f\x8b"
_SYNC_SIZE = 16
#: Refuse to inflate one gzip member past this, so a hostile packet cannot exhaust memory.
MAX_INFLATED_BYTES = 512 * 1024 * 1024


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
            data = inflate(data)
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
    except DecodeError as exc:
        raise exc.located(source) from None


def inflate(data: bytes) -> bytes:
    """Gunzip one packet, bounded in size."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise DecodeError(f"broken gzip data ({exc})", offset=0) from None
    if inflater.unconsumed_tail:
        raise DecodeError(f"gzip data inflates past {MAX_INFLATED_BYTES} bytes", offset=0)
    if not inflater.eof:
        raise DecodeError("truncated gzip data", offset=len(data))
    if inflater.unused_data[:2] == GZIP_MAGIC:  # concatenated gzip members
        return out + gzip.decompress(inflater.unused_data)
    return out


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
    fastavro, 2-3x faster); fastavro where a schema did not compile.
    """
    if part == TABLE:
        reader = writer.table_reader
    elif part == LIGHT_CURVE:
        reader = writer.light_curve_reader or writer.reader
    else:
        reader = writer.reader
    try:
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
                raise DecodeError("truncated (in a varint)", offset=self.pos)
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
        if size < 0 or start + size > len(self.data):
            raise DecodeError(
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


def decode_container(data: bytes, cache: SchemaCache, part: str = FULL) -> Iterator[DecodedRecord]:
    """Records of an Avro object container file, schema taken from the cache.

    With ``part`` TABLE, a file holding a single alert (ZTF's Kafka messages)
    is decoded only up to the table's fields.
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
    if codec not in _CODECS:
        yield from _decode_container_with_fastavro(data, writer, codec)
        return
    decompress = _CODECS[codec]
    # (block start, record count, buffer, where its records begin and end); an
    # uncompressed block is read in place, not copied out of the message
    blocks: list[tuple[int, int, bytes, int, int]] = []
    while cursor.pos < len(data):
        block_start = cursor.pos
        count = cursor.long()
        size = cursor.long()
        if codec == "null":
            begin = cursor.skip(size)
            blocks.append((block_start, count, data, begin, begin + size))
        else:
            payload = decompress(cursor.take(size), block_start)
            blocks.append((block_start, count, payload, 0, len(payload)))
        if cursor.take(_SYNC_SIZE) != sync:
            raise DecodeError("sync marker mismatch after a block", offset=cursor.pos - _SYNC_SIZE)
    single = len(blocks) == 1 and blocks[0][1] == 1
    if single and part == TABLE and writer.table_prefix is not None:
        block_start, _, payload, begin, _ = blocks[0]
        yield _read_table_fields(payload, begin, writer, data, Framing.CONTAINER, block_start)
        return
    index = 0
    for block_start, count, payload, begin, block_end in blocks:
        pos = begin
        for _ in range(count):
            try:
                record, end = _read_record(payload, pos, writer, part)
            except DecodeError as exc:
                raise DecodeError(f"record {index}: {exc.reason}", offset=block_start) from None
            packet = data if single else payload[pos:end]
            framing = Framing.CONTAINER if single else Framing.SCHEMALESS
            yield DecodedRecord(
                record, writer, packet, framing, index, block_start,
                projected=_projected(writer, part),
            )  # fmt: skip
            pos = end
            index += 1
        if pos < block_end:
            raise DecodeError(
                f"block holds {block_end - pos} bytes after its {count} records",
                offset=block_start,
            )
        if pos > block_end:
            raise DecodeError(f"its {count} records run past their block", offset=block_start)


def _null(block: bytes, _offset: int) -> bytes:
    return block


def _deflate(block: bytes, offset: int) -> bytes:
    try:
        return zlib.decompress(block, -15)
    except zlib.error as exc:
        raise DecodeError(f"broken deflate block ({exc})", offset=offset) from None


def _snappy(block: bytes, offset: int) -> bytes:
    import cramjam  # fastavro's own snappy backend

    try:
        out = bytes(cramjam.snappy.decompress_raw(block[:-4]))
    except Exception as exc:  # cramjam.DecompressionError is not importable by name
        raise DecodeError(f"broken snappy block ({exc})", offset=offset) from None
    if struct.unpack(">I", block[-4:])[0] != zlib.crc32(out):
        raise DecodeError("snappy block fails its CRC32 check", offset=offset)
    return out


_CODECS = {"null": _null, "deflate": _deflate, "snappy": _snappy}


def _decode_container_with_fastavro(
    data: bytes, writer: WriterSchema, codec: str
) -> Iterator[DecodedRecord]:
    """Rarer codecs (zstandard, bzip2, xz): let fastavro read the blocks."""
    try:
        reader = fastavro.reader(io.BytesIO(data))
        for index, record in enumerate(reader):
            body = io.BytesIO()
            fastavro.schemaless_writer(body, writer.parsed, record)
            yield DecodedRecord(record, writer, body.getvalue(), Framing.SCHEMALESS, index, 0)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"cannot read {codec!r} container ({exc})", offset=0) from None
