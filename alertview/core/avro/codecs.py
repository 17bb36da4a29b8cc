"""Decompression bounded in the bytes it produces: gzipped packets and container blocks.

A packet of a few MB can inflate to gigabytes (a gzip member of zeros, a
second member after the first, a deflate or xz container block): every codec
here streams its output in chunks and stops at a cap counted in output
bytes, so a hostile or corrupt packet costs at most the cap, never the
machine. Failures are ``DecodeError``s naming the codec and the offset.
"""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import zlib
from collections.abc import Callable
from typing import Any

from alertview.core.errors import DecodeError

GZIP_MAGIC = b"\x1f\x8b"
#: A whole gzipped packet or file (all its members, and gzip inside gzip, together).
MAX_INFLATED_BYTES = 512 * 1024 * 1024
#: One block of an Avro container file (writers use KB to a few MB).
MAX_BLOCK_BYTES = 256 * 1024 * 1024
_CHUNK = 16 * 1024 * 1024
#: gzip inside gzip inside gzip is the most a real packet was ever seen wrapped in.
_MAX_GZIP_LAYERS = 3


def _too_large(what: str, limit: int, offset: int) -> DecodeError:
    return DecodeError(f"{what} inflates past {limit // 2**20} MB: refused", offset=offset)


class _Output:
    """Chunks gathered with a running total checked against the cap."""

    def __init__(self, what: str, limit: int, offset: int) -> None:
        self.buffer = io.BytesIO()
        self.size = 0
        self.what, self.limit, self.offset = what, limit, offset

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.what, self.limit, self.offset)
        self.buffer.write(chunk)

    def value(self) -> bytes:
        return self.buffer.getvalue()  # no copy: BytesIO hands over its buffer


def _inflate_member(data: bytes, wbits: int, out: _Output) -> bytes:
    """One zlib stream (gzip member or raw deflate) into ``out``; returns what follows it."""
    inflater = zlib.decompressobj(wbits=wbits)
    pending = data
    while not inflater.eof:
        try:  # in pieces of 1/64 of the cap: what a bomb costs stays close to the cap
            chunk = inflater.decompress(pending, min(_CHUNK, max(2**20, out.limit // 64)))
        except zlib.error as exc:
            raise DecodeError(f"broken {out.what} ({exc})", offset=out.offset) from None
        pending = inflater.unconsumed_tail
        if not chunk and not pending:
            raise DecodeError(f"truncated {out.what}", offset=out.offset + len(data))
        out.add(chunk)
    return inflater.unused_data


def gunzip(data: bytes, limit: int = MAX_INFLATED_BYTES, what: str = "gzip data") -> bytes:
    """A gzipped packet, file or stamp: all its members, and gzip within gzip, within
    ``limit`` bytes; ``what`` names it in errors."""
    for _ in range(_MAX_GZIP_LAYERS):
        out = _Output(what, limit, 0)
        rest = data
        while rest[:2] == GZIP_MAGIC:  # concatenated members, counted together
            rest = _inflate_member(rest, 31, out)
        data = out.value()
        if data[:2] != GZIP_MAGIC:
            return data
    raise DecodeError(f"{what}: gzip nested more than {_MAX_GZIP_LAYERS} deep", offset=0)


# -- container block codecs: (block, its offset) -> payload -----------------------------
def _null(block: bytes, _offset: int) -> bytes:
    return block


def _deflate(block: bytes, offset: int) -> bytes:
    out = _Output("deflate block", MAX_BLOCK_BYTES, offset)
    _inflate_member(block, -15, out)
    return out.value()


def _snappy(block: bytes, offset: int) -> bytes:
    """Avro's snappy: a raw snappy block (its decoded size first) then a CRC32."""
    import cramjam  # fastavro's own snappy backend

    size, shift, pos = 0, 0, 0
    while pos < min(len(block), 5):  # the decoded size, a varint of at most 5 bytes
        size |= (block[pos] & 0x7F) << shift
        shift += 7
        pos += 1
        if not block[pos - 1] & 0x80:
            break
    if size > MAX_BLOCK_BYTES:
        raise _too_large("snappy block", MAX_BLOCK_BYTES, offset)
    if len(block) < 4:
        raise DecodeError("truncated snappy block", offset=offset)
    try:
        out = bytes(cramjam.snappy.decompress_raw(block[:-4]))
    except Exception as exc:  # cramjam.DecompressionError is not importable by name
        raise DecodeError(f"broken snappy block ({exc})", offset=offset) from None
    if struct.unpack(">I", block[-4:])[0] != zlib.crc32(out):
        raise DecodeError("snappy block fails its CRC32 check", offset=offset)
    return out


def _streaming(make: Callable[[], Any], what: str) -> Callable[[bytes, int], bytes]:
    """A codec of the standard library's decompressor kind (bz2, lzma)."""

    def decompress(block: bytes, offset: int) -> bytes:
        decompressor = make()
        out = _Output(what, MAX_BLOCK_BYTES, offset)
        pending = block
        try:
            while not decompressor.eof:
                chunk = decompressor.decompress(pending, _CHUNK)
                pending = b""
                if not chunk and decompressor.needs_input:
                    raise DecodeError(f"truncated {what}", offset=offset)
                out.add(chunk)
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            raise DecodeError(f"broken {what} ({exc})", offset=offset) from None
        return out.value()

    return decompress


def _zstandard(block: bytes, offset: int) -> bytes:
    try:
        import zstandard
    except ImportError:
        raise DecodeError(
            "container codec 'zstandard' needs the zstandard package (pip install zstandard)",
            offset=offset,
        ) from None
    out = _Output("zstandard block", MAX_BLOCK_BYTES, offset)
    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(block)) as reader:
            while chunk := reader.read(_CHUNK):
                out.add(chunk)
    except zstandard.ZstdError as exc:
        raise DecodeError(f"broken zstandard block ({exc})", offset=offset) from None
    return out.value()


#: Avro container codecs by their ``avro.codec`` name.
CODECS: dict[str, Callable[[bytes, int], bytes]] = {
    "null": _null,
    "deflate": _deflate,
    "snappy": _snappy,
    "bzip2": _streaming(bz2.BZ2Decompressor, "bzip2 block"),
    "xz": _streaming(lzma.LZMADecompressor, "xz block"),
    "zstandard": _zstandard,
}
