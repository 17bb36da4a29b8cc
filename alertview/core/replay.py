"""Make a stream: publish alert files into a topic at survey cadence.

Alerts are grouped into visits, as the Rubin and lsst-dm/alert_stream
simulators do: ZTF by exposure (the candidate's ``jd``, shared by all 64
CCD quadrants of one exposure), Rubin by ``diaSource.visit``, or in fixed
groups of ``visit_size``. Consecutive alerts of one visit form a group, so a
night's archive streams through in constant memory. One visit goes out every
``interval`` seconds (0: as fast as the broker takes them), or with the real
time gaps divided by ``speed``.

With ``loop`` the files are sent again and again; with ``renumber`` too, each
later pass sends copies with new alert ids and times moved on by the pass's
duration (``core.renumber``), so a long replay looks like a live stream. With
``speed`` a new pass starts right after the last one: the gap between the
passes' nights is not waited.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from alertview.core.alert import Alert
from alertview.core.avro.encode import (
    as_container_file,
    confluent_frame,
    rubin_native_record,
    schemaless_body,
)
from alertview.core.avro.packets import Framing
from alertview.core.avro.schemas import SchemaCache, lsst_schema_id
from alertview.core.decode import read_alerts, whole_record
from alertview.core.errors import AlertViewError, DecodeError
from alertview.core.renumber import Renumbering

FramingChoice = Literal["native", "confluent", "fink"]
FRAMINGS = ("native", "confluent", "fink")
log = logging.getLogger(__name__)


class ReplayError(AlertViewError):
    """The replay cannot go on (a framing that does not fit, a failed send)."""


@dataclass(frozen=True)
class Cadence:
    """How alerts are grouped and paced."""

    interval: float = 37.0
    speed: float | None = None
    visit_size: int | None = None
    loop: bool = False
    limit: int | None = None
    #: On a loop's later passes, new alert ids and later times (see ``core.renumber``).
    renumber: bool = False


@dataclass
class ReplayProgress:
    visits: int = 0
    alerts: int = 0
    bytes: int = 0
    #: Inputs not sent (unreadable, undecodable, or a framing bug), each once.
    skipped: list[DecodeError] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.alerts / elapsed if elapsed > 0 else 0.0


def visit_key(alert: Alert) -> Hashable:
    """What one visit (exposure) shares; None when the packet does not say."""
    record = alert.record
    if alert.survey == "ztf":
        return (record.get("candidate") or {}).get("jd")
    if alert.survey in ("lsst", "elasticc"):
        source = record.get("diaSource") or {}
        return source.get("visit", source.get("ccdVisitId"))
    return None


#: A visit is cut here whatever its key says, so memory stays bounded.
MAX_VISIT = 50_000


def group_visits(
    alerts: Iterable[Alert | None], visit_size: int | None = None
) -> Iterator[list[Alert]]:
    """Consecutive alerts of one visit (or fixed-size groups); None ends a visit."""
    visit: list[Alert] = []
    current: Hashable = object()
    for alert in alerts:
        if alert is None or len(visit) >= MAX_VISIT:
            if visit:
                yield visit
            visit, current = [], object()
            if alert is None:
                continue
        key = None if visit_size else visit_key(alert)
        full = visit_size is not None and len(visit) >= visit_size
        if visit and (full or key != current or (key is None and not visit_size)):
            yield visit
            visit = []
        visit.append(alert)
        current = key
    if visit:
        yield visit


class MessageFramer:
    """Alert -> (key, value) as a survey or broker would send it."""

    def __init__(self, framing: FramingChoice, cache: SchemaCache, schema_id: int | None = None):
        if framing not in FRAMINGS:
            raise ReplayError(f"unknown framing {framing!r}; choose one of {', '.join(FRAMINGS)}")
        self.framing = framing
        self.cache = cache
        self.schema_id = schema_id

    def __call__(self, alert: Alert) -> tuple[bytes | None, bytes]:
        if self.framing == "fink":
            return self._fink(alert)
        if alert.survey == "lsst":
            return str(alert.alert_id).encode(), self._rubin_confluent(alert)
        if self.framing == "confluent":
            return str(alert.alert_id).encode(), self._confluent(alert)
        return str(alert.alert_id).encode(), as_container_file(alert.packet, whole_record(alert))

    def _rubin_confluent(self, alert: Alert) -> bytes:
        if alert.packet.framing is Framing.CONFLUENT:
            return alert.packet.data
        version = alert.schema_label.removeprefix("lsst ").split(".")
        if len(version) != 2 or not all(v.isdigit() for v in version):
            raise ReplayError(f"alert {alert.alert_id}: no Rubin schema version to frame it with")
        schema_id = lsst_schema_id(int(version[0]), int(version[1]))
        schema = self.cache.by_id(schema_id)
        record = rubin_native_record(whole_record(alert))
        return confluent_frame(schemaless_body(record, schema), schema_id)

    def _confluent(self, alert: Alert) -> bytes:
        if self.schema_id is None:
            raise ReplayError(
                f"{alert.survey} alerts have no registry schema id: give --schema-id "
                "(registered in your schema registry) or use --framing native or fink"
            )
        body = schemaless_body(whole_record(alert), alert.packet.schema)
        return confluent_frame(body, self.schema_id)

    def _fink(self, alert: Alert) -> tuple[bytes, bytes]:
        schema = alert.packet.schema
        key = schema.json.encode()
        if alert.packet.framing in (Framing.SCHEMALESS, Framing.FINK):
            return key, alert.packet.data
        return key, schemaless_body(whole_record(alert), schema)


Sender = Callable[[bytes | None, bytes], None]


class StopFlag(Protocol):
    """What ``replay`` is stopped by: a ``threading.Event``, a process's event."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def replay(
    paths: Iterable[str | os.PathLike],
    send: Sender,
    framer: MessageFramer,
    cadence: Cadence,
    *,
    on_visit: Callable[[ReplayProgress, list[Alert]], None] | None = None,
    stop: StopFlag | None = None,
    cache: SchemaCache | None = None,
) -> ReplayProgress:
    """Send every alert under ``paths``, visit by visit; returns what was sent."""
    paths = list(paths)
    cache = cache or framer.cache
    progress = ReplayProgress()
    stop = stop or threading.Event()
    next_time = time.monotonic()
    last_mjd: float | None = None
    renumbering = Renumbering() if cadence.renumber else None
    reading = [0]  # the pass alerts() reads (it runs a visit ahead of the sending)
    paced_pass = 0

    def skip(error: DecodeError, loop_pass: int) -> None:
        if loop_pass == 0:  # a loop meets the same bad inputs on every pass
            progress.skipped.append(error)

    def alerts() -> Iterator[Alert | None]:
        loop_pass = 0
        while True:
            found = False
            for path in paths:
                try:
                    for item in read_alerts([path], cache):
                        if isinstance(item, DecodeError):
                            skip(item, loop_pass)
                            continue
                        found = True
                        if renumbering is not None and loop_pass == 0:
                            renumbering.learn(item)
                        elif renumbering is not None:
                            try:
                                item = renumbering(item, loop_pass)
                            except Exception as exc:  # this alert's copies are not sent
                                log.debug("renumbering %s failed", item.origin, exc_info=True)
                                if loop_pass == 1:
                                    progress.skipped.append(
                                        DecodeError.internal(exc, str(item.origin))
                                    )
                                continue
                        yield item
                except Exception as exc:  # unforeseen: this path ends, the next is read
                    log.debug("replaying %s failed", path, exc_info=True)
                    skip(DecodeError.internal(exc, str(path)), loop_pass)
            yield None  # a pass ends the visit it was in
            loop_pass += 1
            if not cadence.loop or not found or stop.is_set():
                return
            if renumbering is not None:
                if loop_pass == 1:
                    renumbering.close()
                renumbering.check(loop_pass)
            reading[0] = loop_pass

    for visit in group_visits(alerts(), cadence.visit_size):
        if cadence.limit is not None:
            visit = visit[: max(0, cadence.limit - progress.alerts)]
            if not visit:
                break
        if cadence.speed:
            if reading[0] != paced_pass:  # a new pass: no wait for the gap back (or on)
                paced_pass, last_mjd = reading[0], None
            mjd = visit[0].mjd
            if last_mjd is not None:
                next_time += max(0.0, (mjd - last_mjd) * 86400.0 / cadence.speed)
            last_mjd = mjd
        if stop.wait(max(0.0, next_time - time.monotonic())):
            break
        for alert in visit:
            try:
                key, value = framer(alert)
            except ReplayError:
                raise  # a framing that cannot fit these alerts at all
            except Exception as exc:  # one alert's bug: reported, the others are sent
                log.debug("framing %s failed", alert.origin, exc_info=True)
                progress.skipped.append(DecodeError.internal(exc, str(alert.origin)))
                continue
            send(key, value)
            progress.alerts += 1
            progress.bytes += len(value)
        progress.visits += 1
        if on_visit is not None:
            on_visit(progress, visit)
        if not cadence.speed:
            next_time += cadence.interval
        if cadence.limit is not None and progress.alerts >= cadence.limit:
            break
    return progress
