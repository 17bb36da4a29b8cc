"""A looping replay's copies (``--renumber``): new unique ids, later times, same objects."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import numpy as np
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.packets import Framing
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes, read_alerts, whole_record
from alertview.core.errors import DecodeError
from alertview.core.renumber import RenumberError, Renumbering, id_step, renumbered
from alertview.core.replay import Cadence, MessageFramer, replay
from tests.conftest import (
    FINK_LSST_TRANSFER,
    FINK_ZTF_MULTI,
    FINK_ZTF_TRANSFER,
    SHARED,
    ZTF_FILES,
    raw_records,
)

PASSES = 3
RUBIN_V10 = 1000


def alerts_of(paths, cache):
    return [a for a in read_alerts(paths, cache) if not isinstance(a, DecodeError)]


def decoded(value: bytes, cache: SchemaCache):
    (alert,) = decode_bytes(value, cache, origin=Origin("message"))
    return alert


@pytest.fixture(scope="module")
def cache():
    return SchemaCache()


@pytest.fixture(scope="module")
def real(cache):
    """ZTF native files, Rubin in Rubin's own Confluent frame, and Fink's packets."""
    rubin = [
        confluent_frame(
            schemaless_body(rubin_native_record(raw), cache.by_id(RUBIN_V10)), RUBIN_V10
        )
        for raw in raw_records(FINK_LSST_TRANSFER)
    ]
    return (
        alerts_of(ZTF_FILES, cache)
        + [decoded(value, cache) for value in rubin]
        + alerts_of([FINK_LSST_TRANSFER, FINK_ZTF_TRANSFER], cache)
    )


@pytest.fixture(scope="module")
def passes(real):
    renumbering = Renumbering()
    for alert in real:
        renumbering.learn(alert)
    renumbering.close()
    return renumbering, [[renumbering(a, k) for a in real] for k in range(PASSES)]


def test_the_pass_lasts_whole_days_beyond_the_set_s_span(real, passes):
    renumbering, _ = passes
    span = max(a.mjd for a in real) - min(a.mjd for a in real)
    assert span < renumbering.days <= span + 1 and renumbering.days == int(renumbering.days)


def test_copies_decode_with_new_unique_ids_and_the_same_objects(real, passes, cache):
    _, copies = passes
    framer = MessageFramer("native", cache)
    seen = set()
    for k, copied in enumerate(copies):
        for alert, copy in zip(real, copied, strict=True):
            again = decoded(framer(copy)[1], cache)  # as the replay sends it
            assert (again.survey, again.alert_id, again.object_id) == (
                alert.survey,
                copy.alert_id,
                alert.object_id,
            )
            assert copy.packet.framing is alert.packet.framing
            if alert.packet.framing is Framing.CONFLUENT:  # the same schema id
                assert copy.packet.data[:5] == alert.packet.data[:5] == b"\x00\x00\x00\x03\xe8"
            assert (copy.alert_id == alert.alert_id) == (k == 0)
            seen.add((copy.survey, copy.alert_id))
    assert len(seen) == PASSES * len({(a.survey, a.alert_id) for a in real})


def test_times_move_by_the_pass_and_the_light_curve_keeps_its_shape(real, passes):
    renumbering, copies = passes
    for k, copied in enumerate(copies):
        shift = k * renumbering.days
        for alert, copy in zip(real, copied, strict=True):
            assert copy.mjd == pytest.approx(alert.mjd + shift, abs=1e-6)
            for points in ("detections", "upper_limits", "forced"):
                before, after = getattr(alert, points), getattr(copy, points)
                np.testing.assert_allclose(after.mjd, before.mjd + shift, atol=1e-6)
            # the history stays before the detection (which ends the detections)
            assert (copy.detections.mjd <= copy.mjd + 1e-6).all()
            assert copy.detections.mjd.max() == pytest.approx(copy.mjd, abs=1e-6)
            assert len(copy.detections) == len(alert.detections)


def test_history_ids_follow_the_alert_ids(real, passes):
    """A copy's history names the copies of the earlier alerts, with the same step."""
    renumbering, copies = passes
    ztf = [(a, c) for a, c in zip(real, copies[2], strict=True) if a.survey == "ztf"]
    step = renumbering.steps["ztf"]
    checked = 0
    for alert, copy in ztf:
        ids = alert.detections.source_id
        has_id = ids != -1
        np.testing.assert_array_equal(copy.detections.source_id[has_id], ids[has_id] + 2 * step)
        checked += int(has_id.sum())
    assert checked > len(ztf)


def test_every_time_field_of_a_rubin_packet_moves(real, passes):
    renumbering, copies = passes
    fink = next(i for i, a in enumerate(real) if "brokerIngestMjd" in whole_record(a))
    before, after = whole_record(real[fink]), whole_record(copies[2][fink])
    shift = 2 * renumbering.days
    assert after["diaSource"]["midpointMjdTai"] == pytest.approx(
        before["diaSource"]["midpointMjdTai"] + shift
    )
    assert after["diaSource"]["timeProcessedMjdTai"] == pytest.approx(
        before["diaSource"]["timeProcessedMjdTai"] + shift
    )
    assert after["brokerIngestMjd"] == pytest.approx(before["brokerIngestMjd"] + shift)
    for name in ("prvDiaSources", "prvDiaForcedSources"):
        for b, a in zip(before[name], after[name], strict=True):
            assert a["midpointMjdTai"] == pytest.approx(b["midpointMjdTai"] + shift)
    moved = datetime.fromisoformat(after["timestamp"]) - datetime.fromisoformat(
        before["timestamp"]
    )
    assert moved.total_seconds() == pytest.approx(shift * 86400, abs=1e-3)
    assert after["diaSource"]["visit"] == before["diaSource"]["visit"]


def test_ids_one_apart_do_not_meet_on_a_later_pass(real):
    """Shifting by the pass number alone made the copy of one alert the next alert of
    its exposure (ZTF candids of one exposure differ by 1)."""
    first = real[0]
    neighbour = renumbered(first, 1)  # a real packet one id further
    pair = [first, neighbour]
    assert renumbered(first, 1).alert_id == neighbour.alert_id  # the old shift collides
    renumbering = Renumbering()
    for alert in pair:
        renumbering.learn(alert)
    renumbering.close()
    assert renumbering.steps == {"ztf": 10}
    ids = [renumbering(a, k).alert_id for k in range(PASSES) for a in pair]
    assert len(set(ids)) == len(ids) == 2 * PASSES


def test_the_step_is_the_smallest_power_of_ten_that_separates_the_ids(real):
    ids = {a.alert_id for a in real if a.survey == "ztf"}
    step = id_step(ids, max(ids) - min(ids))
    assert len({i % step for i in ids}) == len(ids)
    assert len({i % (step // 10) for i in ids}) < len(ids)
    assert id_step(None, 12345) == 100_000  # too many ids kept: past their span
    # cycled to ~2,000 messages (36 passes), the old shift by the pass number repeats ids
    old = [i + k for k in range(36) for i in ids]
    new = [i + k * step for k in range(36) for i in ids]
    assert len(set(old)) < len(old) and len(set(new)) == len(new)


def test_ids_past_avro_s_long_stop_the_loop(real):
    renumbering = Renumbering()
    renumbering.learn(real[0])
    renumbering.close()
    renumbering.check(1000)
    with pytest.raises(RenumberError, match="past 2\\^63-1"):
        renumbering.check(10**18)


def test_a_looping_replay_sends_new_alerts_each_pass(cache):
    real = alerts_of([SHARED], cache)
    sent = []
    progress = replay(
        [SHARED],
        lambda key, value: sent.append(value),
        MessageFramer("native", cache),
        Cadence(0.0, loop=True, renumber=True, limit=PASSES * len(real)),
    )
    assert progress.alerts == len(sent) == PASSES * len(real) and not progress.skipped
    received = [decoded(value, cache) for value in sent]
    assert len({(a.survey, a.alert_id) for a in received}) == len(received)
    assert {a.object_id for a in received} == {a.object_id for a in real}
    per_pass = [received[k * len(real) : (k + 1) * len(real)] for k in range(PASSES)]
    days = per_pass[1][0].mjd - per_pass[0][0].mjd
    assert days >= 1 and days == round(days)
    for k in range(PASSES):
        assert [a.mjd for a in per_pass[k]] == pytest.approx(
            [a.mjd + k * days for a in per_pass[0]], abs=1e-6
        )
    # each pass starts after the last one ended: time moves forward
    assert min(a.mjd for a in per_pass[1]) > max(a.mjd for a in per_pass[0])


def test_a_loop_without_renumber_repeats_the_ids(cache):
    real = alerts_of([SHARED], cache)
    sent = []
    replay(
        [SHARED],
        lambda key, value: sent.append(value),
        MessageFramer("native", cache),
        Cadence(0.0, loop=True, limit=2 * len(real)),
    )
    ids = [decoded(value, cache).alert_id for value in sent]
    assert ids[: len(real)] == ids[len(real) :]


def test_fink_ztf_light_curve_columns_and_timestamps_move(cache):
    (alert, *_) = alerts_of([FINK_ZTF_MULTI], cache)
    renumbering = Renumbering()
    renumbering.learn(alert)
    renumbering.close()
    before, after = whole_record(alert), whole_record(renumbering(alert, 2))
    shift = 2 * renumbering.days
    assert after["cjd"] == pytest.approx([jd + shift for jd in before["cjd"]])
    assert (after["timestamp"] - before["timestamp"]).total_seconds() == pytest.approx(
        shift * 86400
    )
    cand_before, cand_after = before["candidate"], after["candidate"]
    for name in ("jd", "jdstarthist", "jdendhist"):
        assert cand_after[name] == pytest.approx(cand_before[name] + shift)
    assert cand_after["jdstartref"] == cand_before["jdstartref"]  # the same reference image
    assert after["objectId"] == before["objectId"]
    assert after["cutoutScience"] == before["cutoutScience"]


def test_with_speed_a_new_pass_starts_at_once(cache):
    """The day between two passes' nights is not waited (at speed 1 it would be a day)."""
    stop = threading.Event()
    guard = threading.Timer(20, stop.set)
    guard.start()
    sent = []
    started = time.monotonic()
    try:
        progress = replay(
            [ZTF_FILES[0]],
            lambda key, value: sent.append(value),
            MessageFramer("native", cache),
            Cadence(speed=1.0, loop=True, renumber=True, limit=PASSES),
            stop=stop,
        )
    finally:
        guard.cancel()
    assert progress.alerts == PASSES and time.monotonic() - started < 10
    mjds = [decoded(value, cache).mjd for value in sent]
    assert mjds == pytest.approx([mjds[0] + k for k in range(PASSES)], abs=1e-6)  # a day on
