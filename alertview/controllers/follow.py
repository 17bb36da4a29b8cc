"""The "Follow newest" choice, made without taking the table from under the user.

A live stream adds rows several times a second. Scrolling to them is only wanted
while the user is not looking at a row: nothing selected, the pointer elsewhere,
the newest row still in sight (not scrolled away). A user who selected the newest
row is following the stream's head: the selection goes along with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FollowStep = Literal["scroll", "select"] | None


@dataclass(frozen=True)
class Attention:
    """What the table shows the user, taken before a batch of rows goes in."""

    #: Rows selected.
    selected: int = 0
    #: The newest row shown is the current one, and selected.
    newest_selected: bool = False
    #: The newest row shown is inside the viewport (true for an empty table).
    newest_in_sight: bool = True
    #: The mouse pointer is over the table.
    pointer_over: bool = False

    def follow_step(self) -> FollowStep:
        """What following the newest row does after the batch: scroll to it, move the
        selection to it (the user was on the head of the stream), or nothing."""
        if self.newest_selected and self.selected == 1:
            return "select"
        if self.selected or self.pointer_over or not self.newest_in_sight:
            return None
        return "scroll"
