"""Fink's fields as table columns, through the real widgets: they appear when the first
alert carrying them arrives, show fastavro's values, sort on a header click, filter from
the filter bar, and come back with the session."""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, Qt

from alertview.gui.main_window import MainWindow
from alertview.gui.table_model import COLUMNS
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_TRANSFER, ZTF_FILES, raw_records
from tests.gui.test_file_import import open_files


def headers(window) -> list[str]:
    model = window.model
    return [model.headerData(n, Qt.Orientation.Horizontal) for n in range(model.columnCount())]


def cells(window, name: str) -> list[str]:
    number = headers(window).index(name)
    return [window.model.index(r, number).data() for r in range(window.model.rowCount())]


def by_id(window, name: str) -> dict[int, str]:
    ids = [window.model.field(r, "alert_id") for r in range(window.model.rowCount())]
    return dict(zip(ids, cells(window, name), strict=True))


def click_header(window, qtbot, name: str) -> None:
    header = window.table.horizontalHeader()
    number = headers(window).index(name)
    window.table.scrollTo(window.model.index(0, number))
    x = header.sectionViewportPosition(number) + header.sectionSize(number) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_fink_fields_become_columns_that_sort_filter_and_reopen(window, qtbot):
    open_files(window, qtbot, [ZTF_FILES[0]])
    assert headers(window) == [c.header for c in COLUMNS]  # ZTF's own packets: none
    inserted = []
    window.model.columnsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    open_files(window, qtbot, [FINK_ZTF_TRANSFER])
    assert inserted and inserted[0][0] == len(COLUMNS)
    names = headers(window)[len(COLUMNS) :]
    assert {"finkclass", "snn_sn_vs_all", "rf_snia_vs_nonia", "tnsclass"} <= set(names)
    raws = {r["candid"]: r for r in raw_records(FINK_ZTF_TRANSFER)}
    shown = by_id(window, "finkclass")
    assert all(shown[i] == r["finkclass"] for i, r in raws.items())
    scores = by_id(window, "snn_sn_vs_all")
    for alert_id, raw in raws.items():
        value = raw["snn_sn_vs_all"]
        assert scores[alert_id] == ("" if value is None else f"{value:.3f}")
    assert by_id(window, "roid")[next(iter(raws))] == str(next(iter(raws.values()))["roid"])

    open_files(window, qtbot, [FINK_LSST_TRANSFER])  # Rubin's: clf/pred leaves join in
    assert {"snnSnVsOthers_score", "cats_class", "is_sso"} <= set(headers(window))
    lsst = raw_records(FINK_LSST_TRANSFER)
    codes = by_id(window, "cats_class")
    assert all(codes[r["diaSourceId"]] == str(r["clf"]["cats_class"]) for r in lsst)
    before = {n: by_id(window, n) for n in ("snn_sn_vs_all", "finkclass", "cats_class")}

    click_header(window, qtbot, "snn_sn_vs_all")
    assert window.model.sort_field == "snn_sn_vs_all"
    values = [window.model.field(r, "snn_sn_vs_all") for r in range(window.model.rowCount())]
    nulls = sum(v is None for v in values)
    assert values[nulls:] == sorted(values[nulls:]) and len(values) - nulls == sum(
        r["snn_sn_vs_all"] is not None for r in raws.values()
    )

    expression = 'finkclass == "SN candidate" and snn_sn_vs_all > 0.5 or cats_class == 11'
    window.filter_edit.setText(expression)
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    expected = {
        i
        for i, r in raws.items()
        if r["finkclass"] == "SN candidate" and (r["snn_sn_vs_all"] or -math.inf) > 0.5
    } | {r["diaSourceId"] for r in lsst if r["clf"]["cats_class"] == 11}
    assert expected and not window.model.filtering
    assert set(by_id(window, "finkclass")) == expected

    reopened = MainWindow(window.store)
    qtbot.addWidget(reopened)
    qtbot.waitUntil(lambda: reopened.model.total == window.model.total, timeout=10000)
    assert headers(reopened) == headers(window)
    assert {n: by_id(reopened, n) for n in before} == before
    reopened.close()
