"""Rubin's solar-system object ids as the designations astronomers know.

A Rubin source on a known asteroid has no ``diaObjectId`` (0 or null): its
``ssObjectId`` is the Minor Planet Center's packed designation, its ASCII
bytes read as a big-endian integer (``21163624394469969`` = ``K04J12Q`` =
2004 JQ12, the ``designation`` of the packet's ``ssSource``). The table reads
only ``diaSource``, so the designation is unpacked from the id rather than
read from ``ssSource``, which comes after the history.
"""

from __future__ import annotations

import string

#: MPC's packed digits: 0-9, then A-Z for 10-35, then a-z for 36-61.
_DIGITS = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CENTURIES = {"I": "18", "J": "19", "K": "20"}
#: The Object cell of a solar-system source whose id holds no designation.
UNNAMED_PREFIX = "ssObject "


def unpack_designation(packed: str) -> str | None:
    """A packed provisional designation (``K04J12Q``) or number (``00433``,
    ``A0345``) unpacked (``2004 JQ12``, ``433``, ``100345``); None otherwise."""
    if len(packed) == 7 and packed[0] in _CENTURIES:
        year, half, tens, units, second = packed[1:3], packed[3], *packed[4:]
        if not (year.isdigit() and half.isupper() and second.isupper() and units.isdigit()):
            return None
        if tens not in _DIGITS:
            return None
        count = _DIGITS.index(tens) * 10 + int(units)
        return f"{_CENTURIES[packed[0]]}{year} {half}{second}{count or ''}"
    if len(packed) == 5 and packed[1:].isdigit() and packed[0] in _DIGITS:
        return str(_DIGITS.index(packed[0]) * 10_000 + int(packed[1:]))
    return None


def designation(ss_object_id: int) -> str | None:
    """The designation packed in a Rubin ``ssObjectId``; None if it holds none."""
    if ss_object_id <= 0 or ss_object_id >= 2**64:
        return None
    text = ss_object_id.to_bytes(8, "big").lstrip(b"\0")
    if not text or not all(32 < byte < 127 for byte in text):
        return None
    return unpack_designation(text.decode("ascii"))


def sso_object_id(ss_object_id: int) -> str:
    """The Object cell of a solar-system source: its designation, else the id."""
    return designation(ss_object_id) or f"{UNNAMED_PREFIX}{ss_object_id}"
