"""The "Follow newest" choice, made without taking the table from under the user.

A live stream adds rows several times a second. Following them only ever scrolls,
and only while the user is not looking at a row: nothing selected, the pointer
elsewhere, the newest row still in sight (not scrolled away). It never selects: the
selected alert is the one the details show and the triage keys mark, so it moves
only when the user moves it (a selection that followed the stream's head would
make the next I/F/R mark an alert the user has not looked at).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FollowStep = Literal["scroll"] | None


@dataclass(frozen=True)
class Attention:
    """What the table shows the user, taken before a batch of rows goes in."""

    #: Some row is selected.
    selected: bool = False
    #: The newest row shown is inside the viewport (true for an empty table).
    newest_in_sight: bool = True
    #: The mouse pointer is over the table.
    pointer_over: bool = False

    def follow_step(self) -> FollowStep:
        """What following the newest row does after the batch: scroll to it, or nothing
        (the user is on a row, points at the table, or scrolled away)."""
        if self.selected or self.pointer_over or not self.newest_in_sight:
            return None
        return "scroll"
