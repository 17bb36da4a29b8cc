"""Bounded sessions: the retention policy (oldest packets dropped, rows kept) and the
free-space guard (nothing written on a nearly full disk)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import HistoryCompletion, decode_bytes, decode_stored, read_alerts
from alertview.core.renumber import renumbered
from alertview.core.replay import MessageFramer
from alertview.core.session.retention import RetentionPolicy
from alertview.core.session.store import AlertStore, DiskFull, StoreError
from alertview.core.stream.error_records import ErrorRecord
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.table.filters import FilterError
from alertview.core.table.rows import ROW_FIELDS
from tests.conftest import SHARED

MB = 1024**2
ALERT_ID = ROW_FIELDS.index("alert_id")


@pytest.fixture(scope="module")
def ztf():
    """The real ZTF alerts (22-74 KB each)."""
    return list(read_alerts([SHARED / "ztf"], SchemaCache()))


def _copies(alerts, passes, start=1):
    """Real packets with new alert ids: ``passes`` times every alert."""
    return [renumbered(a, k) for k in range(start, start + passes) for a in alerts]


def _packet_bytes(folder):
    return sum(p.stat().st_size for p in folder.glob("packets-*.seg"))


def _segment_sizes(folder):
    return {p.name: p.stat().st_size for p in folder.glob("*.seg")}


# -- the policy ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size", "age", "matching", "canonical"),
    [
        ("50GB", 50 * 1024**3, None, False, "50GB"),
        ("500MB", 500 * MB, None, False, "500MB"),
        ("1.5gb", 1536 * MB, None, False, "1536MB"),
        ("7d", None, 7 * 86400, False, "7d"),
        ("12h", None, 12 * 3600, False, "12h"),
        ("2w", None, 14 * 86400, False, "14d"),
        ("90m", None, 5400, False, "90m"),
        ("matching", None, None, True, "matching"),
        ("50GB,7d", 50 * 1024**3, 7 * 86400, False, "50GB,7d"),
        (" 7d , matching, 2TB ", 2 * 1024**4, 7 * 86400, True, "2TB,7d,matching"),
        ("all", None, None, False, "all"),
        ("", None, None, False, "all"),
    ],
)
def test_policy_parses_and_round_trips(text, size, age, matching, canonical):
    policy = RetentionPolicy.parse(text)
    assert (policy.max_bytes, policy.max_age, policy.matching) == (size, age, matching)
    assert str(policy) == canonical
    assert RetentionPolicy.parse(str(policy)) == policy


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("50", "cannot read '50'"),
        ("50XB", "unknown unit 'XB'"),
        ("7D", "unknown unit 'D'"),  # D is not a size and d is the day: no guessing
        ("50GB,10GB", "two sizes"),
        ("7d,1h", "two ages"),
        ("matching,matching", "twice"),
        ("100KB", "too small"),
        ("-5GB", "cannot read"),
        ("lots", "cannot read"),
    ],
)
def test_bad_policy_text_is_one_clear_line(text, says):
    with pytest.raises(ValueError) as caught:
        RetentionPolicy.parse(text)
    message = str(caught.value)
    assert says in message
    assert repr(text) in message
    assert "\n" not in message


def test_segment_size_follows_the_cap():
    assert RetentionPolicy.parse("2GB").segment_bytes() == 256 * MB
    assert RetentionPolicy.parse("50GB").segment_bytes() == 512 * MB  # the largest
    assert RetentionPolicy.parse("2MB").segment_bytes() == MB  # the smallest
    assert RetentionPolicy.parse("8h").segment_seconds() == 3600


# -- size -----------------------------------------------------------------------------------
def test_tiny_cap_drops_the_oldest_packets_and_keeps_every_row(ztf, tmp_path):
    folder = tmp_path / "s"
    cap = 2 * MB
    copies = _copies(ztf, 24)  # 168 alerts, ~10 MB of packets
    with AlertStore(folder, retention="2MB") as store:
        store.add_errors([ErrorRecord("ztf", 0, 1, "unknown schema", packet=b"\x00" * 1000)])
        for start in range(0, len(copies), 20):  # a batch may span segments
            store.add_rows(copies[start : start + 20], sync=False)
            store.sync()
            assert _packet_bytes(folder) <= cap + MB  # the cap and the segment being written
        assert len(store) == len(copies)
        dropped = store.packets_dropped()
        assert 0 < dropped < len(copies)
        rows = store.rows(with_kept=True)
        kept = [r[-1] for r in rows]
        assert kept.count(False) == dropped
        first_kept = kept.index(True)
        assert all(kept[first_kept:])  # the oldest went first
        assert store.dropped_before() == rows[first_kept][0]
        assert not store.packet_kept(rows[0][0]) and store.packet_kept(rows[-1][0])
        # the error row stays, without its bytes
        (error,) = store.errors()
        assert (error.reason, error.row) == ("unknown schema", None)

        with pytest.raises(StoreError) as caught:
            decode_stored(store, rows[0][0], SchemaCache())
        message = str(caught.value)
        assert message == (
            f"alert {rows[0][ALERT_ID]} (row {rows[0][0]}): "
            "packet dropped by the session's retention (2MB)"
        )
        newest = decode_stored(store, rows[-1][0], SchemaCache())
        assert newest.alert_id == rows[-1][ALERT_ID]

    with AlertStore(folder) as store:  # reopened: the policy, the rows, the marks
        assert str(store.retention) == "2MB"
        assert len(store) == len(copies)
        assert store.packets_dropped() == dropped
        assert [r[-1] for r in store.rows(with_kept=True)] == kept
        assert decode_stored(store, rows[-1][0], SchemaCache()).alert_id == rows[-1][ALERT_ID]
        with pytest.raises(StoreError, match="packet dropped by the session's retention"):
            store.read(rows[0][0], SchemaCache())
        store.add(_copies(ztf, 10, start=100))  # and writing goes on within the cap
        assert len(store) == len(copies) + 70
        assert _packet_bytes(folder) <= cap + MB


def test_history_is_not_asked_of_dropped_packets(ztf, tmp_path):
    cache = SchemaCache(fields=SURVEY_FIELDS)
    framer = MessageFramer("native", SchemaCache())
    quick = []
    for number, alert in enumerate(_copies(ztf, 12)):
        key, value = framer(alert)
        origin = Origin("t", 0, "t", 0, number)
        quick += decode_bytes(value, cache, origin=origin, key=key, detail=Detail.TABLE)
    with AlertStore(tmp_path / "s", retention="2MB") as store:
        for start in range(0, len(quick), 14):
            store.add(quick[start : start + 14])
        assert store.packets_dropped() > 0
        done = HistoryCompletion(store, cache).run(budget=30)
        assert len(done) == len(quick) - store.packets_dropped()
        assert store.errors() == []  # no "history cannot be decoded" for dropped packets


def test_a_policy_set_elsewhere_reaches_the_writer_at_its_next_sync(ztf, tmp_path):
    """The viewer sets the policy in its own store while the stream's process writes."""
    folder = tmp_path / "s"
    with AlertStore(folder) as writer, AlertStore(folder) as viewer:
        for number in range(8):
            writer.add(_copies(ztf, 1, start=number + 1))
            writer._segments.close()  # (a segment each, as if written over time)
        assert _packet_bytes(folder) > 3 * MB
        viewer.set_retention("2MB", apply=False)
        assert writer.packets_dropped() == 0
        writer.add(_copies(ztf, 1, start=50))
        assert writer.packets_dropped() > 0
        assert _packet_bytes(folder) <= 3 * MB
        assert str(writer.retention) == "2MB"


# -- age ------------------------------------------------------------------------------------
def test_age_drops_segments_older_than_kept(ztf, tmp_path):
    folder = tmp_path / "s"
    for number in range(3):  # each store appends to a segment of its own
        with AlertStore(folder, retention="1d") as store:
            store.add(_copies(ztf, 1, start=number + 1))
    with AlertStore(folder) as store:
        assert str(store.retention) == "1d"
        assert store.apply_retention(now=time.time()) == 0  # all younger than a day
        assert store.apply_retention(now=time.time() + 2 * 86400) == 2 * len(ztf)
        assert len(_segment_sizes(folder)) == 1  # the newest one stays
        assert len(store) == 3 * len(ztf)
        kept = [r[-1] for r in store.rows(with_kept=True)]
        assert kept == [False] * 2 * len(ztf) + [True] * len(ztf)


# -- matching -------------------------------------------------------------------------------
def test_matching_keeps_only_the_packets_of_matching_alerts(ztf, tmp_path):
    folder = tmp_path / "s"
    rule = "mag < 18"
    passing = [a for a in ztf if a.mag is not None and a.mag < 18]
    assert 0 < len(passing) < len(ztf)
    with AlertStore(folder, retention="matching", keep_filter=rule) as store:
        store.add(ztf)
        assert len(store) == len(ztf)
        assert _packet_bytes(folder) == sum(len(a.packet.data) for a in passing)
        assert store.packets_dropped() == len(ztf) - len(passing)
        for row in store.rows():
            alert_id = row[ALERT_ID]
            if any(a.alert_id == alert_id for a in passing):
                assert decode_stored(store, row[0], SchemaCache()).alert_id == alert_id
            else:
                with pytest.raises(StoreError) as caught:
                    store.read(row[0], SchemaCache())
                assert str(caught.value) == (
                    f"alert {alert_id} (row {row[0]}): packet not kept: it did not match "
                    "the session's filter 'mag < 18' (retention: matching)"
                )
    with AlertStore(folder) as store:  # the filter is the session's too
        assert (str(store.retention), store.keep_filter) == ("matching", rule)


@pytest.mark.parametrize("rule", ["fwhm < 0", "n_upper_limits > 10000"])
def test_matching_keeps_table_decodes_it_cannot_judge(rule, ztf, tmp_path):
    """A stream decodes the table's fields only: a filter on another field (ZTF's
    candidate.fwhm) or on the history's counts cannot be judged on them, so the
    packet is kept."""
    cache = SchemaCache(fields=SURVEY_FIELDS)
    framer = MessageFramer("native", SchemaCache())
    quick = []
    for number, alert in enumerate(ztf):
        key, value = framer(alert)
        origin = Origin("t", 0, "t", 0, number)
        quick += decode_bytes(value, cache, origin=origin, key=key, detail=Detail.TABLE)
    assert all(a.detail is Detail.TABLE for a in quick)
    with AlertStore(tmp_path / "quick", "matching", keep_filter=rule) as store:
        store.add(quick)
        assert store.packets_dropped() == 0
    with AlertStore(tmp_path / "full", "matching", keep_filter=rule) as store:
        store.add(ztf)  # decoded whole: none passes
        assert store.packets_dropped() == len(ztf)
        assert _packet_bytes(tmp_path / "full") == 0


def test_a_filter_that_cannot_be_used_is_refused(tmp_path):
    with AlertStore(tmp_path / "s") as store:
        with pytest.raises(FilterError):
            store.set_retention("matching", keep_filter="mag <")
        with pytest.raises(ValueError, match="cannot read"):
            store.retention = "fifty gigabytes"
        assert str(store.retention) == "all"  # unchanged
        store.retention = "7d"
        assert str(store.retention) == "7d"


# -- the full disk --------------------------------------------------------------------------
def test_full_disk_refuses_the_batch_before_writing_any_of_it(ztf, tmp_path, monkeypatch):
    folder = tmp_path / "s"
    with AlertStore(folder) as store:
        store.add(ztf[:2])
        sizes, count = _segment_sizes(folder), len(store)
        monkeypatch.setenv("ALERTVIEW_MIN_FREE_BYTES", str(2**62))
        with pytest.raises(DiskFull) as caught:
            store.add_rows(ztf[2:], sync=False)
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("disk nearly full: ")
        assert "free on /" in message and "offsets not committed" in message
        with pytest.raises(DiskFull):
            store.add_errors([ErrorRecord("t", 0, 1, "bad", packet=b"x" * 100)])
        assert _segment_sizes(folder) == sizes
        assert len(store) == count and store.errors() == []
        monkeypatch.delenv("ALERTVIEW_MIN_FREE_BYTES")  # space freed: storing resumes
        assert store.add(ztf[2:]) == len(ztf) - 2


# -- older sessions -------------------------------------------------------------------------
def test_a_session_from_before_retention_opens(ztf, tmp_path):
    folder = tmp_path / "old"
    with AlertStore(folder) as store:
        store.add(ztf)
    db = sqlite3.connect(folder / "index.sqlite")  # back to before this version
    db.executescript(
        "DROP INDEX alerts_segment; DROP TABLE settings; ALTER TABLE alerts DROP COLUMN dropped;"
    )
    db.close()
    with AlertStore(folder) as store:
        assert len(store) == len(ztf)
        assert str(store.retention) == "all" and store.packets_dropped() == 0
        assert all(r[-1] for r in store.rows(with_kept=True))
        for row, alert in zip(store.rows(), ztf, strict=True):
            assert decode_stored(store, row[0], SchemaCache()).packet.data == alert.packet.data
        store.set_retention("2MB")  # and it can be bounded now
        store.add(_copies(ztf, 6))
        assert store.packets_dropped() > 0
        assert _packet_bytes(folder) <= 3 * MB


def test_another_writers_open_segment_is_never_dropped(ztf, tmp_path):
    """Two writers on one session (a stream and an import, or consume and the viewer):
    the retention of one never deletes the segment the other is appending to, so no
    row it writes there afterwards loses its packet (and none is lost at reopening)."""
    folder = tmp_path / "two"
    stream = AlertStore(folder, retention="2MB")
    other = AlertStore(folder)
    copies = _copies(ztf, 40)
    written = 0

    def write(store, n=20):
        nonlocal written
        store.add_rows(copies[written : written + n], sync=False)
        store.sync()
        written += n

    write(stream)  # the stream opens its segment, the oldest on disk
    held = stream._segments.current
    for _ in range(6):
        write(other)  # newer segments, past the cap
    assert (folder / f"packets-{held:06d}.seg").exists()  # still being written: spared
    write(stream)
    stream.close()
    other.close()
    with AlertStore(folder) as reopened:
        assert len(reopened) == written  # every row kept
        for row in reopened.rows():
            if reopened.packet_kept(row[0]):
                assert decode_stored(reopened, row[0], SchemaCache()).alert_id == row[2]
