"""New ids for replayed copies of real alerts, so a looping demo keeps growing.

A stream that loops over the same few files would only re-deliver alerts the
store already holds (they are unique by survey and id). Each later pass
therefore sends the same real packets with the alert id shifted by the pass
number; the object id stays, so the copies line up as one object's alerts.
"""

from __future__ import annotations

import copy

from alertview.core.alert import Alert
from alertview.core.avro.encode import repacked
from alertview.core.avro.packets import DecodedRecord
from alertview.core.decode import whole_record
from alertview.core.surveys import to_alert


def renumbered(alert: Alert, pass_number: int) -> Alert:
    """A copy of ``alert`` whose alert id is larger by ``pass_number``."""
    if pass_number == 0 or alert.packet.schema is None:
        return alert
    record = copy.copy(dict(whole_record(alert)))
    if alert.survey == "ztf":
        if record.get("alertId") is not None:
            record["alertId"] += pass_number
        else:
            record["candid"] += pass_number
            record["candidate"] = {**record["candidate"], "candid": record["candid"]}
    elif isinstance(record.get("diaSource"), dict):
        source = {**record["diaSource"]}
        source["diaSourceId"] += pass_number
        record["diaSource"] = source
        if record.get("diaSourceId") is not None:
            record["diaSourceId"] = source["diaSourceId"]
    else:
        return alert
    return to_alert(DecodedRecord(record, repacked(record, alert.packet)), alert.origin)
