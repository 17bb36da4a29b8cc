"""Helpers shared by the survey mappings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertview.core.alert import Origin
from alertview.core.avro.packets import DecodedRecord

CUTOUT_FIELDS = {
    "science": "cutoutScience",
    "template": "cutoutTemplate",
    "difference": "cutoutDifference",
}


def cutout_stamps(record: Mapping[str, Any]) -> dict[str, bytes]:
    """Non-empty stamp bytes by name; ZTF wraps them in ``{fileName, stampData}``."""
    stamps = {}
    for name, field in CUTOUT_FIELDS.items():
        value = record.get(field)
        if isinstance(value, dict):
            value = value.get("stampData")
        if isinstance(value, bytes) and value:
            stamps[name] = value
    return stamps


def first_present(record: Mapping[str, Any], *names: str) -> Any:
    """The value of the first of ``names`` present and not null (schemas rename fields)."""
    for name in names:
        value = record.get(name)
        if value is not None:
            return value
    return None


def packet_fields(decoded: DecodedRecord, origin: Origin) -> dict[str, Any]:
    """The Alert fields every survey fills the same way: where it came from, as what."""
    return {
        "cutouts": cutout_stamps(decoded.record),
        "record": decoded.record,
        "packet": decoded.packet,
        "origin": origin,
        "detail": decoded.detail,
    }
