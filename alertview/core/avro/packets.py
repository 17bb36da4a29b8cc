"""Bytes -> Avro records, whatever the framing; one alert's bytes as a ``Packet``.

The framing is recognised from the bytes, never from a file name:

- gzip (``1f 8b``): decompressed, then recognised again;
- Avro object container (``Obj\\x01``, see ``container``): ZTF sends one per
  Kafka message; Fink and archives hold many records in one;
- Confluent wire format (byte 0 is 0, then a 4-byte big-endian schema id):
  Rubin;
- Fink's live stream: the writer schema JSON in the message key;
- a schemaless body with a schema the user gives.

Each record comes out with its ``Packet``: the alert's bytes, their framing
and writer schema, all that is needed to read it again at another ``Detail``
(what the store keeps, what the viewer decodes when an alert is selected).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import fastavro

from alertview.core.avro.codecs import GZIP_MAGIC, gunzip
from alertview.core.avro.container import CONTAINER_MAGIC, Block, Cursor, Truncated, open_container
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache, WriterSchema
from alertview.core.errors import DamagedInput, DecodeError, SchemaNotFound


class Framing(StrEnum):
    """How a packet's bytes must be read back."""

    CONTAINER = "container"
    CONFLUENT = "confluent"
    FINK = "fink"
    SCHEMALESS = "schemaless"


@dataclass(frozen=True, slots=True)
class Packet:
    """One alert's bytes as sent, and what is needed to read them again.

    ``data`` is a whole message (a ZTF container file, a Rubin Confluent
    frame, a Fink body), or the body alone of a record out of a multi-record
    container file (SCHEMALESS). ``schema`` is its writer schema (a container
    file's is the one in its header).
    """

    data: bytes
    framing: Framing
    schema: WriterSchema

    @property
    def detached_schema(self) -> WriterSchema | None:
        """The writer schema when the bytes do not carry it (all but a container file):
        what must be kept beside them to read them again."""
        return None if self.framing is Framing.CONTAINER else self.schema

    def decode(
        self, detail: Detail = Detail.FULL, cache: SchemaCache | None = None
    ) -> DecodedRecord:
        """The record, decoded as far as ``detail`` asks (``DecodedRecord.detail``
        says how far: a schema without the projection asked for is read whole).
        ``cache`` knows container headers already met."""
        try:
            if self.framing is Framing.CONTAINER:
                for decoded in _container_records(self.data, cache or SchemaCache(), detail):
                    return decoded
                raise DecodeError("container file holds no record", offset=0)
            return _read_body(self, 5 if self.framing is Framing.CONFLUENT else 0, detail)
        except Truncated as exc:
            raise DecodeError(exc.reason, offset=exc.offset) from None


@dataclass(frozen=True, slots=True)
class DecodedRecord:
    """One Avro record with the packet it was read from."""

    record: dict[str, Any]
    packet: Packet
    #: Record index within its source (0 for a single message).
    index: int = 0
    #: Byte offset of the record within the (decompressed) source.
    offset: int = 0
    #: How much of the record was read: TABLE (the history skipped), LIGHT_CURVE
    #: (history records with what the light curve draws only) or FULL.
    detail: Detail = Detail.FULL
    #: With TABLE: entries in the first history array (prv_candidates,
    #: prvDiaSources), read from its block header; None if not known.
    history_length: int | None = None

    @property
    def schema(self) -> WriterSchema:
        return self.packet.schema


def read_records(
    data: bytes,
    cache: SchemaCache,
    *,
    key: bytes | None = None,
    schema: WriterSchema | None = None,
    source: str | None = None,
    detail: Detail = Detail.FULL,
) -> Iterator[DecodedRecord]:
    """Every record in ``data``, a Kafka message value or a whole file.

    Parameters
    ----------
    key
        The Kafka message key; Fink puts the writer schema JSON there.
    schema
        A schema for schemaless bodies (given by the user).
    detail
        How much of each record to decode (``Detail``). TABLE stops at the
        table's fields (``WriterSchema.table_prefix``) of a packet holding one
        alert; the records of a file holding many are read whole.
    """
    try:
        if not data:
            raise DecodeError("empty packet (0 bytes)", offset=0)
        if data[:2] == GZIP_MAGIC:
            data = gunzip(data)
            if not data:
                raise DecodeError("gzip data holds nothing (0 bytes)", offset=0)
        if data[:4] == CONTAINER_MAGIC:
            yield from _container_records(data, cache, detail)
        elif key is not None and key.lstrip()[:1] == b"{":
            writer = cache.from_text(key, origin="message key")
            yield _read_body(Packet(data, Framing.FINK, writer), 0, detail)
        elif (schema_id := confluent_schema_id(data)) is not None and (
            registered := _confluent(schema_id, cache, schema)
        ):
            yield _read_body(Packet(data, Framing.CONFLUENT, registered), 5, detail)
        elif schema is not None:
            yield _read_body(Packet(data, Framing.SCHEMALESS, schema), 0, detail)
        else:
            raise DecodeError(
                "not an Avro container, a Confluent frame or a Fink message, and no "
                f"schema given for a schemaless body (first bytes {data[:8].hex(' ')})",
                offset=0,
            )
    except Truncated as exc:  # a header cut short: the packet failed
        raise DecodeError(exc.reason, source, exc.offset) from None
    except DecodeError as exc:
        raise exc.located(source) from None


def confluent_schema_id(data: bytes) -> int | None:
    """The schema id a Confluent frame names (a zero byte, the id in 4 big-endian
    bytes, the body); None if ``data`` cannot be one."""
    if len(data) < 5 or data[0] != 0:
        return None
    return int.from_bytes(data[1:5], "big")


def _confluent(
    schema_id: int, cache: SchemaCache, fallback: WriterSchema | None
) -> WriterSchema | None:
    """The writer schema of a Confluent frame's id; None if unknown but the user gave
    a schema (a schemaless body that merely starts with 0)."""
    try:
        return cache.by_id(schema_id)
    except SchemaNotFound:
        if fallback is not None:
            return None
        raise


# -- one record -------------------------------------------------------------------------
def _read_body(packet: Packet, start: int, detail: Detail) -> DecodedRecord:
    """The one record of ``packet``, whose body begins at ``start``."""
    data, writer = packet.data, packet.schema
    detail = _detail_read(writer, detail)
    if detail is Detail.TABLE:
        return _read_table_fields(data, start, packet, 0)
    record, end = _read_record(data, start, writer, detail)
    if end != len(data):
        raise DecodeError(
            f"body does not match schema {writer.name or '?'}: "
            f"{len(data) - end} bytes left after the record",
            offset=end,
        )
    return DecodedRecord(record, packet, 0, 0, detail)


def _detail_read(writer: WriterSchema, detail: Detail) -> Detail:
    """``detail``, or FULL where ``writer`` has no projection for it."""
    if detail is Detail.TABLE and writer.table_prefix is None:
        return Detail.FULL
    if detail is Detail.LIGHT_CURVE and writer.light_curve_reader is None:
        return Detail.FULL
    return detail


def _read_table_fields(
    data: bytes | memoryview, start: int, packet: Packet, offset: int
) -> DecodedRecord:
    """The record up to the table's fields, and the history's length from its header.

    Writers (Java's and fastavro's) put a whole array in one block, so the
    first block count is its length; a negative count means a size follows.
    """
    writer = packet.schema
    assert writer.table_prefix is not None  # (see _detail_read)
    _, array_branch = writer.table_prefix
    record, end = _read_record(data, start, writer, Detail.TABLE)
    length = None
    if array_branch is not None:
        cursor = Cursor(bytes(data[end : end + 20]))
        try:
            branch = -1 if array_branch == -1 else cursor.long()
            length = abs(cursor.long()) if branch == array_branch else 0
        except DecodeError:
            length = None
    return DecodedRecord(record, packet, 0, offset, Detail.TABLE, length)


def _read_record(
    data: bytes | memoryview, start: int, writer: WriterSchema, detail: Detail
) -> tuple[dict, int]:
    """The record at ``start`` and where it ends, read at ``detail`` (one ``writer``
    has a projection for, see ``_detail_read``): TABLE up to the table's fields
    (``WriterSchema.table_prefix``), LIGHT_CURVE with ``WriterSchema.light_curve_reader``.

    The schema's compiled reader reads it (``compiled``: same values as
    fastavro, ~1.8x (Rubin) to ~2.7x (ZTF) faster, benchmarks/results/decode.json);
    fastavro where a schema did not compile.
    """
    try:
        if detail is Detail.TABLE:
            reader = writer.table_reader
        elif detail is Detail.LIGHT_CURVE:
            reader = writer.light_curve_reader
        else:
            reader = writer.reader
        if reader is not None:
            record, end = reader(data if isinstance(data, bytes) else bytes(data), start)
        else:
            stream = io.BytesIO(data)
            stream.seek(start)
            prefix = writer.table_prefix if detail is Detail.TABLE else None
            parsed = writer.parsed if prefix is None else prefix[0]
            record, end = fastavro.schemaless_reader(stream, parsed, None), stream.tell()
    except Exception as exc:  # EOFError, IndexError, UnicodeDecodeError, struct.error, ...
        raise DecodeError(
            f"body does not match schema {writer.name or '?'} ({type(exc).__name__}: {exc})",
            offset=start,
        ) from None
    if not isinstance(record, dict):
        raise DecodeError(f"schema {writer.name or '?'} is not a record schema", offset=start)
    return record, end


# -- the records of an Avro object container file ---------------------------------------
def _container_records(data: bytes, cache: SchemaCache, detail: Detail) -> Iterator[DecodedRecord]:
    """Records of an Avro object container file, schema taken from the cache.

    A file damaged at its end (a short last block, a truncated sync marker)
    still gives every record before the damage, then a ``DamagedInput`` saying
    what is missing. A file holding one alert (ZTF's Kafka messages) is its
    packet; a record of a file holding many is a schemaless body.
    """
    writer, blocks = open_container(data, cache)
    read = 0
    try:
        for block in blocks:
            if read == 0 and block.count == 1 and block.last:  # one alert: the file
                packet = Packet(data, Framing.CONTAINER, writer)
                if _detail_read(writer, detail) is Detail.TABLE:
                    yield _read_table_fields(block.payload, block.begin, packet, block.start)
                    return
                yield from _block_records(block, writer, detail, 0, packet)
                return
            detail = Detail.FULL if detail is Detail.TABLE else detail
            for decoded in _block_records(block, writer, detail, read, None):
                yield decoded
                read += 1
    except Truncated as exc:
        if read == 0:  # nothing to show: the file failed
            raise DecodeError(exc.reason, offset=exc.offset) from None
        raise DamagedInput(
            f"damaged after {read} complete record{'s' if read != 1 else ''}, which were read "
            f"({exc.reason})",
            offset=exc.offset,
        ) from None


def _block_records(
    block: Block, writer: WriterSchema, detail: Detail, index: int, whole: Packet | None
) -> Iterator[DecodedRecord]:
    """The records of one block; ``whole`` is the file's packet when it is this one alert."""
    detail = _detail_read(writer, detail)
    pos = block.begin
    for _ in range(block.count):
        try:
            record, end = _read_record(block.payload, pos, writer, detail)
        except DecodeError as exc:
            if block.missing:  # the file ends inside this record
                raise block.truncated_in(index) from None
            raise DecodeError(f"record {index}: {exc.reason}", offset=block.start) from None
        if block.missing and end > block.end:
            raise block.truncated_in(index)
        packet = (
            whole
            if whole is not None
            else Packet(block.payload[pos:end], Framing.SCHEMALESS, writer)
        )
        yield DecodedRecord(record, packet, index, block.start, detail)
        pos = end
        index += 1
    if pos < block.end and not block.missing:
        raise DecodeError(
            f"block holds {block.end - pos} bytes after its {block.count} records",
            offset=block.start,
        )
    if pos > block.end:
        raise DecodeError(f"its {block.count} records run past their block", offset=block.start)
