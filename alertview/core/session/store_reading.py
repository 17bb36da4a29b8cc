"""Reading a session back: a stored alert's packet, and which writer schemas its
alerts came with (the viewer's Schemas view).

Only the table's fields live in the index; everything else is decoded on
demand (``decode.decode_stored``) from the packet, with the writer schema the
index kept for it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from alertview.core.alert import Origin
from alertview.core.avro.container import container_schema
from alertview.core.avro.packets import Framing, Packet
from alertview.core.avro.schemas import SchemaCache
from alertview.core.errors import DecodeError
from alertview.core.session.segments import Segments
from alertview.core.session.store_errors import StoreError


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
    """The reading side of ``AlertStore``: packets and schemas by row."""

    # provided by AlertStore
    @property
    def _db(self) -> sqlite3.Connection:  # this thread's connection
        raise NotImplementedError

    _segments: Segments

    def _dropped_message(self, row: int, alert_id: int | str, why: int) -> str:
        raise NotImplementedError  # provided by AlertStore (store_retention)

    def _missing_packet(self, row: int, alert_id: int | str, exc: OSError) -> StoreError:
        raise NotImplementedError  # provided by AlertStore (store_retention)

    def last_row(self) -> int:
        """The newest stored row's number (0: none): where a load of the session ends
        and a live stream's new rows begin."""
        return self._db.execute("SELECT IFNULL(MAX(row), 0) FROM alerts").fetchone()[0]

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

    def read(self, row: int, cache: SchemaCache) -> tuple[Packet, Origin]:
        """A stored alert's packet, its writer schema taken through ``cache`` (to decode
        it again: ``decode.decode_stored``), and where the alert came from. Raises
        ``StoreError`` (the row or its bytes are missing, or the session's retention
        dropped its packet: one line saying so) or ``DecodeError`` (a container
        file's header cannot be read)."""
        found = self._db.execute(
            "SELECT a.framing, s.json, s.schema_id, a.topic, a.partition, a.kafka_offset, "
            "a.source, a.record_index, a.segment, a.position, a.length, a.alert_id, "
            "a.dropped FROM alerts a LEFT JOIN schemas s ON a.schema_ref = s.ref "
            "WHERE a.row = ?",
            (row,),
        ).fetchone()
        if found is None:
            raise StoreError(f"no alert at row {row}")
        framing, schema_json, schema_id, topic, partition, offset, source, index = found[:8]
        alert_id, dropped = found[11:]
        if dropped is not None:
            raise StoreError(self._dropped_message(row, alert_id, dropped))
        # a row is committed only after its bytes were written: no lock needed here
        try:
            data = self._segments.read(*found[8:11])
        except OSError as exc:  # SegmentError, or dropped since by the writer's retention
            raise self._missing_packet(row, alert_id, exc) from None
        if schema_json is None:  # a container file holds its own
            try:
                schema = container_schema(data, cache)
            except DecodeError as exc:
                raise exc.located(source) from None
        else:
            schema = cache.from_text(schema_json.encode(), origin="store")
            if schema_id is not None:
                cache.remember_id(schema_id, schema)
        origin = Origin(source or "", index or 0, topic, partition, offset)
        return Packet(data, Framing(framing), schema), origin
