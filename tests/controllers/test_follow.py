"""The "Follow newest" choice: scroll only while the user is on no row."""

from __future__ import annotations

from alertview.controllers.follow import Attention


def test_following_scrolls_only_while_the_user_is_on_no_row():
    assert Attention().follow_step() == "scroll"  # nothing selected, newest in sight
    assert Attention(selected=1).follow_step() is None  # a row under the user
    assert Attention(selected=3, newest_selected=True).follow_step() is None
    assert Attention(pointer_over=True).follow_step() is None
    assert Attention(newest_in_sight=False).follow_step() is None  # scrolled away
    # on the newest row: the selection follows the head of the stream
    assert Attention(selected=1, newest_selected=True, newest_in_sight=False).follow_step() == (
        "select"
    )
