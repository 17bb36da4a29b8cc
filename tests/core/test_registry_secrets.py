"""A schema registry behind HTTP Basic auth: credentials from the URL reach the server
as auth, never appear in an error message, whatever the HTTP library writes."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from alertview.core.avro.registry import BASIC_AUTH, RegistryClient, registry_config
from alertview.core.errors import SchemaNotFound

SCHEMA = json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})
GOOD = "Basic " + base64.b64encode(b"alice:s3cr:et").decode()


class _AuthRegistry(BaseHTTPRequestHandler):
    """GET /schemas/ids/1 for alice only; a 401 repeats what it was sent, as some
    proxies do, so the client's exception text carries the credentials."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self):
        auth = self.headers.get("Authorization")
        self.seen.append(auth)
        if auth == GOOD:
            status, body = 200, {"schema": SCHEMA}
        elif self.path.endswith("/500"):
            status, body = 500, {"error_code": 50001, "message": f"boom at {self.path}"}
        else:
            status, body = 401, {"error_code": 40101, "message": f"refused {auth}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _AuthRegistry.seen.clear()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_credentials_in_url_become_basic_auth(port):
    # "%3A": a colon inside the password, percent-encoded in the URL
    client = RegistryClient(f"http://alice:s3cr%3Aet@127.0.0.1:{port}")
    assert json.loads(client.schema_text(1)) == json.loads(SCHEMA)
    assert _AuthRegistry.seen == [GOOD]
    assert client.url == f"http://***@127.0.0.1:{port}"
    # the URL the HTTP library requests (and logs) holds no credentials
    assert client._client._rest_client.base_urls == [f"http://127.0.0.1:{port}"]


def test_registry_config_keeps_given_credentials():
    settings = registry_config("https://bob:other@reg", {BASIC_AUTH: "alice:pw", "x": 1})
    assert settings == {"url": "https://reg", BASIC_AUTH: "alice:pw", "x": 1}
    assert registry_config("https://reg/") == {"url": "https://reg/"}


def test_refused_credentials_not_echoed(port):
    client = RegistryClient(f"http://alice:wr0ngpass@127.0.0.1:{port}")
    with pytest.raises(SchemaNotFound) as caught:
        client.schema_text(1)
    message = str(caught.value)
    sent = base64.b64encode(b"alice:wr0ngpass").decode()
    assert _AuthRegistry.seen == [f"Basic {sent}"]  # the server did echo it back
    assert "wr0ngpass" not in message and sent not in message
    assert f"schema registry http://***@127.0.0.1:{port} failed for id 1" in message
    assert "401" in message


def test_unreachable_registry_message_has_no_password(port):
    client = RegistryClient("http://alice:s3cret@127.0.0.1:1", {"max.retries": 0})
    with pytest.raises(SchemaNotFound, match=r"http://\*\*\*@127\.0\.0\.1:1 unreachable") as e:
        client.schema_text(1)
    assert "s3cret" not in str(e.value)


def test_invalid_url_message_redacted():
    """confluent-kafka's "Invalid url ..." repeats the URL, query secrets and all."""
    with pytest.raises(SchemaNotFound) as caught:
        RegistryClient("ftp://alice:s3cret@reg.example.org/?token=t0ken")
    message = str(caught.value)
    assert "Invalid url" in message and "reg.example.org" in message
    assert "s3cret" not in message and "t0ken" not in message
