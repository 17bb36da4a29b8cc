"""Messages in every framing a stream carries decode to the same Alert as files."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.encode import (
    confluent_frame,
    container_file,
    rubin_native_record,
    schemaless_body,
)
from alertview.core.avro.packets import Framing
from alertview.core.avro.schemas import SchemaCache, lsst_published_versions
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.renumber import renumbered
from alertview.core.surveys import to_alert
from tests.conftest import (
    FINK_LSST_TRANSFER,
    FINK_ZTF_MULTI,
    SHARED,
    ZTF_FILES,
    ZTF_TRANSFER_SCHEMA,
    raw_records,
)
from tests.core.helpers import assert_same_alert, conform

RUBIN_V10 = 1000


def file_alerts(path, cache):
    return list(read_alerts([path], cache))


def one(data, cache, **kwargs):
    (alert,) = decode_bytes(data, cache, origin=Origin("message"), **kwargs)
    return alert


def test_lsst_alert_packet_ships_v7_to_v11():
    versions = lsst_published_versions()
    for wanted in [(7, 0), (7, 4), (8, 0), (9, 0), (10, 0), (11, 0)]:
        assert wanted in versions


def test_schema_id_is_major_times_100_plus_minor(cache):
    assert cache.by_id(704).name == "lsst.v7_4.alert"
    assert cache.by_id(1100).name == "lsst.v11_0.alert"


def test_rubin_confluent_frames_decode_like_the_file(cache):
    expected = file_alerts(FINK_LSST_TRANSFER, cache)
    schema = cache.by_id(RUBIN_V10)
    for raw, want in zip(raw_records(FINK_LSST_TRANSFER), expected, strict=True):
        message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), RUBIN_V10)
        assert message[0] == 0 and message[1:5] == b"\x00\x00\x03\xe8"
        got = one(message, cache)
        assert got.packet.framing is Framing.CONFLUENT and got.packet.data == message
        assert got.packet.schema is schema
        assert_same_alert(got, want)


@pytest.mark.parametrize("schema_id", [900, 1100, 1101])
def test_rubin_other_schema_versions(cache, schema_id):
    raw = raw_records(FINK_LSST_TRANSFER)[1]
    schema = cache.by_id(schema_id)
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), schema_id)
    alert = one(message, cache)
    major, minor = divmod(schema_id, 100)
    assert alert.schema_label == f"lsst {major}.{minor}"
    assert alert.alert_id == raw["diaSourceId"]


def test_ztf_container_per_message_is_the_file_itself(cache):
    for path in ZTF_FILES:
        data = path.read_bytes()
        got = one(data, cache)
        assert got.packet.data == data and got.packet.framing is Framing.CONTAINER
        assert_same_alert(got, file_alerts(path, cache)[0])


@pytest.mark.parametrize("path", [FINK_ZTF_MULTI, FINK_LSST_TRANSFER], ids=lambda p: p.name)
def test_fink_schema_in_key(cache, path):
    expected = file_alerts(path, cache)
    schema = expected[0].packet.schema
    key = schema.json.encode()
    for raw, want in zip(raw_records(path), expected, strict=True):
        body = schemaless_body(raw, schema)
        got = one(body, cache, key=key)
        assert got.packet.framing is Framing.FINK and got.packet.data == body
        assert_same_alert(got, want)
        # Fink's added fields survive, value for value (NaN-safe: compare encodings)
        assert set(got.record) == set(want.record)
        assert schemaless_body(got.record, schema) == body


def test_gzipped_messages(cache):
    path = ZTF_FILES[0]
    assert_same_alert(one(gzip.compress(path.read_bytes()), cache), file_alerts(path, cache)[0])
    raw = raw_records(FINK_LSST_TRANSFER)[0]
    schema = cache.by_id(RUBIN_V10)
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), RUBIN_V10)
    assert one(gzip.compress(message), cache).alert_id == raw["diaSourceId"]


def test_schemaless_body_with_user_schema_file(cache, tmp_path):
    schema_file = ZTF_TRANSFER_SCHEMA
    schema = cache.from_file(schema_file)
    raw = raw_records(SHARED / "fink" / "ztf-transfer" / "part-3-305711.avro")[3]
    body = schemaless_body(raw, schema)
    alert = one(body, cache, schema=schema)
    assert alert.packet.framing is Framing.SCHEMALESS and alert.alert_id == raw["candid"]


def test_each_schema_is_parsed_once(cache):
    data = ZTF_FILES[0].read_bytes()
    alerts = [one(data, cache) for _ in range(50)]
    assert len(cache) == 1
    assert len({id(a.packet.schema) for a in alerts}) == 1
    raw = raw_records(FINK_LSST_TRANSFER)[0]
    schema = cache.by_id(RUBIN_V10)
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), RUBIN_V10)
    assert {id(one(message, cache).packet.schema) for _ in range(20)} == {id(schema)}
    assert len(cache) == 2


def test_multi_record_containers_in_other_codecs(cache, tmp_path):
    raws = raw_records(FINK_ZTF_MULTI)
    expected = file_alerts(FINK_ZTF_MULTI, cache)
    schema = expected[0].packet.schema
    for codec in ("null", "deflate", "snappy"):
        path = tmp_path / f"multi-{codec}.bin"
        path.write_bytes(container_file(raws, schema, codec=codec))
        got = file_alerts(path, cache)
        assert len(got) == 11
        for a, b in zip(got, expected, strict=True):
            assert_same_alert(a, b)
            # each record's packet is its exact body, re-decodable alone
            assert one(a.packet.data, cache, schema=schema).alert_id == a.alert_id


class _Registry(BaseHTTPRequestHandler):
    """A tiny Confluent-compatible registry: GET /schemas/ids/{id}."""

    schemas: ClassVar[dict[int, str]] = {}
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        self.requests.append(self.path)
        schema_id = int(self.path.rstrip("/").split("/")[-1].split("?")[0])
        if schema_id not in self.schemas:
            body = json.dumps({"error_code": 40403, "message": "Schema not found"}).encode()
            self.send_response(404)
        else:
            body = json.dumps({"schema": self.schemas[schema_id]}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_schema_from_registry_over_http(registry):
    offline = SchemaCache()
    v10 = offline.by_id(RUBIN_V10)
    _Registry.schemas = {4242: v10.json}  # a registry may number schemas its own way
    _Registry.requests.clear()
    cache = SchemaCache(
        registry_url=f"http://127.0.0.1:{registry.server_address[1]}", use_lsst_package=False
    )
    raw = raw_records(FINK_LSST_TRANSFER)[2]
    message = confluent_frame(schemaless_body(rubin_native_record(raw), v10), 4242)
    for _ in range(5):
        alert = one(message, cache)
    assert alert.alert_id == raw["diaSourceId"]
    assert alert.packet.schema.origin.startswith("http://127.0.0.1")
    assert len([r for r in _Registry.requests if "4242" in r]) == 1  # fetched once
    unknown = confluent_frame(b"\x02", 77)
    with pytest.raises(Exception, match="unknown schema id 77"):
        one(unknown, cache)


@pytest.mark.parametrize("version", [(3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (7, 4), (8, 0)])
def test_older_rubin_schema_versions(cache, version):
    """Real v10 alerts rewritten in each older schema decode with the same values."""
    schema_id = version[0] * 100 + version[1]
    schema = cache.by_id(schema_id)
    raw = raw_records(FINK_LSST_TRANSFER)[1]
    record = conform(rubin_native_record(raw), schema.raw)
    alert = one(confluent_frame(schemaless_body(record, schema), schema_id), cache)
    source = raw["diaSource"]
    assert alert.schema_label == f"lsst {version[0]}.{version[1]}"
    assert alert.alert_id == source["diaSourceId"]
    assert (alert.ra, alert.dec, alert.mjd) == (
        source["ra"],
        source["dec"],
        source["midpointMjdTai"],
    )
    assert alert.band == source["band"]
    assert alert.flux == pytest.approx(source["psfFlux"])
    assert alert.n_history_detections == len(raw["prvDiaSources"])
    assert alert.cutouts["difference"] == raw["cutoutDifference"]
    # science cutouts arrived with v7
    assert ("science" in alert.cutouts) == (version >= (7, 0))


def test_a_packet_decodes_again_in_its_own_framing(cache):
    """``Packet.decode`` reads each framing back without recognising it again."""
    raw = raw_records(FINK_LSST_TRANSFER)[0]
    schema = cache.by_id(RUBIN_V10)
    fink = file_alerts(FINK_LSST_TRANSFER, cache)[0]
    alerts = [
        one(ZTF_FILES[0].read_bytes(), cache),  # container
        one(confluent_frame(schemaless_body(rubin_native_record(raw), schema), RUBIN_V10), cache),
        one(fink.packet.data, cache, key=fink.packet.schema.json.encode()),  # Fink
        fink,  # a record of a multi-record file: schemaless
    ]
    assert [a.packet.framing for a in alerts] == list(Framing)
    for alert in alerts:
        for detail in Detail:
            again = alert.packet.decode(detail, SchemaCache())
            assert again.packet.data == alert.packet.data
            assert again.record["diaSource" if "diaSource" in again.record else "candidate"]
        assert alert.packet.decode().record.keys() == alert.record.keys()


def test_a_renumbered_copy_keeps_its_framing(cache):
    """A looping replay's copies are framed as the real packet was (a Confluent frame
    keeps its zero byte and schema id)."""
    raw = raw_records(FINK_LSST_TRANSFER)[0]
    schema = cache.by_id(RUBIN_V10)
    message = confluent_frame(schemaless_body(rubin_native_record(raw), schema), RUBIN_V10)
    fink = file_alerts(FINK_LSST_TRANSFER, cache)[0]
    for alert in (one(ZTF_FILES[0].read_bytes(), cache), one(message, cache), fink):
        copy = renumbered(alert, 3)
        assert copy.alert_id == alert.alert_id + 3
        assert copy.packet.framing is alert.packet.framing
        again = copy.packet.decode(cache=cache)
        assert to_alert(again, copy.origin).alert_id == alert.alert_id + 3
        if alert.packet.framing is Framing.CONFLUENT:
            assert copy.packet.data[:5] == message[:5]
            assert one(copy.packet.data, cache).alert_id == alert.alert_id + 3
