"""Table columns and the vectorised filter agree with the row-by-row definitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alertview.core.columns import AlertColumns
from alertview.core.decode import read_alerts
from alertview.core.filter_columns import NotVectorised, filter_mask
from alertview.core.filters import MappingLookup, parse_filter
from alertview.core.schemas import SchemaCache
from alertview.core.store import AlertStore, row_as_fields
from tests.conftest import SHARED

EXPRESSIONS = [
    'band == "r" and mag < 19',
    "n_history_detections >= 2",
    'survey in ("ztf",) and not (mag > 18)',
    "isnull(mag) or isnull(topic)",
    "abs(dec) < 30 or ra > 200",
    'object_id == "ZTF19acihgng"',
    "flux / flux_err > 5",
    "sqrt(ra) > 10 and log10(flux) > 3",
    'survey != "lsst" and offset >= 0',
    "max(mag, 19) == 19 and -dec > 0",
    "band < 5",
    "mag",
    'schema == "ztf 4.02" or time_scale != "UTC"',
    'mjd > 60000 and band in ("g", "r") and alert_id > 0',
    "rb >= 0.5 or reliability > 0.9 or drb > 0.9",
]


@pytest.fixture(scope="module")
def stored_rows(tmp_path_factory):
    alerts = [a for a in read_alerts([SHARED], SchemaCache()) if not isinstance(a, Exception)]
    with AlertStore(tmp_path_factory.mktemp("store")) as store:
        store.add(alerts)
        return store.rows()


@pytest.fixture(scope="module")
def columns(stored_rows):
    columns = AlertColumns()
    columns.append_rows(stored_rows[:10])  # appended in two batches, as a stream does
    columns.append_rows(stored_rows[10:])
    return columns


def test_columns_give_back_the_stored_rows(stored_rows, columns):
    assert len(columns) == len(stored_rows) == 57
    assert [columns.row_tuple(i) for i in range(len(columns))] == stored_rows


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_vectorised_filter_matches_the_row_by_row_filter(expression, stored_rows, columns):
    alert_filter = parse_filter(expression)
    expected = [alert_filter.matches(MappingLookup(row_as_fields(r))) for r in stored_rows]
    assert filter_mask(alert_filter, columns).tolist() == expected
    assert filter_mask(alert_filter, columns, start=20).tolist() == expected[20:]


def test_packet_fields_are_left_to_the_row_by_row_filter(columns):
    with pytest.raises(NotVectorised):
        filter_mask(parse_filter("nbad == 0 and fwhm < 5"), columns)


@pytest.mark.parametrize("field", ["mag", "object_id", "quality", "alert_id", "band", "mjd"])
def test_order_sorts_with_nulls_first_and_stable_ties(field, columns):
    def key(value):
        return (value is not None, value)

    values = [columns.value(i, field) for i in range(len(columns))]
    ascending = columns.order(field).tolist()
    assert ascending == sorted(range(len(values)), key=lambda i: key(values[i]))
    descending = columns.order(field, descending=True).tolist()
    by_value_desc = sorted(range(len(values)), key=lambda i: key(values[i]), reverse=True)
    assert [values[i] for i in descending] == [values[i] for i in by_value_desc]
    # ties keep arrival order in both directions
    for order in (ascending, descending):
        for a, b in itertools.pairwise(order):
            if values[a] == values[b]:
                assert a < b


def test_a_row_costs_a_few_hundred_bytes(stored_rows):
    columns = AlertColumns()
    many = [(i, *r[1:2], 10**12 + i, *r[3:]) for i, r in enumerate(stored_rows * 200)]
    columns.append_rows(many)
    assert len(columns) == 11400
    assert columns.nbytes / len(columns) < 400
    assert np.all(np.diff(columns.alert_id.values) == 1)
