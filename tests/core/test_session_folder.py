"""Named sessions: their names, their metadata, the default group ids and the lock."""

from __future__ import annotations

import json

import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.folder import Session, is_session, session_folder
from alertview.core.session.listing import is_in_use as in_use
from alertview.core.session.meta import (
    SessionMeta,
    StreamMeta,
    default_group_id,
    files_session_name,
    load_meta,
    safe_name,
    save_meta,
    stream_session_name,
)
from tests.conftest import DATA as SHARED_ALERTS


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTVIEW_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def some_alerts(n: int = 3):
    alerts = [a for a in read_alerts([SHARED_ALERTS], SchemaCache()) if hasattr(a, "alert_id")]
    assert len(alerts) >= n
    return alerts[:n]


def test_names_are_safe_folder_names():
    assert safe_name("../../etc/passwd") == "_._.._etc_passwd"
    assert safe_name("") == "session"
    assert safe_name(".hidden") == "_hidden"
    assert len(safe_name("x" * 500)) == 80
    assert stream_session_name(["ztf_20260301_programid1"], "kafka.ztf.uw.edu:9092") == (
        "ztf_20260301_programid1-kafka.ztf.uw.edu"
    )
    assert stream_session_name(["a", "b"], "h1:9092,h2:9092") == "a+1-h1"
    assert stream_session_name(["^lsst.*"], "[::1]:9092") == "lsst._-___1"
    assert files_session_name(["/data/ztf_public_20260301.tar.gz"]) == "files-ztf_public_20260301"
    assert files_session_name(["a.avro", "b.avro"]) == "files-a+1"


def test_group_ids_differ_per_tool_and_session_and_start_with_the_kafka_user():
    groups = {
        default_group_id("view", "s1"),
        default_group_id("consume", "s1"),
        default_group_id("view", "s2"),
    }
    assert len(groups) == 3
    # long session names (a Rubin topic and broker) cut to length still differ
    long = "lsst-alerts-v10-usdf-alert-stream-{}.lsst.cloud-usdf-alert-stream-kafka-bootstrap"
    dev, int_ = (default_group_id("view", long.format(e), "rubin-user-12345") for e in "ab")
    assert dev != int_ and len(dev) == len(int_) == 80
    assert dev.startswith("rubin-user-12345-alertview-view-lsst-alerts")
    # Rubin's brokers refuse a group that does not start with the SASL user name
    assert default_group_id("view", "lsst-alerts", "jdoe").startswith("jdoe-alertview-view-")


def test_a_named_session_reopens_with_its_alerts_and_metadata(data_dir):
    alerts = some_alerts()
    with Session.named("ZTF night 1") as session:
        assert (
            session.folder
            == session_folder("ZTF night 1")
            == data_dir / "sessions" / ("ZTF_night_1")
        )
        session.store.add(alerts)
        session.remember_stream(StreamMeta("h:9092", ("t1", "t2"), "g1", profile="rubin"))
        session.remember_filter('band == "r"')
    assert is_session(data_dir / "sessions" / "ZTF_night_1")
    with Session.named("ZTF night 1") as again:
        assert again.name == "ZTF night 1"
        assert len(again.store) == len(alerts)
        assert again.meta.stream == StreamMeta("h:9092", ("t1", "t2"), "g1", profile="rubin")
        assert again.meta.filter == 'band == "r"'


def test_no_secret_reaches_the_metadata_file(data_dir):
    with Session.named("s") as session:
        session.remember_stream(StreamMeta("h:9092", ("t",), "g", profile="p"))
        text = (session.folder / "session.json").read_text()
    assert set(json.loads(text)["stream"]) == {"bootstrap", "topics", "group_id", "profile"}


def test_an_untitled_session_left_empty_is_removed_a_used_one_is_kept():
    empty = Session.untitled()
    folder = empty.folder
    empty.close()
    assert not folder.exists()
    used = Session.untitled()
    used.store.add(some_alerts(1))
    used.close()
    assert is_session(used.folder)


def test_a_temporary_session_leaves_nothing_behind(data_dir):
    session = Session.temporary()
    session.store.add(some_alerts(1))
    assert session.is_temporary and session.name == "temporary"
    folder = session.folder
    session.close()
    assert not folder.exists() and not folder.parent.exists()
    assert not (data_dir / "sessions").exists() or not any((data_dir / "sessions").iterdir())


def test_a_session_in_use_is_locked():
    session = Session.named("busy")
    assert in_use(session.folder)
    session.close()
    assert not in_use(session.folder)


def test_a_damaged_metadata_file_opens_with_defaults(tmp_path):
    (tmp_path / "session.json").write_text("{not json")
    assert load_meta(tmp_path) == SessionMeta(
        name=tmp_path.name, created=load_meta(tmp_path).created
    )
    save_meta(tmp_path, SessionMeta(name="n", filter="mag < 19"))
    assert load_meta(tmp_path).filter == "mag < 19"


def test_two_users_of_a_session_keep_each_others_metadata():
    """consume remembers its stream, a viewer on the same session its filter: neither
    write undoes the other's (each changes the file as it is now)."""
    viewer = Session.named("shared")
    consume = Session.named("shared")
    try:
        viewer.remember_filter("mag < 19")
        consume.remember_stream(StreamMeta("h:9092", ("t",), "g-consume"))
        viewer.rename("shared night")
    finally:
        viewer.close()
        consume.close()
    meta = load_meta(session_folder("shared"))
    assert (meta.name, meta.filter, meta.stream.group_id) == (
        "shared night",
        "mag < 19",
        "g-consume",
    )
