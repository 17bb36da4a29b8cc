"""What the main window remembers between sessions (QSettings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from alertview.gui.table_columns import COLUMNS

if TYPE_CHECKING:
    from alertview.gui.main_window import MainWindow


def save_window_settings(window: MainWindow) -> None:
    """Geometry, layout, columns and display choices."""
    settings = QSettings()
    settings.setValue("main/geometry", window.saveGeometry())
    settings.setValue("main/splitter", window.splitter.saveState())
    settings.setValue("main/header", window.table.horizontalHeader().saveState())
    settings.setValue("main/header_fields", ",".join(_fields()))
    settings.setValue("main/follow", window.follow_action.isChecked())
    for key, action in window.panel_actions.items():  # View → panels
        settings.setValue(f"view/{key}", action.isChecked())
    cutouts, lightcurve = window.inspection.cutouts.controller, window.inspection.lightcurve
    settings.setValue("cutouts/limits", cutouts.limits)
    settings.setValue("cutouts/stretch", cutouts.stretch)
    settings.setValue("cutouts/colours", cutouts.colour_map)
    settings.setValue("lightcurve/axis", lightcurve.time_axis.currentIndex())
    settings.setValue("lightcurve/forced", lightcurve.forced_box.isChecked())
    settings.setValue("lightcurve/all_points", lightcurve.range_box.isChecked())


def restore_window_settings(window: MainWindow) -> bool:
    """Apply what ``save_window_settings`` kept; True if a column layout was restored."""
    settings = QSettings()
    if (geometry := settings.value("main/geometry")) is not None:
        window.restoreGeometry(geometry)
    if (state := settings.value("main/splitter")) is not None:
        window.splitter.restoreState(state)
    header = settings.value("main/header")
    if settings.value("main/header_fields", "") != ",".join(_fields()):
        header = None  # saved by a version with other columns: its widths would shift
    if header is not None:
        window.table.horizontalHeader().restoreState(header)
        window.table.fit_id_columns()  # saved narrower, or in another font: ids whole
    for key, action in window.panel_actions.items():
        action.setChecked(settings.value(f"view/{key}", True, type=bool))
    window.follow_action.setChecked(settings.value("main/follow", False, type=bool))
    cutouts, lightcurve = window.inspection.cutouts.controller, window.inspection.lightcurve
    cutouts.set_display(
        settings.value("cutouts/limits", cutouts.limits),
        settings.value("cutouts/stretch", cutouts.stretch),
        settings.value("cutouts/colours", cutouts.colour_map),
    )
    lightcurve.time_axis.setCurrentIndex(settings.value("lightcurve/axis", 0, type=int))
    lightcurve.forced_box.setChecked(settings.value("lightcurve/forced", True, type=bool))
    lightcurve.range_box.setChecked(settings.value("lightcurve/all_points", False, type=bool))
    return header is not None


def _fields() -> list[str]:
    """The table's fixed columns, which a saved header layout is for (Qt keeps it by
    column number)."""
    return [column.field for column in COLUMNS]
