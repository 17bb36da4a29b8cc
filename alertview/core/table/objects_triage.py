"""The triage of each object's alerts, counted per state: the Objects table's Triage
column. Counted again whenever the user triages (one ``bincount`` over the alerts of
the table: ~10 ms for 10^6 alerts), without rebuilding the objects."""

from __future__ import annotations

import numpy as np

from alertview.core.table.columns import TextColumn
from alertview.core.table.objects import ObjectTable
from alertview.core.table.triage import TRIAGE_STATES, UNSCANNED

#: The columns of ``triage_counts``: each state, then the alerts without one.
COUNTED = (*TRIAGE_STATES, UNSCANNED)
#: How the Triage column names each state.
LABELS = {"interesting": "interesting", "followup": "follow-up", "reject": "reject"}


def triage_counts(table: ObjectTable, triage: TextColumn) -> np.ndarray:
    """Per object of ``table`` (rows) the number of its alerts of each of ``COUNTED``
    (columns); ``triage`` is the columns' triage state column."""
    width = len(COUNTED)
    state_of_code = np.array(
        [TRIAGE_STATES.index(v) if v in TRIAGE_STATES else width - 1 for v in triage.values]
        or [width - 1],
        dtype=np.int64,
    )
    positions, starts = table.grouped()
    codes = triage.codes.values[positions]
    group = np.repeat(np.arange(len(table), dtype=np.int64), np.diff(starts))
    counts = np.bincount(group * width + state_of_code[codes], minlength=len(table) * width)
    return counts.reshape(len(table), width)


def triage_text(counts: np.ndarray) -> str:
    """One object's counts as the Triage column shows them: "3 follow-up, 1 reject",
    with the alerts left unscanned once any is triaged ("" when none is)."""
    parts = [f"{int(n)} {LABELS[s]}" for s, n in zip(TRIAGE_STATES, counts, strict=False) if n]
    if parts and counts[-1]:
        parts.append(f"{int(counts[-1])} unscanned")
    return ", ".join(parts)


def triage_sort_key(counts: np.ndarray) -> np.ndarray:
    """Sorts objects by follow-ups, then interesting ones, then rejects (descending:
    the objects worth a look first); counts of a million alerts each stay apart."""
    scale = 2.0**21
    index = {s: i for i, s in enumerate(COUNTED)}
    key: np.ndarray = (
        counts[:, index["followup"]] * scale * scale
        + counts[:, index["interesting"]] * scale
        + counts[:, index["reject"]]
    ).astype(np.float64)
    return key
