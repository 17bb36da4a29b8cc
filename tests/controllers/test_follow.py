"""The "Follow newest" choice: scroll only while the user is on no row; never select."""

from __future__ import annotations

from unittest.mock import MagicMock

from alertview.controllers.follow import Attention
from alertview.controllers.session import SessionController
from alertview.controllers.views import AlertLoader, SessionView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.session.store import AlertStore
from tests.controllers.test_watches import ColumnsModel, alerts  # noqa: F401


def test_following_scrolls_only_while_the_user_is_on_no_row():
    assert Attention().follow_step() == "scroll"  # nothing selected, newest in sight
    assert Attention(selected=True).follow_step() is None  # a row under the user
    assert Attention(pointer_over=True).follow_step() is None
    assert Attention(newest_in_sight=False).follow_step() is None  # scrolled away
    # on the newest row, scrolled away or not: the selection is the user's
    assert Attention(selected=True, newest_in_sight=False).follow_step() is None


def test_batches_scroll_when_no_row_is_selected_and_never_select(alerts, tmp_path):  # noqa: F811
    """The session's side: each live batch asks where the user looks, then scrolls or
    leaves the table alone; it never selects the newest row (the next triage key
    would mark an alert the user has not looked at)."""
    view = MagicMock(spec=SessionView)
    with AlertStore(tmp_path / "session") as store:
        session = SessionController(
            view, store, SchemaCache(), ColumnsModel(), MagicMock(spec=AlertLoader)
        )
        session.follow = True
        batches = [store.add_rows(alerts[i : i + 10]) for i in (0, 10, 20, 30)]
        looks = [
            Attention(),  # nothing selected: scrolled
            Attention(selected=True),  # the newest row selected (the stream's head)
            Attention(selected=True, newest_in_sight=False),
            Attention(pointer_over=True),
        ]
        for batch, look in zip(batches, looks, strict=True):
            view.table_attention.return_value = look
            session.batches_stored(batch, len(batch), 0)
        assert view.scroll_to_newest.call_count == 1
        session.set_follow(True)  # turned on with a row selected: nothing moves either
        assert view.scroll_to_newest.call_count == 1
