"""The structure of an Avro object container file: header, blocks, sync markers.

What lies between the records (``packets`` reads the records themselves).
The header is parsed here rather than with ``fastavro.reader`` so that the
schema is looked up in the :class:`SchemaCache` instead of being parsed again
for every message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from alertview.core.avro.codecs import CODECS
from alertview.core.avro.schemas import SchemaCache, WriterSchema
from alertview.core.errors import DecodeError

CONTAINER_MAGIC = b"Obj\x01"
_SYNC_SIZE = 16
#: Records in one container block beyond which the count is corrupt unless the
#: block has as many bytes (an alert record takes hundreds of bytes at least).
_MAX_RECORDS_PER_BLOCK = 100_000


class Truncated(DecodeError):
    """The bytes end before what they announce: what came before may still be read."""


class Cursor:
    """Reads Avro's primitive encodings from a buffer, with offsets for errors."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def long(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data):
                raise Truncated("truncated (in a varint)", offset=self.pos)
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
            raise Truncated(
                f"truncated: {size} bytes expected, {len(self.data) - start} left", offset=start
            )
        self.pos = start + size
        return start

    def take(self, size: int) -> bytes:
        start = self.skip(size)
        return self.data[start : start + size]


@dataclass(frozen=True, slots=True)
class Block:
    start: int  #: offset of the block in the file
    count: int  #: records it announces
    payload: bytes  #: the file itself (null codec: read in place) or the decompressed block
    begin: int  #: where its records begin in ``payload``
    end: int  #: and end
    #: Bytes of this block missing at the end of the file: only the records that
    #: fit before the end are real.
    missing: int = 0
    #: Nothing follows it in the file (its sync marker included).
    last: bool = False

    def truncated_in(self, index: int) -> Truncated:
        return Truncated(
            f"truncated: the file ends inside record {index}, {self.missing} bytes short of "
            f"its last block's end",
            offset=self.end,
        )


def open_container(data: bytes, cache: SchemaCache) -> tuple[WriterSchema, Iterator[Block]]:
    """The writer schema of a container file, and its blocks (read as they are asked for).

    Blocks come one at a time, so a file damaged at its end (a short last
    block, a truncated sync marker) still gives every block before the
    damage, then ``Truncated``.
    """
    known = cache.known_header(data)
    if known is not None:  # ZTF: every message repeats the same header (but its sync)
        writer, codec, end = known
        cursor = Cursor(data, end)
        sync = cursor.take(_SYNC_SIZE)
    else:
        cursor = Cursor(data)
        meta, sync = _read_header(cursor)
        if "avro.schema" not in meta:
            raise DecodeError("container header has no avro.schema", offset=0)
        writer = cache.from_text(meta["avro.schema"], origin="container header")
        codec = meta.get("avro.codec", b"null").decode("ascii", "replace") or "null"
        cache.remember_header(data[: cursor.pos - _SYNC_SIZE], writer, codec)
    decompress = CODECS.get(codec)
    if decompress is None:
        raise DecodeError(f"container codec {codec!r} is not supported", offset=0)
    return writer, _blocks(cursor, data, sync, codec, decompress)


def container_schema(data: bytes, cache: SchemaCache) -> WriterSchema:
    """The writer schema in a container file's header (its blocks are not read)."""
    try:
        return open_container(data, cache)[0]
    except Truncated as exc:
        raise DecodeError(exc.reason, offset=exc.offset) from None


def _read_header(cursor: Cursor) -> tuple[dict[str, bytes], bytes]:
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


def _blocks(
    cursor: Cursor, data: bytes, sync: bytes, codec: str, decompress: Callable
) -> Iterator[Block]:
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
            except Truncated:
                yield Block(start, count, data, begin, len(data), begin + size - len(data))
                raise Truncated(
                    f"truncated: the last block lacks {begin + size - len(data)} of its "
                    f"{size} bytes",
                    offset=len(data),
                ) from None
            payload, end = data, begin + size
        else:
            payload = decompress(cursor.take(size), start)
            begin, end = 0, len(payload)
        if len(data) - cursor.pos < _SYNC_SIZE:  # records complete, sync marker cut
            yield Block(start, count, payload, begin, end, last=cursor.pos == len(data))
            cursor.take(_SYNC_SIZE)
        if cursor.take(_SYNC_SIZE) != sync:
            raise DecodeError("sync marker mismatch after a block", offset=cursor.pos - _SYNC_SIZE)
        yield Block(start, count, payload, begin, end, last=cursor.pos == len(data))
