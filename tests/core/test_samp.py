"""SAMP against a real hub (astropy's, in this process, its lockfile in a temporary
folder): what AlertView sends reaches a test client, and what the client sends comes
back as typed messages. ``SAMP_HUB`` and ``HOME`` point into ``tmp_path``, so a user's
own hub is never seen nor touched."""

from __future__ import annotations

import io
import queue
from urllib.parse import urlparse
from xml.etree import ElementTree

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from alertview.core.avro.schemas import SchemaCache
from alertview.core.cutouts import decode_cutout, gunzip
from alertview.core.decode import read_alerts
from alertview.core.samp import HighlightRow, PointAt, SampConnection, SampError
from alertview.core.samp.library import HUB_TIMEOUT, timed_proxy
from alertview.core.samp.matching import nearest_alert, separations
from alertview.core.samp.messages import (
    MTYPE_FITS,
    MTYPE_TABLE,
    SentTable,
    SentTables,
    image_message,
    point_at_params,
    selection_fields,
    table_message,
    write_cutouts,
    write_votable,
)
from alertview.core.samp.votable import Field
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE, raw_records
from tests.samp_hub import (
    TIMEOUT,
    Listener,
    SilentHub,
    file_of,
)


@pytest.fixture
def alertview(samp_env):
    """AlertView's connection; what it receives lands in ``alertview.received``."""
    received: queue.Queue = queue.Queue()
    connection = SampConnection(received.put)
    connection.received = received
    yield connection
    connection.disconnect()


@pytest.fixture(scope="module")
def alerts(tmp_path_factory):
    """One ZTF alert (gzipped stamps) and Rubin alerts (plain FITS), as the table holds them."""
    cache = SchemaCache()
    decoded = list(read_alerts([FINK_ZTF_SINGLE, FINK_LSST_TRANSFER], cache))
    assert decoded and all(not isinstance(a, Exception) for a in decoded)
    columns = AlertColumns()
    with AlertStore(tmp_path_factory.mktemp("store")) as store:
        store.add(decoded)
        columns.append_rows(store.rows())
    return decoded, columns


# -- connecting ---------------------------------------------------------------------------
def test_connects_to_the_running_hub_and_lists_its_tools(listener, alertview):
    alertview.connect()
    assert alertview.is_connected and not alertview.started_hub
    tools = alertview.clients()
    assert [c.name for c in tools] == ["Test viewer"]  # neither the hub nor AlertView
    assert [c.name for c in alertview.clients(MTYPE_TABLE)] == ["Test viewer"]
    assert alertview.clients("no.such.mtype") == []
    # the test client sees AlertView by its name
    names = [
        listener.client.get_metadata(c).get("samp.name")
        for c in listener.client.get_registered_clients()
    ]
    assert "AlertView" in names


def test_starts_a_hub_only_when_none_runs_and_stops_it_at_disconnect(samp_env, alertview):
    assert not samp_env.exists()
    alertview.connect()
    assert alertview.started_hub and samp_env.exists()
    # another tool finds AlertView's hub through the same lockfile
    other = Listener("Aladin")
    try:
        assert [c.name for c in alertview.clients()] == ["Aladin"]
        # leaving the hub but keeping it: the other tool is not cut off
        hub = alertview.hub
        alertview.disconnect(keep_hub=True)
        assert not alertview.is_connected and samp_env.exists()
        assert other.client.is_connected
        assert other.client.get_registered_clients() == ["cli#hub"]  # the hub answers; we left
        alertview.connect()  # registers on the hub it kept, starts no other
        assert alertview.hub is hub
        assert [c.name for c in alertview.clients()] == ["Aladin"]
    finally:
        other.client.disconnect()
    alertview.disconnect()
    assert not alertview.is_connected and not samp_env.exists()


def test_a_hub_that_cannot_be_started_is_one_line(samp_env, alertview, monkeypatch):
    monkeypatch.setenv("SAMP_HUB", "std-lockurl:http://127.0.0.1:9/lock")
    with pytest.raises(SampError) as failed:
        alertview.connect()
    assert "no SAMP hub answers at http://127.0.0.1:9/lock" in str(failed.value)
    assert "\n" not in str(failed.value) and not alertview.is_connected
    with pytest.raises(SampError, match="not connected"):
        alertview.notify("coord.pointAt.sky", point_at_params(1, 2))


def test_a_message_the_hub_refuses_is_one_line(listener, alertview):
    alertview.connect()
    (tool,) = alertview.clients()
    with pytest.raises(SampError) as failed:
        alertview.notify("no.such.mtype", {}, tool.client_id)
    text = str(failed.value)
    assert text.startswith("SAMP no.such.mtype not sent: ") and "\n" not in text
    assert "<class" not in text and len(text) > len("SAMP no.such.mtype not sent: ")


# -- sending ------------------------------------------------------------------------------
def test_votable_rows_and_units_reach_a_client(listener, alertview, alerts, tmp_path):
    decoded, columns = alerts
    alertview.connect()
    positions = np.arange(len(columns))[::-1]  # in table order, not arrival order
    fields = selection_fields(columns, positions)
    path = write_votable(fields, tmp_path / "t.xml", "av-1", "AlertView selection")
    sent_to = alertview.notify(MTYPE_TABLE, table_message(path, "av-1", "AlertView selection"))
    assert len(sent_to) == 1
    params = listener.next(MTYPE_TABLE)
    assert params["table-id"] == "av-1" and params["name"] == "AlertView selection"
    table = Table.read(file_of(params["url"]), format="votable")
    assert len(table) == len(decoded)
    expected = [decoded[int(p)] for p in positions]
    assert table["alert_id"].dtype == np.int64
    assert table["alert_id"].tolist() == [a.alert_id for a in expected]
    assert table["alert_id"][-1] == raw_records(FINK_ZTF_SINGLE)[0]["candid"]
    np.testing.assert_array_equal(table["ra"], [a.ra for a in expected])
    np.testing.assert_array_equal(table["dec"], [a.dec for a in expected])
    np.testing.assert_allclose(table["mjd"], [a.mjd for a in expected])
    # empty (and flagged null) where the alert has none (a Rubin source without object)
    assert [str(v) for v in table["object_id"]] == [a.object_id or "" for a in expected]
    assert table["n_detections"].dtype == np.int32
    units = {name: str(table[name].unit) for name in ("ra", "dec", "mjd", "mag", "flux")}
    assert units == {"ra": "deg", "dec": "deg", "mjd": "d", "mag": "mag", "flux": "nJy"}
    rubin = next(i for i, a in enumerate(expected) if a.survey != "ztf")
    assert table["flux"][rubin] == pytest.approx(expected[rubin].flux)
    votable_text = file_of(params["url"]).read_text()
    assert 'ucd="pos.eq.ra;meta.main"' in votable_text and 'ID="av-1"' in votable_text
    assert file_of(params["url"]).stat().st_mode & 0o077 == 0  # private to the user


def test_votable_of_awkward_values_reads_back_with_astropy(tmp_path):
    fields = [
        Field("id", np.array([2**62, -1], dtype=np.int64), None, "meta.id"),
        Field(
            'name <&">',
            np.array(["\u03b1-cen", ""], dtype=object),
            None,
            None,
            np.array([False, True]),
        ),
        Field("flux", np.array([1.5, np.nan]), "nJy", "phot.flux", np.array([False, True])),
        Field("n", np.array([3, 0], dtype=np.int32), None, None, np.array([False, True])),
    ]
    path = write_votable(fields, tmp_path / "a.xml", "t&1", "a <name>")
    table = Table.read(path, format="votable")
    names = [e.get("name") for e in ElementTree.parse(path).iter() if e.tag.endswith("FIELD")]
    assert names == ["id", 'name <&">', "flux", "n"]  # XML-escaped, read back whole
    table.rename_column(table.colnames[1], "name")
    assert table["id"].tolist() == [2**62, -1]  # 64-bit ids exact
    # astropy reads text nulls as empty strings (TOPCAT: empty text is null too)
    assert [str(v) for v in table["name"]] == ["\u03b1-cen", ""]  # not "?-cen"
    assert table["flux"][0] == 1.5 and np.ma.getmaskarray(table["flux"]).tolist() == [
        False,
        True,
    ]
    assert np.ma.getmaskarray(table["n"]).tolist() == [False, True] and table["n"][0] == 3
    assert str(table["flux"].unit) == "nJy"
    empty = write_votable([Field("x", np.array([], dtype=float))], tmp_path / "e.xml", "e", "e")
    assert len(Table.read(empty, format="votable")) == 0


def test_point_at_reaches_a_client(listener, alertview, alerts):
    decoded, _ = alerts
    alertview.connect()
    alertview.notify("coord.pointAt.sky", point_at_params(decoded[0].ra, decoded[0].dec))
    params = listener.next("coord.pointAt.sky")
    assert float(params["ra"]) == decoded[0].ra and float(params["dec"]) == decoded[0].dec


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_fits_cutouts_reach_a_client_readable_by_astropy(
    listener, alertview, alerts, tmp_path, survey
):
    decoded, _ = alerts
    alert = next(a for a in decoded if a.survey == survey)
    alertview.connect()
    written, problems = write_cutouts(alert, tmp_path)
    assert problems == [] and [n for n, _ in written] == ["science", "template", "difference"]
    for name, path in written:  # the stamp as sent: Rubin's raw, ZTF's gunzipped
        stamp = alert.cutouts[name]
        sent = gunzip(name, stamp) if survey == "ztf" else stamp
        # only ZTF's non-standard "SIMPLE  =  T" card is rewritten (astropy warns on it)
        assert path.read_bytes()[80:] == sent[80:] and path.read_bytes()[29:30] == b"T"
    for name, path in written:
        alertview.notify(MTYPE_FITS, image_message(path, f"{alert.alert_id}-{name}", name))
    shape = (63, 63) if survey == "ztf" else (30, 30)
    # the hub delivers each notification on its own thread: in any order
    received = [listener.next(MTYPE_FITS) for _ in written]
    assert sorted(p["name"] for p in received) == sorted(n for n, _ in written)
    for params in received:
        name = params["name"]
        with fits.open(file_of(params["url"])) as hdus:
            data = next(h.data for h in hdus if h.data is not None)
            assert data.shape == shape
            # the same pixels the viewer shows (FITS order, row 0 at the bottom)
            np.testing.assert_array_equal(
                data.astype(np.float32), decode_cutout(name, alert.cutouts[name]).data
            )


def test_a_stamp_that_is_not_fits_is_named_not_sent(alerts, tmp_path):
    decoded, _ = alerts
    alert = decoded[0]
    broken = type(alert).__new__(type(alert))
    for slot in type(alert).__slots__:
        object.__setattr__(broken, slot, getattr(alert, slot))
    object.__setattr__(broken, "cutouts", {"science": b"\xff\xd8\xff jpeg", "template": b""})
    written, problems = write_cutouts(broken, tmp_path)
    assert written == []
    assert problems == [
        "science cutout is not FITS",
        "template cutout is missing",
        "difference cutout is missing",
    ]


# -- listening ----------------------------------------------------------------------------
def test_messages_from_a_tool_arrive_typed(listener, alertview):
    alertview.connect()
    me = next(
        c
        for c in listener.client.get_registered_clients()
        if listener.client.get_metadata(c).get("samp.name") == "AlertView"
    )
    reply = listener.client.call_and_wait(
        me,
        {
            "samp.mtype": "table.highlight.row",
            "samp.params": {"table-id": "av-1", "url": "file:///t.xml", "row": "3"},
        },
        str(int(TIMEOUT)),
    )
    assert reply["samp.status"] == "samp.ok"
    got = alertview.received.get(timeout=TIMEOUT)
    assert got == HighlightRow("av-1", "file:///t.xml", 3, got.sender)
    listener.client.notify(
        me, {"samp.mtype": "coord.pointAt.sky", "samp.params": {"ra": "370.5", "dec": "-4.25"}}
    )
    got = alertview.received.get(timeout=TIMEOUT)
    assert isinstance(got, PointAt) and (got.ra, got.dec) == (10.5, -4.25)
    # a bad message is refused with a reason and never reaches the viewer
    reply = listener.client.call_and_wait(
        me,
        {"samp.mtype": "coord.pointAt.sky", "samp.params": {"ra": "1", "dec": "100"}},
        str(int(TIMEOUT)),
    )
    assert reply["samp.status"] == "samp.error"
    assert "out of range" in reply["samp.error"]["samp.errortxt"]
    assert alertview.received.empty()


def test_sent_tables_map_a_highlighted_row_back_to_its_alert():
    sent = SentTables(keep=2)
    sent.remember(SentTable("av-1", "file:///a.xml", (11, 12, 13)))
    sent.remember(SentTable("av-2", "file:///b.xml", (21,)))
    assert sent.alert_of("av-1", None, 2) == 13
    assert sent.alert_of(None, "file:///b.xml", 0) == 21  # TOPCAT may give only the URL
    assert sent.alert_of("av-1", None, 3) is None
    assert sent.alert_of("other", "file:///other.xml", 0) is None
    sent.remember(SentTable("av-3", "file:///c.xml", (31,)))
    assert sent.alert_of("av-1", None, 0) is None  # the oldest is forgotten


def test_nearest_alert_prefers_the_selected_then_the_newest_of_one_source():
    arcsec = 1 / 3600
    ra = np.array([10.0, 10.0 + 0.5 * arcsec, 10.0 + 30 * arcsec, np.nan, 200.0])
    dec = np.array([-5.0, -5.0, -5.0, -5.0, 20.0])
    mjd = np.array([60000.0, 60001.0, 60002.0, 60003.0, 60004.0])
    assert nearest_alert(ra, dec, mjd, 10.0, -5.0) == 1  # same source: the newest
    assert nearest_alert(ra, dec, mjd, 10.0, -5.0, current=0) == 0  # keeps the selected
    assert nearest_alert(ra, dec, mjd, 10.0 + 25 * arcsec, -5.0) == 2  # nearest within 1'
    assert nearest_alert(ra, dec, mjd, 10.0 + 200 * arcsec, -5.0) is None
    assert nearest_alert(ra[:0], dec[:0], mjd[:0], 10.0, -5.0) is None
    # across RA 0/360 and near the pole distances are on the sky
    assert separations(np.array([359.9999]), np.array([0.0]), 0.0001, 0.0)[0] == pytest.approx(
        0.72, rel=1e-6
    )
    assert separations(np.array([0.0]), np.array([89.9999]), 180.0, 89.9999)[0] == (
        pytest.approx(0.72, rel=1e-3)
    )


def _read_back(path):
    """The table astropy parses from ``path``, after its validator found no fault."""
    from astropy.io.votable import parse, validate

    report = io.StringIO()
    assert validate(str(path), output=report), report.getvalue()
    return parse(str(path)).get_first_table()


def test_votable_booleans_and_every_integer_size_read_back_exact(tmp_path):
    big = np.iinfo(np.uint64).max
    fields = [
        Field("flag", np.array([True, False, True]), nulls=np.array([False, False, True])),
        Field("i8", np.array([-128, 0, 127], dtype=np.int8)),
        Field("u8", np.array([0, 200, 255], dtype=np.uint8)),
        Field("u16", np.array([0, 40000, 65535], dtype=np.uint16)),
        Field("u32", np.array([0, 3_000_000_000, 2**32 - 1], dtype=np.uint32)),
        Field("u64", np.array([0, 2**63 - 1, 5], dtype=np.uint64)),
        Field("u64big", np.array([0, big, 5], dtype=np.uint64)),
        Field("f16", np.array([0.5, -2.0, 1024.0], dtype=np.float16)),
    ]
    table = _read_back(write_votable(fields, tmp_path / "b.xml", "b", "b"))
    flag = table.array["flag"]
    assert flag.data[:2].tolist() == [True, False] and flag.mask.tolist() == [False, False, True]
    assert table.array["i8"].tolist() == [-128, 0, 127]
    assert table.array["u8"].tolist() == [0, 200, 255]
    assert table.array["u16"].tolist() == [0, 40000, 65535]
    assert table.array["u32"].tolist() == [0, 3_000_000_000, 2**32 - 1]
    assert table.array["u64"].tolist() == [0, 2**63 - 1, 5]
    assert [int(v) for v in table.array["u64big"]] == [0, big, 5]  # as text: exact
    assert table.array["f16"].tolist() == [0.5, -2.0, 1024.0]


def test_votable_refuses_a_type_it_cannot_hold_in_one_line(tmp_path):
    fields = [Field("when", np.array(["2026-01-01"], dtype="datetime64[D]"))]
    with pytest.raises(ValueError, match=r"^column when: datetime64\[D\] cannot be written"):
        write_votable(fields, tmp_path / "d.xml", "d", "d")


def test_votable_text_keeps_every_character(tmp_path):
    names = np.array(["\u03b1-cen", "Ω", "plain", "\U0001d6fc Lyr", ""], dtype=object)
    fields = [
        Field("name", names, nulls=np.array([False, False, False, False, True])),
        Field("ascii", np.array(["ZTF", "LSST", "x", "y", "z"], dtype=object)),
    ]
    path = write_votable(fields, tmp_path / "u.xml", "u", "u")
    table = _read_back(path)
    assert [str(v) for v in table.array["name"][:4]] == [
        "\u03b1-cen",
        "Ω",
        "plain",
        "\U0001d6fc Lyr",
    ]
    assert str(table.array["name"][4]) == ""  # astropy reads a text null as empty
    assert table.array["ascii"].tolist() == ["ZTF", "LSST", "x", "y", "z"]
    datatypes = {f.name: f.datatype for f in table.fields}
    assert datatypes == {"name": "unicodeChar", "ascii": "char"}  # ASCII stays compact


# -- a hub that hangs ---------------------------------------------------------------------
def test_a_hub_that_never_answers_is_one_line_not_a_freeze(samp_env, alertview):
    with SilentHub() as silent:
        silent.write_lockfile(samp_env)
        with pytest.raises(SampError) as failed:
            alertview.connect()  # returns: the hub's ping times out
        assert silent.frozen.is_set()
    assert str(failed.value) == f"SAMP hub did not answer in {HUB_TIMEOUT:g} s"
    assert not alertview.is_connected and not alertview.started_hub
    assert samp_env.exists()  # no hub of ours started over the silent one's lockfile


def test_a_hub_that_stops_answering_drops_the_connection(
    hub, samp_env, alertview, tmp_path, monkeypatch
):
    address = urlparse(hub.params["samp.hub.xmlrpc.url"])
    relay_lock = tmp_path / "relay-lock"
    with SilentHub(upstream=(address.hostname, address.port)) as relay:
        relay.write_lockfile(relay_lock, hub.params)
        monkeypatch.setenv("SAMP_HUB", f"std-lockurl:{relay_lock.as_uri()}")
        alertview.connect()
        assert alertview.is_connected and alertview.clients() == []  # answered, relayed
        private_key = alertview.client.get_private_key()
        relay.freeze()
        with pytest.raises(SampError) as failed:
            alertview.clients(MTYPE_TABLE)
        assert str(failed.value) == f"SAMP hub did not answer in {HUB_TIMEOUT:g} s: disconnected"
        assert not alertview.is_connected
        with pytest.raises(SampError, match="not connected"):
            alertview.notify("coord.pointAt.sky", point_at_params(1, 2))
    # AlertView could not unregister through the frozen relay: tell the real hub, which
    # would otherwise notify a client that is gone when it stops
    timed_proxy(hub.params["samp.hub.xmlrpc.url"]).samp.hub.unregister(private_key)
