"""Bytes -> Alerts: records (``packets``) then the survey mapping (``surveys``).

The single entry point for files, Kafka messages and stored packets alike, so
every route gives the same Alert for the same packet.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from alertview.core.alert import Alert, Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.packets import Packet, read_records
from alertview.core.avro.schemas import SchemaCache, WriterSchema
from alertview.core.errors import AlertViewError, DecodeError
from alertview.core.sources import iter_blobs
from alertview.core.surveys import to_alert

log = logging.getLogger(__name__)


def decode_bytes(
    data: bytes,
    cache: SchemaCache,
    *,
    origin: Origin,
    key: bytes | None = None,
    schema: WriterSchema | None = None,
    detail: Detail = Detail.FULL,
) -> Iterator[Alert]:
    """Alerts in a message value, or a file holding one or many records.

    ``detail`` TABLE decodes a single-alert packet only as far as the table's
    fields: ~8x faster for ZTF, ~200x for Rubin. LIGHT_CURVE decodes what the
    viewer shows: half the time of a whole Rubin packet.

    Only ``DecodeError`` comes out of here: an exception nobody foresaw (a
    packet no test has met) becomes one ``internal error`` for this packet,
    so the packets after it are still read.
    """
    source, topic, partition, offset = origin.source, origin.topic, origin.partition, origin.offset
    records = read_records(data, cache, key=key, schema=schema, source=source, detail=detail)
    try:
        for decoded in records:
            yield to_alert(decoded, Origin(source, decoded.index, topic, partition, offset))
    except DecodeError:
        raise
    except Exception as exc:
        log.debug("decoding %s failed", origin.source, exc_info=True)
        raise DecodeError.internal(exc, origin.source) from exc


def decode_alert(
    packet: Packet,
    origin: Origin,
    detail: Detail = Detail.FULL,
    cache: SchemaCache | None = None,
) -> Alert:
    """The alert of a known packet (a stored one), decoded as far as ``detail`` asks."""
    try:
        decoded = packet.decode(detail, cache)
    except DecodeError as exc:
        raise exc.located(origin.source) from None
    return to_alert(decoded, origin)


class PacketStore(Protocol):
    """Where packets are kept by row (``session.store.AlertStore``)."""

    def read(self, row: int, cache: SchemaCache) -> tuple[Packet, Origin]: ...

    def history_pending(self, after: int = 0, limit: int = 64) -> list[int]: ...

    def set_history(self, done: Sequence[tuple]) -> None: ...

    def add_errors(self, errors: Iterable[object]) -> None: ...


def decode_stored(
    store: PacketStore, row: int, cache: SchemaCache, detail: Detail = Detail.FULL
) -> Alert:
    """The alert stored at ``row``, decoded again from its packet."""
    return decode_alert(*store.read(row, cache), detail, cache)


class HistoryCompletion:
    """Counts the history of rows a live stream stored from their table fields only.

    A live stream decodes the table's fields first (``Detail.TABLE``: a Rubin
    visit in seconds); while it is idle, this decodes those rows' light curves,
    oldest first, and fills in their counts (``AlertStore.set_history``).
    """

    def __init__(self, store: PacketStore, cache: SchemaCache) -> None:
        self.store = store
        self.cache = cache
        self._after = 0  # the rows up to it were tried

    def run(self, budget: float = 0.05) -> list[tuple]:
        """Complete rows for about ``budget`` seconds; returns (row, n_detections,
        n_upper_limits, n_forced, schema label) of each."""
        deadline = time.monotonic() + budget
        done: list[tuple] = []
        while time.monotonic() < deadline:
            pending = self.store.history_pending(self._after)
            if not pending:
                break
            for row in pending:
                self._after = row
                try:  # the counts need only what the light curve reads (2x faster)
                    alert = decode_stored(self.store, row, self.cache, Detail.LIGHT_CURVE)
                except Exception as exc:  # one packet's bug must not stop the stream
                    known = isinstance(exc, (AlertViewError, OSError))
                    reason = str(exc) if known else DecodeError.internal(exc).reason
                    error = DecodeError(f"row {row}: history cannot be decoded: {reason}")
                    self.store.add_errors([error])
                    continue
                counts = (len(alert.detections), alert.n_upper_limits, alert.n_forced)
                done.append((row, *counts, alert.schema_label))
                if time.monotonic() >= deadline:
                    break
        self.store.set_history(done)
        return done


def whole_record(alert: Alert) -> Mapping[str, Any]:
    """Every field of ``alert``'s packet: its record, decoded again when less than all
    of it was decoded (the viewer's LIGHT_CURVE)."""
    if alert.detail is Detail.FULL:
        return alert.record
    return alert.packet.decode(Detail.FULL).record


def read_alerts(
    paths: Iterable[str | os.PathLike],
    cache: SchemaCache,
    schema: WriterSchema | None = None,
) -> Iterator[Alert | DecodeError]:
    """Every alert under ``paths``; unreadable parts come out as DecodeError, in order."""
    for blob in iter_blobs(paths):
        if isinstance(blob, DecodeError):
            yield blob
            continue
        try:
            yield from decode_bytes(blob.data, cache, origin=Origin(blob.source), schema=schema)
        except DecodeError as exc:
            yield exc.located(blob.source)
