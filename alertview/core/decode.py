"""Bytes -> Alerts: framing (``packets``) then the survey mapping (``surveys``).

The single entry point for files and Kafka messages alike, so both routes
give the same Alert for the same packet.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from alertview.core.alert import Alert, Origin
from alertview.core.avro.packets import Framing, decode_bytes, decode_container, read_single
from alertview.core.avro.schemas import SchemaCache, WriterSchema
from alertview.core.errors import DecodeError
from alertview.core.sources import iter_blobs
from alertview.core.surveys import to_alert

log = logging.getLogger(__name__)


def decode_packet(
    data: bytes,
    cache: SchemaCache,
    *,
    origin: Origin,
    key: bytes | None = None,
    schema: WriterSchema | None = None,
    table_only: bool = False,
    light_curve_only: bool = False,
) -> Iterator[Alert]:
    """Alerts in one packet (a message value, or a file holding one or many records).

    ``table_only`` decodes a single-alert packet only as far as the table's
    fields (see ``Alert.history_decoded``): ~8x faster for ZTF, ~200x for Rubin.
    ``light_curve_only`` decodes what the viewer shows (``Alert.complete``
    is then False): half the time of a whole Rubin packet.

    Only ``DecodeError`` comes out of here: an exception nobody foresaw (a
    packet no test has met) becomes one ``internal error`` for this packet,
    so the packets after it are still read.
    """
    decoded_records = decode_bytes(
        data,
        cache,
        key=key,
        schema=schema,
        source=origin.source,
        table_only=table_only,
        light_curve_only=light_curve_only,
    )
    try:
        for decoded in decoded_records:
            yield to_alert(
                decoded,
                Origin(
                    origin.source,
                    decoded.index,
                    origin.topic,
                    origin.partition,
                    origin.offset,
                ),
            )
    except DecodeError:
        raise
    except Exception as exc:
        log.debug("decoding %s failed", origin.source, exc_info=True)
        raise DecodeError.internal(exc, origin.source) from exc


def whole_record(alert: Alert) -> Mapping[str, Any]:
    """Every field of ``alert``'s packet: its record, decoded again when it was decoded
    for display only (``Alert.complete`` False)."""
    if alert.complete or alert.writer_schema is None:
        return alert.record
    if alert.framing is Framing.CONTAINER:  # one alert per file (a message, or a file's)
        return next(decode_container(alert.packet, SchemaCache())).record
    start = 5 if alert.framing is Framing.CONFLUENT else 0
    return read_single(alert.packet[start:], alert.writer_schema, alert.framing).record


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
            yield from decode_packet(blob.data, cache, origin=Origin(blob.source), schema=schema)
        except DecodeError as exc:
            yield exc.located(blob.source)
