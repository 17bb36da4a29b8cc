"""The SAMP controller without widgets nor a hub: the table's real columns from real
packets, a ``MagicMock(spec=SampView)`` for the window and a fake connection that
records what would be sent (the real hub is in tests/core and tests/gui)."""

from __future__ import annotations

from unittest.mock import MagicMock

import numpy as np
import pytest

from alertview.controllers.samp import SampController, SampView
from alertview.core.avro.schemas import SchemaCache
from alertview.core.decode import read_alerts
from alertview.core.samp import HighlightRow, HubClosed, PointAt, SampClient, SampError
from alertview.core.session.store import AlertStore
from alertview.core.table.columns import AlertColumns
from tests.conftest import FINK_LSST_TRANSFER, FINK_ZTF_SINGLE


class FakeConnection:
    """Records notifications; ``tools`` are the clients subscribed to everything."""

    def __init__(self, deliver) -> None:
        self.deliver = deliver
        self.is_connected = False
        self.started_hub = False
        self.hub = None
        self.tools: list[SampClient] = []
        self.sent: list[tuple[str, dict, str | None]] = []
        self.fail: str | None = None

    def connect(self) -> None:
        if self.fail:
            raise SampError(self.fail)
        self.is_connected = True

    def disconnect(self, keep_hub: bool = False) -> None:
        self.is_connected = False

    def lost(self) -> None:
        self.is_connected = False

    def clients(self, mtype=None):
        if self.fail:
            if "disconnected" in self.fail:
                self.is_connected = False
            raise SampError(self.fail)
        return list(self.tools)

    def notify(self, mtype, params, recipient=None):
        self.sent.append((mtype, dict(params), recipient))
        return [recipient] if recipient else [t.client_id for t in self.tools]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    alerts = [
        a
        for a in read_alerts([FINK_ZTF_SINGLE, FINK_LSST_TRANSFER], SchemaCache())
        if not isinstance(a, Exception)
    ]
    columns = AlertColumns()
    with AlertStore(tmp_path_factory.mktemp("store")) as store:
        store.add(alerts)
        columns.append_rows(store.rows())
    return alerts, columns


@pytest.fixture
def controller(table):
    _, columns = table
    view = MagicMock(spec=SampView)
    view.table_columns.return_value = columns
    view.shown_positions.return_value = np.arange(len(columns))
    view.selected_positions.return_value = np.arange(len(columns))
    view.current_position.return_value = 0
    view.select_alert.return_value = True
    control = SampController(view, lambda message: None, FakeConnection)
    yield control
    control.close()
    assert control._folder is None  # the files sent are gone with the window


def messages(view):
    return [c.args[0] for c in view.show_message.call_args_list]


def test_a_send_connects_first_and_names_the_tools(controller, table):
    _, columns = table
    controller.connection.tools = [SampClient("c1", "TOPCAT"), SampClient("c2", "Aladin")]
    assert controller.send_selection()
    assert messages(controller.view) == [
        "Connected to the SAMP hub",
        f"Sent {len(columns)} alerts to TOPCAT, Aladin",
    ]
    ((mtype, params, recipient),) = controller.connection.sent
    assert mtype == "table.load.votable" and recipient is None
    assert params["table-id"] == "alertview-1" and params["url"].startswith("file://")
    # to one tool only
    assert controller.send_position(SampClient("c2", "Aladin"))
    mtype, params, recipient = controller.connection.sent[-1]
    assert (mtype, recipient) == ("coord.pointAt.sky", "c2")
    assert float(params["ra"]) == columns.numbers["ra"].values[0]


def test_nobody_to_send_to_and_a_failed_connection_are_one_line(controller):
    assert not controller.send_selection()
    assert messages(controller.view)[-1] == (
        "SAMP: no tool on the hub takes table.load.votable; nothing sent"
    )
    assert controller.connection.sent == []
    controller.connection.disconnect()
    controller.connection.fail = "no SAMP hub answers at http://x/lock"
    assert not controller.send_position()
    assert messages(controller.view)[-1] == "SAMP: no SAMP hub answers at http://x/lock"
    controller.view.show_connected.assert_called_with(False)


def test_a_highlighted_row_selects_the_alert_of_the_table_sent(controller, table):
    _, columns = table
    controller.connection.tools = [SampClient("c1", "TOPCAT")]
    order = np.arange(len(columns))[::-1]
    controller.view.selected_positions.return_value = order
    controller.send_selection()
    url = controller.connection.sent[-1][1]["url"]
    controller.received(HighlightRow("alertview-1", url, 1, "c1"))
    controller.view.select_alert.assert_called_with(int(columns.alert_id.values[order[1]]))
    controller.view.select_alert.reset_mock()
    controller.received(HighlightRow("someone-else", "file:///other.xml", 0, "c1"))
    controller.view.select_alert.assert_not_called()  # not a table AlertView sent
    controller.view.select_alert.return_value = False
    controller.received(HighlightRow(None, url, 0, "c1"))  # by URL alone
    alert_id = int(columns.alert_id.values[order[0]])
    assert messages(controller.view)[-1] == (
        f"SAMP: alert {alert_id} is not shown (the filter hides it)"
    )


def test_a_pointed_position_selects_the_nearest_shown_alert(controller, table):
    _, columns = table
    ra, dec = columns.numbers["ra"].values, columns.numbers["dec"].values
    target = len(columns) - 1
    controller.received(PointAt(ra[target] + 10 / 3600, dec[target], "c1"))
    controller.view.select_alert.assert_called_with(int(columns.alert_id.values[target]))
    # only what the table shows counts (the packets' alerts are degrees apart)
    controller.view.shown_positions.return_value = np.arange(len(columns) - 1)
    controller.view.select_alert.reset_mock()
    controller.received(PointAt(ra[target] + 10 / 3600, dec[target], "c1"))
    controller.view.select_alert.assert_not_called()
    assert messages(controller.view)[-1].startswith("SAMP: no alert shown within 1 arcmin of ")


def test_the_hub_going_away_unchecks_connect(controller):
    controller.connect()
    controller.received(HubClosed())
    assert not controller.connected
    controller.view.show_connected.assert_called_with(False)
    assert messages(controller.view)[-1] == "The SAMP hub shut down: disconnected"


def test_the_send_menus_list_all_clients_then_each_tool(controller):
    controller.connect()
    controller.connection.tools = [SampClient("c1", "TOPCAT")]
    entries = controller.send_entries("cutouts")
    assert [(e.label, e.recipient) for e in entries] == [
        ("All clients", None),
        ("TOPCAT", SampClient("c1", "TOPCAT")),
    ]
    assert controller.send_to("position", "TOPCAT")  # the test hook picks an entry
    assert controller.connection.sent[-1][0] == "coord.pointAt.sky"
    assert controller.connection.sent[-1][2] == "c1"
    assert not controller.send_to("position", "Aladin")  # not on the hub: no entry
    assert len(controller.connection.sent) == 1


def test_a_hub_that_stopped_answering_unchecks_connect_in_one_line(controller):
    controller.connect()
    controller.view.show_connected.reset_mock()
    controller.connection.fail = "SAMP hub did not answer in 3 s: disconnected"
    assert [e.label for e in controller.send_entries("selection")] == ["All clients"]
    assert messages(controller.view)[-1] == "SAMP hub did not answer in 3 s: disconnected"
    controller.view.show_connected.assert_called_once_with(False)
    assert not controller.send_selection()  # reconnecting fails the same way
    assert messages(controller.view)[-1] == "SAMP hub did not answer in 3 s: disconnected"
