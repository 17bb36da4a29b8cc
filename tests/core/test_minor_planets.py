"""Rubin sources on known asteroids have no diaObjectId: the Object is the designation
packed in their ssObjectId, read from the real packets and checked against the
``designation`` Rubin gives in their ``ssSource``."""

from __future__ import annotations

import pytest

from alertview.core.avro.detail import Detail
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.links import alert_links
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.surveys.minor_planets import designation, unpack_designation
from tests.conftest import FINK_LSST_TRANSFER
from tests.core.test_broker_fields import fink_stream


@pytest.mark.parametrize(
    ("packed", "unpacked"),
    [("K04J12Q", "2004 JQ12"), ("K20S88J", "2020 SJ88"), ("J95X00A", "1995 XA"),
     ("K07Tf8A", "2007 TA418"), ("00433", "433"), ("A0345", "100345"),
     ("K04j12Q", None), ("CK20F030", None), ("", None)],
)  # fmt: skip
def test_packed_designations_unpack_as_the_mpc_writes_them(packed, unpacked):
    assert unpack_designation(packed) == unpacked


def test_ids_that_hold_no_designation_give_none():
    assert designation(0) is None and designation(-5) is None
    assert designation(170028485706776685) is None  # a diaObjectId's bytes are not ASCII


@pytest.mark.parametrize("detail", [Detail.TABLE, Detail.FULL])
def test_rubin_asteroid_sources_show_their_designation(detail):
    if detail is Detail.TABLE:  # as the stream decodes them: the table's fields only
        alerts = fink_stream(FINK_LSST_TRANSFER, SchemaCache(fields=SURVEY_FIELDS))
        assert all(a.detail is Detail.TABLE for a in alerts)
    else:
        alerts = [a for a in read_alerts([FINK_LSST_TRANSFER], SchemaCache())
                  if not isinstance(a, Exception)]  # fmt: skip
    asteroids = [a for a in alerts if not a.record["diaSource"].get("diaObjectId")]
    assert len(asteroids) == 2 and len(alerts) > len(asteroids)
    for alert in asteroids:
        if detail is Detail.FULL:  # the table's decode stops before ssSource
            assert alert.object_id == alert.record["ssSource"]["designation"]
        assert alert.object_id in ("2004 JQ12", "2020 SJ88")
    for alert in alerts:  # the others keep their diaObjectId
        if alert not in asteroids:
            assert alert.object_id == str(alert.record["diaSource"]["diaObjectId"])


def test_an_asteroid_links_to_the_mpc_and_jpl_not_to_object_pages():
    alerts = [a for a in read_alerts([FINK_LSST_TRANSFER], SchemaCache())
              if not isinstance(a, Exception)]  # fmt: skip
    asteroid = next(a for a in alerts if a.object_id == "2004 JQ12")
    names = dict(alert_links(asteroid))
    assert names["MPC"].endswith("object_id=2004%20JQ12")
    assert names["JPL SBDB"].endswith("sstr=2004%20JQ12")
    assert "Fink" not in names and "TNS" in names  # the position's catalogues stay
    other = next(a for a in alerts if a.object_id and a.object_id.isdigit())
    assert "Fink" in dict(alert_links(other)) and "MPC" not in dict(alert_links(other))
