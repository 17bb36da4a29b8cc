"""The details controller with a fake view: fields, search, links, no Qt."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from alertview.controllers.details import DetailsController, entries
from alertview.controllers.views import DetailsView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_MULTI


@pytest.fixture
def controller():
    return DetailsController(MagicMock(spec=DetailsView))


def test_every_field_and_a_search_shows_matches_with_their_parents(controller):
    alert = next(iter(read_alerts([FINK_ZTF_MULTI], SchemaCache())))
    controller.show_alert(alert)
    controller.view.show_record.assert_called_once()
    (links,) = controller.view.show_links.call_args.args
    assert ("Fink", f"https://fink-portal.org/{alert.object_id}") in links
    for name in ("candid", "candidate", "prv_candidates", "cdsxmatch", "rfscore", "snn"):
        assert name in controller.visible_fields()
    controller.set_search("cdsxmatch")
    assert controller.visible_fields() == ["cdsxmatch"]
    controller.set_search("MAGPSF")  # any case; inside candidate and prv_candidates too
    assert set(controller.visible_fields()) == {"candidate", "prv_candidates", "cmagpsf"}
    (shown,) = controller.view.show_matches.call_args.args
    top = [name for name, _, _ in controller.top_entries()]
    candidate = (top.index("candidate"),)
    inner = [name for name, _, _ in entries(alert.record["candidate"])]
    assert (*candidate, inner.index("magpsf")) in shown and candidate in shown
    assert (*candidate, inner.index("ra")) not in shown
    controller.set_search("")
    controller.view.show_matches.assert_called_with(None)


def test_a_search_finds_fields_inside_lists(controller):
    alert = next(iter(read_alerts([FINK_LSST_TRANSFER], SchemaCache())))
    controller.show_alert(alert)
    controller.set_search("apFlux")
    assert set(controller.visible_fields()) == {"diaSource", "prvDiaSources"}


def test_values_as_shown():
    rows = entries({"a": 1.5, "b": None, "c": b"xyz", "d": [1, 2], "e": {}, "f": {"g": 1}})
    assert rows == [("a", "1.5", None), ("b", "null", None), ("c", "<3 bytes>", None),
                    ("d", "2 items", [1, 2]), ("e", "", None), ("f", "", {"g": 1})]  # fmt: skip
