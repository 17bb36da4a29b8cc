"""A jump to a row out of sight (the sky map, a light-curve point, a benchmark's
``select_row``) draws the selected alert first and scrolls the table after: scrolling
repaints every row, and that paint no longer delays the light curve and cutouts."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject

from tests.gui.test_follow_newest import arrive, live_batches


class Paints(QObject):
    """When each watched widget was painted first, and when the table scrolled."""

    def __init__(self, window) -> None:
        super().__init__()
        self.first: dict[str, float] = {}
        self.names = {
            window.inspection.lightcurve.plot.viewport(): "light curve",
            window.inspection.cutouts.view.viewport(): "cutouts",
        }
        for widget in self.names:
            widget.installEventFilter(self)
        window.table.verticalScrollBar().valueChanged.connect(
            lambda _value: self.first.setdefault("scroll", time.perf_counter())
        )

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and watched in self.names:
            self.first.setdefault(self.names[watched], time.perf_counter())
        return False


def table_with_rows(window, qtbot, batches: int = 3):
    window.resize(1500, 900)
    qtbot.waitExposed(window)
    for rows in live_batches(window, batches):
        arrive(window, rows)
    table = window.table
    table.scrollToTop()
    qtbot.wait(50)
    return table


def in_sight(table, row: int) -> bool:
    top = table.rowViewportPosition(row)
    return top >= 0 and top + table.rowHeight(row) <= table.viewport().height()


def test_a_jump_out_of_sight_draws_the_alert_then_scrolls(window, qtbot):
    table = table_with_rows(window, qtbot)
    far = window.model.rowCount() - 1
    assert not in_sight(table, far)
    paints = Paints(window)
    window.select_row(far)
    assert table.verticalScrollBar().value() == 0  # not yet: the alert comes first
    qtbot.waitUntil(lambda: "scroll" in paints.first)
    qtbot.waitUntil(lambda: in_sight(table, far))
    assert paints.first["light curve"] < paints.first["scroll"]
    assert paints.first["cutouts"] < paints.first["scroll"]
    assert window.inspection.alert.alert_id == window.model.field(far, "alert_id")
    # a row in sight is selected as Qt does it: nothing waits
    window.select_row(far - 1)
    assert table.currentIndex().row() == far - 1 and in_sight(table, far - 1)


def test_a_jump_while_the_figure_is_hidden_scrolls_at_once(window, qtbot):
    table = table_with_rows(window, qtbot)
    window.inspection.tabs.setCurrentWidget(window.inspection.details)  # packet tab
    far = window.model.rowCount() - 1
    window.select_row(far)
    assert in_sight(table, far)  # no figure on screen to wait for


def test_the_latest_of_quick_jumps_wins(window, qtbot):
    table = table_with_rows(window, qtbot)
    last = window.model.rowCount() - 1
    window.select_row(last)
    window.select_row(last - 60)  # before the first jump's alert was painted
    qtbot.waitUntil(lambda: in_sight(table, last - 60))
    qtbot.wait(300)  # the first jump's scroll does not come back later
    assert in_sight(table, last - 60) and table.currentIndex().row() == last - 60
