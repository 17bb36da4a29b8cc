"""Fink's classifier and cross-match fields become table columns (issue 14): decoded with
the table's fields as a live Fink stream gives them, kept by the session, sorted and
filtered in numpy like the survey's own columns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alertview.core.alert import Origin
from alertview.core.avro.detail import Detail
from alertview.core.avro.encode import schemaless_body
from alertview.core.avro.packets import read_records
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes, read_alerts
from alertview.core.session.store import AlertStore
from alertview.core.surveys import SURVEY_FIELDS
from alertview.core.surveys.brokers import NESTED, TOP_LEVEL, broker_fields
from alertview.core.table.columns import AlertColumns
from alertview.core.table.filter_columns import NotVectorised, filter_mask, table_fields
from alertview.core.table.filter_fields import MappingLookup
from alertview.core.table.filter_jobs import row_mask
from alertview.core.table.filters import parse_filter
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_TRANSFER, ZTF_FILES, raw_records

TABLE = Detail.TABLE
FINK_FILES = [FINK_ZTF_TRANSFER, FINK_LSST_TRANSFER]
FILTERS = [
    'finkclass == "SN candidate" and snn_sn_vs_all > 0.5',
    "rf_snia_vs_nonia >= 0.1 or isnull(rf_snia_vs_nonia)",
    'tnsclass != "Unknown"',
    "is_transient == 1 and mag_rate < 0",
    "cats_class == 11",
    "snnSnVsOthers_score > 0.05 and is_cataloged",
    "mag < 20 and roid == 0",
    'vsx in ("nan", "x") and legacydr8_pstar > 0.5 or tnsclass == "(TNS) SN Ia"',
]


def _leaf(raw: dict, name: str):
    """A broker field of a record fastavro read, wherever Fink put it."""
    if name in raw:
        return raw[name]
    return next(raw[n][name] for n in NESTED if isinstance(raw.get(n), dict) and name in raw[n])


def _same(mine, theirs) -> bool:
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return mine is None
    return mine == (float(theirs) if isinstance(theirs, bool | int) else theirs)


def fink_stream(path, cache: SchemaCache) -> list:
    """The file's records as a live Fink stream sends them (schema in the key), decoded
    for the table as the stream decodes them."""
    schema = next(read_records(path.read_bytes(), cache)).schema
    alerts = []
    for number, raw in enumerate(raw_records(path)):
        body = schemaless_body(raw, schema)
        origin = Origin("fink", 0, "fink", 0, number)
        alerts += decode_bytes(
            body, cache, origin=origin, key=schema.json.encode(), detail=Detail.TABLE
        )
    return alerts


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A session of both Fink files as streamed, its rows and columns (ZTF's own first)."""
    cache = SchemaCache(fields=SURVEY_FIELDS)
    native = [a for a in read_alerts(ZTF_FILES[:2], cache) if not isinstance(a, Exception)]
    streamed = [a for path in FINK_FILES for a in fink_stream(path, cache)]
    folder = tmp_path_factory.mktemp("fink")
    with AlertStore(folder) as store:
        store.add(native)
        store.add(streamed)
        rows = store.rows()
    columns = AlertColumns()
    columns.append_rows(rows[:2])  # the names arrive with the third batch
    columns.append_rows(rows[2:20])
    columns.append_rows(rows[20:])
    return folder, rows, columns, native + streamed


def test_table_decode_reads_the_broker_fields_and_skips_the_history(cache):
    for path in FINK_FILES:
        for alert, raw in zip(fink_stream(path, cache), raw_records(path), strict=True):
            assert alert.detail is Detail.TABLE and alert.cutouts == {}
            history = "prv_candidates" if "prv_candidates" in raw else "prvDiaSources"
            assert history not in alert.record  # skipped, not built
            fields = broker_fields(alert.record)
            assert fields == broker_fields(raw)  # as a whole decode gives them
            assert fields and all(_same(v, _leaf(raw, k)) for k, v in fields.items())


def test_fink_fields_are_columns_with_fastavro_values(session):
    _, rows, columns, alerts = session
    names = columns.extra_names()
    assert {"finkclass", "rf_snia_vs_nonia", "snn_sn_vs_all", "snn_snia_vs_nonia"} <= set(names)
    assert {"snnSnVsOthers_score", "cats_class", "is_sso", "legacydr8_pstar"} <= set(names)
    assert set(names) <= TOP_LEVEL | {n for a in alerts for n in broker_fields(a.record)}
    raws = [None, None, *raw_records(FINK_ZTF_TRANSFER), *raw_records(FINK_LSST_TRANSFER)]
    assert len(columns) == len(raws) == len(rows)
    checked = 0
    for position, raw in enumerate(raws):
        for name in names:
            value = columns.value(position, name)
            if raw is None:  # ZTF's own packets carry none
                assert value is None
                continue
            try:
                theirs = _leaf(raw, name)
            except StopIteration:  # the other Fink schema's field
                assert value is None
                continue
            assert _same(value, theirs), (position, name, value, theirs)
            checked += value is not None
    assert checked > 500
    assert columns.value(2, "finkclass") == raws[2]["finkclass"]
    assert columns.value(len(raws) - 1, "cats_class") == raws[-1]["clf"]["cats_class"]
    assert isinstance(columns.value(len(raws) - 1, "cats_class"), int)  # class codes stay whole
    assert [columns.row_tuple(p) for p in range(len(columns))] == rows


@pytest.mark.parametrize("expression", FILTERS)
def test_vectorised_filter_on_broker_fields_is_the_row_by_row_one(expression, session):
    _, rows, columns, _ = session
    alert_filter = parse_filter(expression)
    expected = [alert_filter.matches(MappingLookup(table_fields(r))) for r in rows]
    mask = filter_mask(alert_filter, columns)
    assert mask.tolist() == expected
    assert row_mask(alert_filter, columns, np.arange(len(columns))).tolist() == expected
    assert filter_mask(alert_filter, columns, start=25).tolist() == expected[25:]
    assert any(expected) and not all(expected)


def test_sorting_by_broker_fields(session):
    _, _, columns, _ = session
    for name in ("snn_sn_vs_all", "finkclass", "cats_score", "tns_type_recomputed"):
        values = [columns.value(p, name) for p in columns.order(name)]
        nulls = sum(v is None for v in values)
        assert nulls and all(v is None for v in values[:nulls])  # nulls first
        assert values[nulls:] == sorted(values[nulls:])
        down = [columns.value(p, name) for p in columns.order(name, descending=True)]
        assert down[: len(values) - nulls] == sorted(values[nulls:], reverse=True)


def test_native_ztf_packets_give_no_columns(cache, tmp_path):
    alerts = [
        alert
        for path in ZTF_FILES
        for alert in decode_bytes(path.read_bytes(), cache, origin=Origin(path.name), detail=TABLE)
    ]
    assert alerts and all(a.detail is TABLE for a in alerts)
    assert all(broker_fields(a.record) == {} for a in alerts)
    with AlertStore(tmp_path / "ztf") as store:
        store.add(alerts)
        rows = store.rows()
    assert all(r[-1] is None for r in rows)
    columns = AlertColumns()
    columns.append_rows(rows)
    assert columns.extra_names() == []
    with pytest.raises(NotVectorised):  # left to the row-by-row filter (the packets)
        filter_mask(parse_filter('finkclass == "SN candidate"'), columns)
    # a ZTF packet's table decode reads what it read before: the table record, no more
    for path in ZTF_FILES:
        schema = next(read_records(path.read_bytes(), cache)).schema
        assert schema.table_reader is not None and schema.extra_reader is None


def test_a_reopened_session_still_has_them(session):
    folder, rows, columns, _ = session
    with AlertStore(folder) as store:
        again = store.rows()
    assert again == rows
    reopened = AlertColumns()
    reopened.append_rows(again)
    assert reopened.extra_names() == columns.extra_names()
    alert_filter = parse_filter("snn_snia_vs_nonia > 0.2")
    assert (
        filter_mask(alert_filter, reopened).tolist() == filter_mask(alert_filter, columns).tolist()
    )


def test_broker_columns_cost_bytes_only_where_a_session_has_them(session):
    _, rows, _, _ = session
    many = [(i, *r[1:2], 10**12 + i, *r[3:]) for i, r in enumerate(rows * 300)]
    with_them, plain = AlertColumns(), AlertColumns()
    with_them.append_rows(many)
    plain.append_rows([(*r[:-1], None) for r in many])
    assert plain.extra_names() == []
    per_row = (with_them.nbytes - plain.nbytes) / len(many)
    assert 0 < per_row <= 8 * len(with_them.extra_names()) + 8  # float64, or int32 codes


def test_table_exports_carry_the_broker_fields(tmp_path) -> None:
    """A CSV of Fink alerts has their classifier columns, as the table shows them."""
    from astropy.table import Table

    from alertview.core.export import export_alerts

    cache = SchemaCache(fields=SURVEY_FIELDS)
    alerts = [a for a in read_alerts([FINK_ZTF_TRANSFER], cache) if not isinstance(a, Exception)]
    (written,) = export_alerts(alerts, "csv", tmp_path / "fink.csv")
    table = Table.read(written, format="ascii.csv")
    assert len(table) == len(alerts) == 31
    assert list(table["finkclass"]) == [a.record["finkclass"] for a in alerts]
    assert list(table["snn_sn_vs_all"]) == pytest.approx(
        [a.record["snn_sn_vs_all"] for a in alerts]
    )


def test_broker_columns_of_batches_with_gaps_late_names_and_mixed_kinds() -> None:
    """Column by column, a batch keeps every rule of the fields' values: a name met late
    is null before, a row without it is null, a number's column keeps text out and a
    text column takes a number as its text, names keep the order they were met."""
    from alertview.core.table.columns_extra import ExtraColumns

    extras = ExtraColumns()
    extras.extend([None, None])  # rows before any broker field
    extras.extend([{"score": 0.5, "cls": "SN"}, None, {"cls": "AGN"}, {"score": 2}])
    extras.extend(
        [
            {"score": "high", "cls": 7.5, "late": 1},  # the other kind in each column
            {"late": True, "note": "x", "score": 1.0},
            {},
        ]
    )
    extras.extend([None])
    assert extras.names() == ["score", "cls", "late", "note"]
    assert extras.size == 10
    rows = [{n: extras.value(p, n) for n in extras.names()} for p in range(extras.size)]
    nothing = dict.fromkeys(extras.names())
    assert rows == [
        nothing,
        nothing,
        {**nothing, "score": 0.5, "cls": "SN"},
        nothing,
        {**nothing, "cls": "AGN"},
        {**nothing, "score": 2.0},
        {**nothing, "cls": "7.5", "late": 1},  # text in a number column: null
        {**nothing, "score": 1.0, "late": 1, "note": "x"},
        nothing,
        nothing,
    ]
    assert extras.integral("late") and not extras.integral("score")
    assert extras.of(6) == {"cls": "7.5", "late": 1.0} and extras.of(0) is None
    assert all(len(c.values) == 10 for c in extras.numbers.values())
    assert all(len(c.codes.values) == 10 for c in extras.texts.values())
