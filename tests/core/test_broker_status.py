"""The outage line the stream's process sends the viewer: local time, shown only while down."""

from __future__ import annotations

import pickle
import time

from alertview.core.stream.messages import BrokerStatus


def test_an_outage_is_described_in_local_time():
    since = time.mktime((2026, 3, 4, 1, 2, 3, 0, 0, -1))  # 01:02:03 local time
    status = BrokerStatus(since, "Connection refused")
    assert status.down
    assert status.describe() == "broker unreachable since 01:02:03"
    assert pickle.loads(pickle.dumps(status)) == status  # it crosses the process pipe


def test_a_reachable_broker_says_nothing():
    assert not BrokerStatus().down
    assert BrokerStatus().describe() == ""
