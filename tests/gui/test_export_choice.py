"""File → Export: the format is what the typed name says, and the status names the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertview.gui.export_action import CHOICES, export_target, written_message

AVRO, CSV, LIGHT = "Avro packets (*.avro)", "CSV table (*.csv)", "Light curves, CSV (*.csv)"


@pytest.mark.parametrize(
    ("typed", "chosen", "expected"),
    [
        ("/d/sel.csv", AVRO, ("csv", "/d/sel.csv")),  # the name wins over the list's default
        ("/d/sel", CSV, ("csv", "/d/sel.csv")),  # the chosen type's extension added
        ("/d/sel", AVRO, ("avro", "/d/sel.avro")),
        ("/d/sel.FITS", AVRO, ("fits", "/d/sel.FITS")),
        ("/d/sel.vot", CSV, ("votable", "/d/sel.vot")),
        ("/d/lc.csv", LIGHT, ("lightcurve-csv", "/d/lc.csv")),  # light curves stay so
        ("/d/lc", LIGHT, ("lightcurve-csv", "/d/lc.csv")),
        ("/d/night.2026", CSV, ("csv", "/d/night.2026.csv")),  # a dot is not an extension
        ("/d/stamps", "Cutouts as FITS and PNG (folder)", ("cutouts", "/d/stamps")),
    ],
)
def test_the_typed_name_decides_the_format(typed, chosen, expected) -> None:
    fmt, dest = export_target(typed, chosen)
    assert (fmt, str(dest)) == (expected[0], expected[1])


def test_the_message_names_the_files_written() -> None:
    one = written_message(1, [Path("/d/sel.csv")])
    assert one == "exported 1 alert to /d/sel.csv"
    many = [Path(f"/d/sel-{n}.avro") for n in range(1, 7)]
    text = written_message(11, many)
    assert text.startswith("exported 11 alerts to 6 files in /d: sel-1.avro, sel-2.avro")
    assert text.endswith(", …")


def test_an_added_extension_that_names_an_existing_file_is_asked_about(tmp_path) -> None:
    """The save dialog asked about 'sel'; 'sel.csv' was then replaced without a word."""
    from alertview.gui.export_action import unasked_overwrite

    typed = str(tmp_path / "sel")
    _, dest = export_target(typed, CSV)
    assert not unasked_overwrite(typed, dest)  # nothing there yet
    dest.write_text("last night's selection")
    assert unasked_overwrite(typed, dest)
    exact = tmp_path / "other.csv"
    exact.write_text("x")  # typed in full: the dialog itself asked
    assert not unasked_overwrite(str(exact), export_target(str(exact), AVRO)[1])


def test_the_next_export_starts_in_the_folder_of_the_last(
    window, qtbot, monkeypatch, tmp_path
) -> None:
    """The save dialog opened on the working folder each time."""
    from PySide6.QtWidgets import QFileDialog

    from alertview.gui.export_action import start_path
    from tests.conftest import ZTF_FILES

    with qtbot.waitSignal(window.import_finished, timeout=30000):
        window.open_paths(ZTF_FILES[:2])
    window.select_row(0)
    night = tmp_path / "night-1"
    night.mkdir()
    asked = []

    def save_as(_parent, _title, start, _filters):
        asked.append(start)
        return str(night / "sel.csv"), CSV

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    window._ask_export()
    assert (night / "sel.csv").exists()
    assert start_path() == str(night / "alerts")
    window._ask_export()
    assert asked[-1] == str(night / "alerts")


@pytest.mark.parametrize("chosen", [c for c in CHOICES if "with units" in c])
def test_a_type_said_to_carry_units_carries_them(chosen, tmp_path) -> None:
    """What the type list promises is in the file: units and the survey's time scale."""
    from astropy.table import Table

    from alertview.core.avro.schemas import SchemaCache
    from alertview.core.decode import read_alerts
    from alertview.core.export import export_alerts
    from tests.conftest import FINK_LSST_TRANSFER

    fmt, dest = export_target(str(tmp_path / "sel"), chosen)
    alerts = list(read_alerts([FINK_LSST_TRANSFER], SchemaCache()))
    (path,) = export_alerts(alerts, fmt, dest)
    table = Table.read(path, format={"ecsv": "ascii.ecsv"}.get(fmt, fmt))
    assert (str(table["ra"].unit), str(table["flux"].unit)) == ("deg", "nJy")
    assert "TAI" in table["mjd"].description
