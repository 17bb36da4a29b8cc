"""Stream → Schemas… and the errors panel's one row per unknown schema id, on real widgets."""

from __future__ import annotations

from alertview.core.alert import Origin
from alertview.core.avro.encode import confluent_frame, rubin_native_record, schemaless_body
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import decode_bytes
from alertview.core.stream.consumer import ErrorRecord
from alertview.core.urls import redact_url
from tests.conftest import FINK_LSST_TRANSFER, ZTF_FILES, raw_records
from tests.registry_server import UNKNOWN_TO_PACKAGE, TestRegistry

PASSWORD = "pw-not-to-be-seen"


def _rubin_messages(schema_ids: list[int]) -> list[bytes]:
    v10 = SchemaCache().by_id(1000)
    records = raw_records(FINK_LSST_TRANSFER)
    return [
        confluent_frame(schemaless_body(rubin_native_record(raw), v10), schema_id)
        for raw, schema_id in zip(records, schema_ids, strict=False)
    ]


def _rubin_alerts(cache: SchemaCache, schema_ids: list[int], first_offset: int = 0) -> list:
    return [
        alert
        for offset, message in enumerate(_rubin_messages(schema_ids), first_offset)
        for alert in decode_bytes(message, cache, origin=Origin("k", 0, "rubin", 0, offset))
    ]


def test_schemas_dialog_lists_ids_versions_and_origins(window, qtbot):
    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths(ZTF_FILES[:2])
    with TestRegistry(credentials=f"alice:{PASSWORD}") as registry:
        url = f"http://alice:{PASSWORD}@{registry.url.removeprefix('http://')}"
        from_registry = _rubin_alerts(SchemaCache(registry_url=url), [UNKNOWN_TO_PACKAGE] * 2)
    offline = _rubin_alerts(SchemaCache(), [1000] * 4)[2:]  # other alerts, from the package
    assert window.store.add(from_registry + offline) == 4

    stream_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Stream"
    )
    (action,) = [a for a in stream_menu.actions() if a.text().replace("&", "") == "Schemas…"]
    action.trigger()  # the window's own Stream → Schemas…
    dialog = window.schemas_dialog
    qtbot.waitExposed(dialog)
    rows = dialog.view.rows()
    label = from_registry[0].schema_label
    assert label == "lsst 10.0"
    assert [r for r in rows if r[0] == "rubin"] == [
        ("rubin", "1000", label, "lsst-alert-packet", "2"),
        ("rubin", str(UNKNOWN_TO_PACKAGE), label, redact_url(url), "2"),
    ]
    ztf = [r for r in rows if r[0] != "rubin"]
    assert {r[0] for r in ztf} == {str(p) for p in ZTF_FILES[:2]}
    assert {(r[1], r[3]) for r in ztf} == {("", "container header")}
    assert all(r[2].startswith("ztf") for r in ztf)
    assert PASSWORD not in repr(rows)

    # new alerts show after a refresh; nothing else is read
    window.store.add(_rubin_alerts(SchemaCache(), [1000] * 6, 10)[4:])
    dialog.view.refresh_button.click()
    assert ("rubin", "1000", label, "lsst-alert-packet", "4") in dialog.view.rows()
    dialog.close()


def test_errors_panel_shows_one_row_per_unknown_schema_id(window):
    from PySide6.QtWidgets import QTableWidget

    messages = _rubin_messages([4321, 4321, 4321, 77])
    reason = "unknown schema id {} (looked in: lsst-alert-packet)"
    window.store.add_errors(
        [
            ErrorRecord("rubin", 0, 5, reason.format(4321), schema_id=4321, packet=messages[0]),
            ErrorRecord("ztf", 1, 2, "truncated"),
            *(
                ErrorRecord(
                    "rubin",
                    0,
                    offset,
                    reason.format(4321),
                    schema_id=4321,
                    repeat=True,
                    packet=messages[1],
                )
                for offset in (6, 7)
            ),
            ErrorRecord("rubin", 0, 8, reason.format(77), schema_id=77, packet=messages[3]),
        ]
    )
    window.show_errors()
    table = window.errors_dialog.findChild(QTableWidget)
    rows = [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]
    assert rows == [
        ("rubin", "0", "5", reason.format(4321), "3"),
        ("ztf", "1", "2", "truncated", "1"),
        ("rubin", "0", "8", reason.format(77), "1"),
    ]
    window.errors_dialog.close()
