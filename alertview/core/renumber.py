"""New ids and later times for replayed copies of real alerts, so a loop looks live.

A stream that loops over the same few files would only re-deliver alerts the
store already holds (they are unique by survey and id), all from the same
nights. Each later pass therefore sends the same real packets with

- a new alert id: the id plus ``pass * step``, where ``step`` (one per survey)
  is the smallest power of ten modulo which the replayed set's ids are all
  different. Two copies then share an id only if they are one alert of one
  pass, and a copy's last digits still name the real alert it copies (ZTF
  candids of one exposure differ by 1, so "the pass number" alone collided);
- later times: every detection, history and processing time moved by
  ``pass * days``, where the pass's duration ``days`` is the smallest whole
  number of days longer than the span of the set's detection times. A night's
  archive (< 1 day) comes back as the next night at the same hours; the light
  curve keeps its shape (the history stays before the detection) and a looped
  stream moves forward in time, as a real one does.

The object id stays, so the copies line up as one object's alerts; the packet
keeps its framing (container file, Confluent frame with the same schema id),
cutouts and every other field.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta
from typing import Any

from alertview.core.alert import Alert
from alertview.core.avro.encode import repacked
from alertview.core.avro.packets import DecodedRecord
from alertview.core.decode import whole_record
from alertview.core.errors import AlertViewError
from alertview.core.surveys import to_alert

#: Avro's long, the type of every alert id.
LONG_MAX = 2**63 - 1
#: Up to this many ids are kept to find the step; a bigger set steps past its span.
KEPT_IDS = 200_000

#: Times in days (JD or MJD), wherever they appear in a packet: ZTF and Fink-ZTF
#: (candidate, prv_candidates, fp_hists), Rubin v3-v11 and Fink-Rubin. The reference
#: image's epochs (``jdstartref``/``jdendref``) are those of the same reference: kept.
DAY_FIELDS = frozenset(
    {
        "jd", "jdstarthist", "jdendhist", "jd_first_real_det",  # ZTF, Fink-ZTF
        "midpointMjdTai", "midPointTai", "timeProcessedMjdTai", "timeWithdrawnMjdTai",
        "validityStartMjdTai", "validityEndMjdTai", "firstDiaSourceMjdTai",
        "lastDiaSourceMjdTai", "brokerIngestMjd", "firstDiaSourceMjdTaiFink",  # Rubin, Fink
    }
)  # fmt: skip
#: Arrays of days: Fink's light-curve columns.
DAY_ARRAYS = frozenset({"cjd"})
#: Fink's processing times (a datetime or "YYYY-MM-DD hh:mm:ss[.ffffff]").
TIMESTAMPS = frozenset(
    {"timestamp", "brokerIngestTimestamp", "brokerStartProcessTimestamp",
     "brokerEndProcessTimestamp"}
)  # fmt: skip


class RenumberError(AlertViewError):
    """The copies' ids would no longer fit in Avro's long."""


def renumbered(alert: Alert, pass_number: int, step: int = 1, days: float = 0.0) -> Alert:
    """A copy of ``alert`` whose alert id is larger by ``pass_number * step`` and whose
    times are later by ``pass_number * days``."""
    if pass_number == 0 or alert.packet.schema is None:
        return alert
    offset = pass_number * step
    record = copy.copy(dict(whole_record(alert)))
    if alert.survey == "ztf":
        if record.get("alertId") is not None:  # the 2017 prototype's alert id
            record["alertId"] += offset
        candidate = record["candidate"]
        if candidate.get("candid") is not None:
            record["candidate"] = {**candidate, "candid": candidate["candid"] + offset}
        if record.get("candid") is not None:
            record["candid"] += offset
        record["prv_candidates"] = _shift_ids(record.get("prv_candidates"), "candid", offset)
    elif isinstance(record.get("diaSource"), dict):
        source = {**record["diaSource"]}
        source["diaSourceId"] += offset
        record["diaSource"] = source
        for name in ("diaSourceId", "alertId"):
            if record.get(name) is not None:
                record[name] += offset
        if "prvDiaSources" in record:
            record["prvDiaSources"] = _shift_ids(record["prvDiaSources"], "diaSourceId", offset)
    else:
        return alert
    if days:
        record = _later(record, pass_number * days)
    return to_alert(DecodedRecord(record, repacked(record, alert.packet)), alert.origin)


def _shift_ids(entries: Any, name: str, offset: int) -> Any:
    """History entries with their (non-null) ids moved as the alert's: the copies'
    histories name the copies of the earlier alerts."""
    if not isinstance(entries, list):
        return entries
    return [
        {**e, name: e[name] + offset} if isinstance(e, dict) and e.get(name) is not None else e
        for e in entries
    ]


def _later(value: Any, days: float) -> Any:
    """``value`` (a record, an array, a field) with its times ``days`` later."""
    if isinstance(value, list):
        return [_later(v, days) for v in value]
    if not isinstance(value, dict):
        return value
    moved: dict[str, Any] = {}
    for name, field in value.items():
        if name in DAY_FIELDS and isinstance(field, int | float) and not isinstance(field, bool):
            moved[name] = field + days
        elif name in DAY_ARRAYS and isinstance(field, list):
            moved[name] = [v + days if isinstance(v, int | float) else v for v in field]
        elif name in TIMESTAMPS:
            moved[name] = _later_timestamp(field, days)
        elif isinstance(field, dict | list):
            moved[name] = _later(field, days)
        else:
            moved[name] = field
    return moved


def _later_timestamp(value: Any, days: float) -> Any:
    if isinstance(value, datetime):
        return value + timedelta(days=days)
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    spec = "microseconds" if "." in value else "seconds"
    return (parsed + timedelta(days=days)).isoformat(sep=value[10:11] or " ", timespec=spec)


class Renumbering:
    """What a loop's first pass teaches: each survey's id step and the pass's duration.

    Call ``learn`` with every alert of the first pass, ``close`` at its end, then
    the object with each alert of a later pass and the pass number.
    """

    def __init__(self, kept_ids: int = KEPT_IDS) -> None:
        self._kept_ids = kept_ids
        self._ids: dict[str, set[int] | None] = {}
        self._range: dict[str, tuple[int, int]] = {}
        self._mjd: tuple[float, float] | None = None
        self.steps: dict[str, int] = {}
        self.days = 1.0

    def learn(self, alert: Alert) -> None:
        ids = self._ids.setdefault(alert.survey, set())
        if ids is not None:
            ids.add(alert.alert_id)
            if len(ids) > self._kept_ids:
                self._ids[alert.survey] = None
        low, high = self._range.get(alert.survey, (alert.alert_id, alert.alert_id))
        self._range[alert.survey] = (min(low, alert.alert_id), max(high, alert.alert_id))
        if isinstance(alert.mjd, float) and math.isfinite(alert.mjd):
            first, last = self._mjd or (alert.mjd, alert.mjd)
            self._mjd = (min(first, alert.mjd), max(last, alert.mjd))

    def close(self) -> None:
        """Fix the steps and the duration from what the first pass held."""
        for survey, (low, high) in self._range.items():
            self.steps[survey] = id_step(self._ids[survey], high - low)
        if self._mjd is not None:
            self.days = float(math.floor(self._mjd[1] - self._mjd[0]) + 1)
        self._ids.clear()

    def check(self, pass_number: int) -> None:
        """Raise RenumberError if this pass's ids would pass Avro's long."""
        for survey, (_, high) in self._range.items():
            if high + pass_number * self.steps[survey] > LONG_MAX:
                raise RenumberError(
                    f"--renumber: pass {pass_number + 1} would take {survey} alert ids past "
                    f"2^63-1 (step {self.steps[survey]}); replay fewer files or stop earlier"
                )

    def __call__(self, alert: Alert, pass_number: int) -> Alert:
        return renumbered(alert, pass_number, self.steps.get(alert.survey, 1), self.days)


def id_step(ids: set[int] | None, span: int) -> int:
    """The smallest power of ten modulo which ``ids`` all differ (then ``id + k * step``
    never meets another id of another pass); without the ids, the first above their
    ``span``."""
    step = 10
    while step <= span and (ids is None or len({i % step for i in ids}) < len(ids)):
        step *= 10
    return step
