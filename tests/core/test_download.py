"""Download against a local HTTP server: progress, resume after a cut, errors, extract."""

from __future__ import annotations

import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.download import DownloadError, archive_url, download
from alertview.core.errors import DecodeError
from tests.conftest import SHARED, ZTF_FILES


def make_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in [*ZTF_FILES, SHARED / "fink" / "avro_multi_alerts.avro"]:
            archive.add(path, arcname=path.name)
    return buffer.getvalue()


class _Archive(BaseHTTPRequestHandler):
    """Serves one file with Range support; can cut the connection once, midway."""

    files: ClassVar[dict[str, bytes]] = {}
    cut_at: ClassVar[int | None] = None
    ranges: ClassVar[list[str | None]] = []

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.files:
            self.send_error(404)
            return
        data = self.files[name]
        requested = self.headers.get("Range")
        self.ranges.append(requested)
        start = int(requested.split("=")[1].split("-")[0]) if requested else 0
        if start >= len(data):
            self.send_error(416)
            return
        self.send_response(206 if requested else 200)
        if requested:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if _Archive.cut_at is not None:
            body = body[: _Archive.cut_at]
            _Archive.cut_at = None
            self.wfile.write(body)
            self.wfile.flush()
            self.connection.shutdown(2)  # the connection drops mid-file
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Archive.files = {"ztf_public_20180426.tar.gz": make_archive()}
    _Archive.cut_at = None
    _Archive.ranges = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Archive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/alerts/public"
    httpd.shutdown()
    httpd.server_close()


def test_night_to_url():
    assert archive_url("2018-04-26", "https://x/y/") == "https://x/y/ztf_public_20180426.tar.gz"
    assert archive_url("http://h/a.tar.gz") == "http://h/a.tar.gz"
    with pytest.raises(DownloadError, match="not a valid date"):
        archive_url("20181340")
    with pytest.raises(DownloadError, match="neither a night"):
        archive_url("yesterday")


def test_download_with_progress(server, tmp_path):
    seen = []
    result = download(
        archive_url("20180426", server), tmp_path, progress=lambda d, t: seen.append((d, t))
    )
    data = _Archive.files["ztf_public_20180426.tar.gz"]
    assert result.path.read_bytes() == data and result.size == len(data)
    assert seen[-1] == (len(data), len(data)) and not result.empty_night
    alerts = [
        a for a in read_alerts([result.path], SchemaCache()) if not isinstance(a, DecodeError)
    ]
    assert len(alerts) == len(ZTF_FILES) + 11


def test_cut_connection_then_resume(server, tmp_path):
    url = archive_url("20180426", server)
    data = _Archive.files["ztf_public_20180426.tar.gz"]
    _Archive.cut_at = len(data) // 3
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        download(url, tmp_path)
    part = tmp_path / "ztf_public_20180426.tar.gz.part"
    assert part.stat().st_size == len(data) // 3
    result = download(url, tmp_path)
    assert result.resumed_from == len(data) // 3
    assert _Archive.ranges[-1] == f"bytes={len(data) // 3}-"
    assert result.path.read_bytes() == data and not part.exists()


def test_extract_while_downloading_and_after_a_cut(server, tmp_path):
    url = archive_url("20180426", server)
    data = _Archive.files["ztf_public_20180426.tar.gz"]
    _Archive.cut_at = len(data) // 2
    target = tmp_path / "alerts"
    with pytest.raises(DownloadError):
        download(url, tmp_path, extract_to=target)
    result = download(url, tmp_path, extract_to=target)
    assert result.extracted == len(ZTF_FILES) + 1
    assert {p.name for p in target.iterdir()} == {p.name for p in ZTF_FILES} | {
        "avro_multi_alerts.avro"
    }
    assert (target / ZTF_FILES[0].name).read_bytes() == ZTF_FILES[0].read_bytes()


def test_missing_night_and_unreachable_host(server, tmp_path):
    with pytest.raises(DownloadError, match=r"HTTP 404\): ZTF publishes one per night"):
        download(archive_url("20180427", server), tmp_path)
    with pytest.raises(DownloadError, match="cannot reach"):
        download("http://127.0.0.1:1/ztf_public_20180426.tar.gz", tmp_path, timeout=5)


def test_empty_night(server, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz"):
        pass
    _Archive.files["ztf_public_20190101.tar.gz"] = buffer.getvalue()
    result = download(archive_url("20190101", server), tmp_path)
    assert result.empty_night
