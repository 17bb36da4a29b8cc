"""Download a ZTF public nightly archive, resumably, optionally extracting as it comes.

ZTF publishes ``{base}/ztf_public_YYYYMMDD.tar.gz`` each night (often tens of
GB). A partial download is kept as ``NAME.part`` and resumed with an HTTP
Range request; the final size is checked against Content-Length. With
``extract_to`` the alert files are written out while the archive streams in.
"""

from __future__ import annotations

import re
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from alertview.core.errors import AlertViewError

DEFAULT_BASE_URL = "https://ztf.uw.edu/alerts/public"
CHUNK = 1024 * 1024
#: A night without public alerts still gets an archive: a tar.gz of a few hundred bytes.
EMPTY_NIGHT_BYTES = 4096

Progress = Callable[[int, int | None], None]


class DownloadError(AlertViewError):
    """A download that could not be completed, with what to do about it."""


@dataclass
class DownloadResult:
    path: Path
    size: int
    resumed_from: int
    extracted: int
    empty_night: bool


def archive_url(night_or_url: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The URL of a night's archive; NIGHT is YYYYMMDD or YYYY-MM-DD."""
    if "://" in night_or_url:
        return night_or_url
    digits = night_or_url.replace("-", "")
    if not re.fullmatch(r"\d{8}", digits):
        raise DownloadError(f"{night_or_url!r} is neither a night (YYYYMMDD) nor a URL")
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise DownloadError(f"{night_or_url!r} is not a valid date") from None
    return f"{base_url.rstrip('/')}/ztf_public_{digits}.tar.gz"


class _Tee:
    """Reads the part already on disk, then the network, saving what the network gives."""

    def __init__(
        self,
        local: BinaryIO | None,
        remote: BinaryIO,
        sink: BinaryIO,
        progress: Callable[[int], None],
    ) -> None:
        self.local, self.remote, self.sink, self.progress = local, remote, sink, progress

    def read(self, size: int = -1) -> bytes:
        if self.local is not None:
            data = self.local.read(size)
            if data:
                return data
            self.local = None
        data = self.remote.read(CHUNK if size is None or size < 0 else size)
        if data:
            self.sink.write(data)
            self.progress(len(data))
        return data


def download(
    url: str,
    dest: Path,
    *,
    extract_to: Path | None = None,
    progress: Progress | None = None,
    timeout: float = 60,
) -> DownloadResult:
    """Fetch ``url`` into folder ``dest``, resuming a ``.part`` file if one is there."""
    dest.mkdir(parents=True, exist_ok=True)
    name = url.rstrip("/").rsplit("/", 1)[-1] or "download"
    final, part = dest / name, dest / f"{name}.part"
    if final.exists() and extract_to is None:
        size = final.stat().st_size
        return DownloadResult(final, size, size, 0, size < EMPTY_NIGHT_BYTES)
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "AlertView"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to fetch: the part is whole
            part.replace(final)
            return _finish(final, have, have, 0)
        if exc.code == 404:
            raise DownloadError(
                f"no archive at {url} (HTTP 404): ZTF publishes one per night; check the date"
            ) from None
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {url}: {reason}") from None
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored the range: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        done = have
        report = progress or (lambda _done, _total: None)
        report(done, total)

        def advance(n: int) -> None:
            nonlocal done
            done += n
            report(done, total)

        extracted = 0
        try:
            with part.open("ab" if have else "wb") as sink:
                if extract_to is None:
                    while chunk := response.read(CHUNK):
                        sink.write(chunk)
                        advance(len(chunk))
                else:
                    local = part.open("rb") if have else None
                    try:
                        tee = _Tee(local, response, sink, advance)
                        extracted = _extract_stream(tee, extract_to)
                        while tee.read(CHUNK):  # the gzip trailer and tar padding
                            pass
                    finally:
                        if local is not None:
                            local.close()
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise DownloadError(
                f"connection lost after {done} of {total or '?'} bytes ({exc}); "
                "run the same command again to resume"
            ) from None
    if total is not None and done != total:
        raise DownloadError(
            f"incomplete: {done} of {total} bytes; run the same command again to resume"
        )
    part.replace(final)
    return _finish(final, done, have, extracted)


def _finish(path: Path, size: int, resumed_from: int, extracted: int) -> DownloadResult:
    return DownloadResult(path, size, resumed_from, extracted, size < EMPTY_NIGHT_BYTES)


def _extract_stream(stream: _Tee, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(fileobj=stream, mode="r|*") as archive:  # type: ignore[call-overload]
        for member in archive:
            if not member.isfile():
                continue
            data = archive.extractfile(member)
            if data is None:
                continue
            target = folder / Path(member.name).name  # never outside the folder
            target.write_bytes(data.read())
            count += 1
    return count
