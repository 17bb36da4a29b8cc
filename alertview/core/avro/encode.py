"""Records -> bytes in each framing a stream carries (for replay and export).

The inverse of ``packets``: a container file per message (ZTF), the
Confluent wire format (Rubin), a schemaless body with the schema as the
message key (Fink).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Mapping
from typing import Any

import fastavro

from alertview.core.avro.packets import Framing, Packet
from alertview.core.avro.schemas import WriterSchema


def schemaless_body(record: Mapping[str, Any], schema: WriterSchema) -> bytes:
    """The Avro binary encoding of one record, without any header."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema.parsed, record)
    return out.getvalue()


def confluent_frame(body: bytes, schema_id: int) -> bytes:
    """Confluent wire format: a zero byte, the big-endian schema id, the body."""
    return b"\x00" + struct.pack(">I", schema_id) + body


def container_file(
    records: Iterable[Mapping[str, Any]], schema: WriterSchema, codec: str = "null"
) -> bytes:
    """An Avro object container file holding ``records``."""
    out = io.BytesIO()
    fastavro.writer(out, schema.parsed, records, codec=codec)
    return out.getvalue()


def rubin_native_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Fink-repacked Rubin record with absent sub-records made null again.

    Fink writes a missing ``diaObject``/``ssSource``/``mpc_orbits`` as a record
    whose fields are all null; Rubin's own schemas write it as null.
    """
    return {
        key: None if isinstance(value, dict) and all(v is None for v in value.values()) else value
        for key, value in record.items()
    }


def repacked(record: Mapping[str, Any], like: Packet) -> Packet:
    """``record`` framed as ``like`` is, with its writer schema (a Confluent frame keeps
    its schema id)."""
    if like.framing is Framing.CONTAINER:
        return Packet(container_file([record], like.schema), like.framing, like.schema)
    body = schemaless_body(record, like.schema)
    if like.framing is Framing.CONFLUENT:
        body = like.data[:5] + body
    return Packet(body, like.framing, like.schema)


def as_container_file(packet: Packet, record: Mapping[str, Any]) -> bytes:
    """A packet as its own Avro container file (ZTF's message format; readable anywhere);
    ``record`` is its record decoded whole (``decode.whole_record``)."""
    if packet.framing is Framing.CONTAINER:
        return packet.data
    return container_file([record], packet.schema)
