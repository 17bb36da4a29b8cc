"""Reading a session back: a stored alert's packet, decoded again, and which
writer schemas its alerts came with (the viewer's Schemas view).

Only the table's fields live in the index; everything else is decoded on
demand from the packet, with the writer schema the index kept for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alertview.core.alert import Alert, Origin
from alertview.core.avro.packets import FULL, LIGHT_CURVE, Framing, decode_bytes, read_single
from alertview.core.avro.schemas import SchemaCache
from alertview.core.session.segments import SegmentError, Segments
from alertview.core.session.store_errors import StoreError
from alertview.core.surveys import to_alert


@dataclass(frozen=True, slots=True)
class SchemaUse:
    """One writer schema met on one topic: what the viewer's Schemas view lists."""

    topic: str | None
    schema_id: int | None
    label: str | None
    #: Where the schema was found: lsst-alert-packet, a registry (redacted URL),
    #: "container header", "message key" ...; None for sessions stored before it was kept.
    origin: str | None
    alerts: int


class StoredAlerts:
    """The reading side of ``AlertStore``: packets, alerts and schemas by row."""

    # provided by AlertStore
    _db: sqlite3.Connection
    _segments: Segments

    def schema_summary(self) -> list[SchemaUse]:
        """Per topic (or file), each writer schema its alerts came with: id, version
        label, where it was found, how many alerts. Container files carry their
        schema in their header (no id)."""
        query = (
            "SELECT COALESCE(a.topic, a.source), s.schema_id, a.schema, "
            "CASE WHEN a.framing = ? THEN 'container header' ELSE s.origin END, COUNT(*) "
            "FROM alerts a LEFT JOIN schemas s ON a.schema_ref = s.ref "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3"
        )
        return [SchemaUse(*r) for r in self._db.execute(query, (str(Framing.CONTAINER),))]

    def packet(self, row: int) -> bytes:
        """The raw packet bytes of a stored alert, read from its segment."""
        found = self._db.execute(
            "SELECT segment, position, length FROM alerts WHERE row = ?", (row,)
        ).fetchone()
        if found is None:
            raise StoreError(f"no alert at row {row}")
        segment, position, length = found
        # a row is committed only after its bytes were written: no lock needed here
        try:
            return self._segments.read(segment, position, length)
        except SegmentError as exc:
            raise StoreError(f"row {row}: {exc}") from None

    def alert(self, row: int, cache: SchemaCache, light_curve_only: bool = False) -> Alert:
        """A stored alert decoded again from its packet (``light_curve_only``: as
        much as the viewer shows, see ``decode_bytes``)."""
        found = self._db.execute(
            "SELECT a.framing, s.json, s.schema_id, a.topic, a.partition, a.kafka_offset, "
            "a.source, a.record_index FROM alerts a LEFT JOIN schemas s "
            "ON a.schema_ref = s.ref WHERE a.row = ?",
            (row,),
        ).fetchone()
        if found is None:
            raise StoreError(f"no alert at row {row}")
        framing, schema_json, schema_id, topic, partition, offset, source, index = found
        data = self.packet(row)
        key = schema = None
        if schema_json is not None:
            writer = cache.from_text(schema_json.encode(), origin="store")
            if framing == Framing.CONFLUENT and schema_id is not None:
                cache.remember_id(schema_id, writer)
            elif framing == Framing.FINK:
                key = schema_json.encode()
            else:
                schema = writer
        origin = Origin(source or "", index or 0, topic, partition, offset)
        part = LIGHT_CURVE if light_curve_only else FULL
        if framing == Framing.SCHEMALESS and schema is not None:
            decoded = read_single(data, schema, part=part)
        else:
            decoded = next(
                iter(
                    decode_bytes(
                        data,
                        cache,
                        key=key,
                        schema=schema,
                        source=source,
                        light_curve_only=light_curve_only,
                    )
                )
            )
        return to_alert(decoded, origin)

    def iter_alerts(self, cache: SchemaCache, rows: Iterable[int]) -> Iterator[Alert]:
        for row in rows:
            yield self.alert(row, cache)
