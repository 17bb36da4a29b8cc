"""The filter language selects exactly the expected alerts and explains bad input."""

from __future__ import annotations

import pytest

from alertview.core.decode import read_alerts
from alertview.core.filters import FilterError, parse_filter
from alertview.core.schemas import SchemaCache
from tests.conftest import SHARED

ALERTS = None


@pytest.fixture(scope="module")
def alerts():
    return list(read_alerts([SHARED], SchemaCache()))


def select(alerts, expression):
    test = parse_filter(expression)
    return {a.alert_id for a in alerts if test(a)}


def test_ztf_recommended_cut_uses_raw_candidate_fields(alerts):
    expression = "rb >= 0.65 and nbad == 0 and fwhm <= 5 and elong <= 1.2 and abs(magdiff) <= 0.1"
    expected = {
        a.alert_id
        for a in alerts
        if a.survey == "ztf"
        and (c := a.record["candidate"])["rb"] >= 0.65
        and c["nbad"] == 0
        and c["fwhm"] <= 5
        and c["elong"] <= 1.2
        and abs(c["magdiff"]) <= 0.1
    }
    assert select(alerts, expression) == expected and expected


def test_alert_fields(alerts):
    expected = {a.alert_id for a in alerts if a.band == "r" and a.mag is not None and a.mag < 19}
    assert select(alerts, 'band == "r" and mag < 19') == expected and expected
    assert select(alerts, "n_history_detections >= 2") == {
        a.alert_id for a in alerts if a.n_history_detections >= 2
    }
    lsst_bright = {a.alert_id for a in alerts if a.survey == "lsst" and a.flux > 5000}
    assert select(alerts, 'survey == "lsst" and flux > 5000') == lsst_bright


def test_nulls_compare_false_and_isnull(alerts):
    no_object = {a.alert_id for a in alerts if a.object_id is None}
    assert select(alerts, "isnull(object_id)") == no_object and len(no_object) == 3
    # Rubin alerts with negative flux have no magnitude: neither < nor >= selects them
    assert select(alerts, "mag < 99") | select(alerts, "mag >= 99") == {
        a.alert_id for a in alerts if a.mag is not None
    }


def test_in_not_and_arithmetic(alerts):
    assert select(alerts, 'band in ("g", "i")') == {a.alert_id for a in alerts if a.band in "gi"}
    assert select(alerts, 'not survey == "ztf"') == {
        a.alert_id for a in alerts if a.survey != "ztf"
    }
    assert select(alerts, "flux / 1000 > 100") == {
        a.alert_id for a in alerts if a.flux is not None and a.flux / 1000 > 100
    }


def test_unknown_field_matches_nothing_and_is_reported(alerts):
    test = parse_filter("rbb > 0.5")
    assert not any(test(a) for a in alerts)
    assert test.never_found() == {"rbb"}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rb >= ", "ends too early at column 6"),
        ("rb >== 3", "invalid syntax at column"),
        ('__import__("os").system("x")', "only these functions are allowed"),
        ("rb.real > 1", "attribute is not allowed"),
        ("[x for x in y]", "listcomp is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("", "empty"),
    ],
)
def test_bad_expressions_point_at_the_problem(expression, message):
    with pytest.raises(FilterError, match=message) as info:
        parse_filter(expression)
    assert str(info.value).startswith("bad filter: ")
    if expression.strip():
        assert ">>>" in str(info.value)
