"""Where alert bytes come from on disk: files, .gz files, folders, tar archives.

Archives such as ZTF's nightly ``ztf_public_YYYYMMDD.tar.gz`` (tens of GB)
are streamed member by member and never unpacked to disk. What a file is,
is decided from its bytes, not its name.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import os
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alertview.core.avro.codecs import GZIP_MAGIC
from alertview.core.errors import DecodeError

log = logging.getLogger(__name__)

_TAR_MAGIC_OFFSET = 257
#: An archive member larger than this is not an alert packet (ZTF's are ~60 KB,
#: Rubin's ~100 KB, a Fink file of many alerts some MB): it is reported, not read.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
#: Compressed files that may hold a tar archive, by their magic bytes.
_COMPRESSED: dict[bytes, Callable[..., Any]] = {
    GZIP_MAGIC: gzip.open,
    b"\xfd7zXZ\x00": lzma.open,
    b"BZh": bz2.open,
}
#: Separates an archive's path from a member's name in a source name.
MEMBER_SEPARATOR = "!"


@dataclass(frozen=True, slots=True)
class Blob:
    """The bytes of one file or archive member, with a name for messages."""

    source: str
    data: bytes


def _is_tar_block(head: bytes) -> bool:
    return head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar"


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip()[:1] in (b"{", b"[")


def _looks_like_text(head: bytes) -> bool:
    """Readable text (README, schema JSON, CSV): never an Avro packet, which has control bytes."""
    text = head.decode("utf-8", "ignore")
    return bool(head) and all(c.isprintable() or c in "\t\r\n" for c in text)


def iter_blobs(paths: Iterable[str | os.PathLike]) -> Iterator[Blob | DecodeError]:
    """Blobs of every path given; a path that cannot be read yields a DecodeError,
    and so does one that fails in a way nobody foresaw: the next path is still read."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _iter_folder(path)
        else:
            yield from _isolated(_iter_file(path, explicit=True), str(path))


def _isolated(blobs: Iterator[Blob | DecodeError], source: str) -> Iterator[Blob | DecodeError]:
    try:
        yield from blobs
    except Exception as exc:
        log.debug("reading %s failed", source, exc_info=True)
        yield DecodeError.internal(exc, source)


def _iter_folder(folder: Path) -> Iterator[Blob | DecodeError]:
    for root, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = Path(root) / name
                yield from _isolated(_iter_file(path, explicit=False), str(path))


def _iter_file(path: Path, explicit: bool) -> Iterator[Blob | DecodeError]:
    source = str(path)
    try:
        with path.open("rb") as stream:
            head = stream.read(512)
            opener = next((o for m, o in _COMPRESSED.items() if head.startswith(m)), None)
            if opener is not None:
                with opener(path, "rb") as inner:
                    is_tar = _is_tar_block(inner.read(512))
            else:
                is_tar = _is_tar_block(head)
        if is_tar:
            yield from _iter_tar(path)
            return
        if not explicit and _looks_like_text(head):
            return  # schemas and READMEs sit next to data files in Fink and archive dumps
        if explicit and _looks_like_json(head):
            yield DecodeError(
                "this is JSON (an Avro schema?), not an alert packet; give schemas with --schema",
                source,
            )
            return
        yield Blob(source, path.read_bytes())
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:  # BadGzipFile: OSError
        yield DecodeError(f"cannot read ({getattr(exc, 'strerror', None) or exc})", source)


def _iter_tar(path: Path) -> Iterator[Blob | DecodeError]:
    """Members of a (compressed) tar archive, read as one stream."""
    member_name = None
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isfile() or Path(member.name).name.startswith("."):
                    continue
                member_name = member.name
                if member.size > MAX_MEMBER_BYTES:
                    yield DecodeError(
                        f"{member.size} bytes, larger than any alert packet "
                        f"({MAX_MEMBER_BYTES // 2**20} MB): not read",
                        f"{path}{MEMBER_SEPARATOR}{member.name}",
                    )
                    continue
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                data = extracted.read(MAX_MEMBER_BYTES)
                if _looks_like_text(data[:512]):
                    continue
                yield Blob(f"{path}{MEMBER_SEPARATOR}{member.name}", data)
    except (OSError, EOFError, tarfile.TarError, zlib.error, lzma.LZMAError) as exc:
        after = f" after member {member_name}" if member_name else ""
        yield DecodeError(f"archive unreadable{after} ({exc})", str(path))
