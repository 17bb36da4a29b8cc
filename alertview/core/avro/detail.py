"""How much of an alert packet is decoded: the one name for it, carried on every Alert."""

from __future__ import annotations

from enum import Enum


class Detail(Enum):
    """What a decode reads from a packet, in increasing cost.

    TABLE reads only the fields the table shows (the history is skipped);
    LIGHT_CURVE adds the history records with only the fields the panels draw;
    FULL is every field of the writer schema (the CLI, export, the details panel).
    """

    TABLE = 1
    LIGHT_CURVE = 2
    FULL = 3
