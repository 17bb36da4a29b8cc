"""A Confluent-compatible schema registry for the tests, over real HTTP on 127.0.0.1.

It answers ``GET /schemas/ids/{id}`` from the schemas ``lsst-alert-packet``
ships (id MAJOR*100+MINOR, as Rubin's registry) and from extra ids the test
adds, e.g. a copy of v10 under an id the package does not know, which the
stream can then decode only by asking the registry. Every id asked is
recorded, so a test can assert the registry was really called.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import fastavro.schema

from alertview.core.avro.schemas import lsst_package_root

#: An id Rubin's scheme never gives (MAJOR*100+MINOR), holding a copy of v10.0.
UNKNOWN_TO_PACKAGE = 9999


def lsst_schema(schema_id: int) -> dict | None:
    major, minor = divmod(schema_id, 100)
    root = lsst_package_root()
    path = root / str(major) / str(minor) / f"lsst.v{major}_{minor}.alert.avsc" if root else None
    if path is None or not path.is_file():
        return None
    return fastavro.schema.load_schema(str(path), _write_hint=False)


class TestRegistry:
    """Use as a context manager; ``url`` is where it listens, ``asked`` the ids asked for."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, extra: Mapping[int, Any] | None = None, credentials: str | None = None
    ) -> None:
        self.extra = dict(extra or {UNKNOWN_TO_PACKAGE: lsst_schema(1000)})
        self.asked: list[int] = []
        self.refused = 0
        self._auth = (
            "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        )
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        if self._auth is not None and request.headers.get("Authorization") != self._auth:
            self.refused += 1
            self._send(request, 401, {"error_code": 40101, "message": "Unauthorized"})
            return
        parts = request.path.rstrip("/").split("/")
        if len(parts) < 4 or parts[1:3] != ["schemas", "ids"] or not parts[3].isdigit():
            self._send(request, 404, {"error_code": 404, "message": "not found"})
            return
        schema_id = int(parts[3])
        self.asked.append(schema_id)
        schema = self.extra.get(schema_id) or lsst_schema(schema_id)
        if schema is None:
            self._send(request, 404, {"error_code": 40403, "message": "Schema not found"})
        else:
            self._send(request, 200, {"schema": json.dumps(schema)})

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def __enter__(self) -> TestRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
