"""Table columns and the vectorised filter agree with the row-by-row definitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import TABLE_NAMES, NotVectorised, filter_mask
from alertview.core.table.filter_fields import MappingLookup
from alertview.core.table.filter_jobs import ORIGIN_FIELDS, origin_samples, row_mask
from alertview.core.table.filters import parse_filter
from alertview.core.table.rows import row_as_fields
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
    # without broker fields: those cost 4-8 bytes each a row (test_broker_fields.py)
    rows = [(i, *r[1:2], 10**12 + i, *r[3:-1], None) for i, r in enumerate(stored_rows * 200)]
    columns.append_rows(rows)
    assert len(columns) == 11400
    assert columns.nbytes / len(columns) < 400
    assert np.all(np.diff(columns.alert_id.values) == 1)


# -- bounded arithmetic (issue 10): the same meaning, and a small cost, on both paths ---------

BOUNDED = [
    "mag ** 9**9 > 0",
    "isnull(mag ** 1000)",
    "not (flux / 0 > 1)",
    "isnull(flux % 0)",
    "mag * 1e308 * 10 > 0",
    "not (mag * 1e308 * 10 > 0)",
    "isnull((-flux) ** 0.5)",
    "partition * 2**1000 > 0",
    "2**62 * 4 > mag",
    # integers stay exact: int64 would wrap around (or spin, for the power)
    "alert_id * 1000 > 0",
    "alert_id ** alert_id > 0",
    "isnull(alert_id ** 30)",
    "alert_id % 10 == 3",
    "alert_id + 1 > alert_id",
    "-alert_id < -(10**18)",
    "abs(alert_id - 2**62) > 2**61",
    "min(alert_id, 5) == 5 and sqrt(alert_id) > 1e9",
    "row * row == 4",
    # booleans count as Python counts them (numpy would OR them)
    "(mag > 18) + (mag > 19) == 2",
    "-(mag > 18) == -1",
]


@pytest.mark.parametrize("expression", BOUNDED)
def test_bounded_arithmetic_means_the_same_on_both_paths(expression, stored_rows, columns):
    alert_filter = parse_filter(expression)
    expected = [alert_filter.matches(MappingLookup(row_as_fields(r))) for r in stored_rows]
    assert filter_mask(alert_filter, columns).tolist() == expected  # vectorised, no fallback
    assert row_mask(alert_filter, columns, range(len(columns))).tolist() == expected


@pytest.mark.parametrize("base", [2**40, 2**61, 2**62])  # int64 fast path, its edge, beyond
def test_exact_integers_wrap_nowhere_and_stay_fast(stored_rows, base):
    many = AlertColumns()
    many.append_rows([(i, *r[1:2], base + i, *r[3:]) for i, r in enumerate(stored_rows * 400)])
    alert_filter = parse_filter(f"alert_id * 4 > {4 * base + 40} and (alert_id - 1) % 7 == 0")
    mask = filter_mask(alert_filter, many)
    assert mask.tolist() == [i > 10 and (base + i - 1) % 7 == 0 for i in range(len(many))]


@pytest.mark.parametrize(
    "expression",
    [*EXPRESSIONS, "n_detections >= 2", "kafka_offset >= 0 or isnull(kafka_offset)"],
)
def test_the_row_by_row_path_knows_every_column_name(expression, columns):
    alert_filter = parse_filter(expression)
    assert alert_filter.names <= TABLE_NAMES
    expected = filter_mask(alert_filter, columns).tolist()
    assert row_mask(alert_filter, columns, range(len(columns))).tolist() == expected
    stopped = row_mask(alert_filter, columns, range(len(columns)), stopped=lambda: True)
    assert stopped is None


def test_one_packet_per_origin_is_read_for_names(columns):
    def origin(position):
        return tuple(columns.value(position, name) for name in ORIGIN_FIELDS)

    firsts: dict[tuple, int] = {}
    for position in range(len(columns)):
        firsts.setdefault(origin(position), position)
    samples, complete = origin_samples(columns, len(columns))
    assert complete and samples == firsts
    few, complete = origin_samples(columns, len(columns), limit=3)
    assert not complete and len(few) == 3
    assert len({o[:3] for o in few}) == 3  # different (survey, schema, topic) first
    rest, complete = origin_samples(columns, len(columns), frozenset(samples))
    assert rest == {} and complete


def test_an_empty_table_sorts_by_any_column():
    columns = AlertColumns()
    for name in ("object_id", "survey", "mjd"):
        assert columns.order(name).tolist() == []
        assert columns.order(name, descending=True).tolist() == []
