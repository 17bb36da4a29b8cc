"""SAMP in the viewer: what to send for the selection, and what a tool's message selects.

The window (``gui.samp_menu``) implements ``SampView`` and calls ``received`` in the
GUI thread with what the SAMP client's thread got. Nothing here connects on its own:
only the user's "Connect" (or the "connect at start" setting they chose) does.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from alertview.core.alert import Alert
from alertview.core.errors import AlertViewError
from alertview.core.samp.connection import (
    MTYPE_POINT_AT,
    HighlightRow,
    HubClosed,
    PointAt,
    Received,
    SampClient,
    SampConnection,
    SampError,
)
from alertview.core.samp.matching import SEARCH_RADIUS, nearest_alert
from alertview.core.samp.messages import (
    MTYPE_FITS,
    MTYPE_TABLE,
    SentTable,
    SentTables,
    image_message,
    point_at_params,
    selection_fields,
    table_message,
    write_cutouts,
    write_votable,
)
from alertview.core.table.columns import AlertColumns
from alertview.core.wording import counted

log = logging.getLogger(__name__)


class SampView(Protocol):
    """The window's side of SAMP."""

    def table_columns(self) -> AlertColumns:
        """The session's table fields."""

    def shown_positions(self) -> np.ndarray:
        """Column positions of the rows the table shows (after its filter)."""

    def selected_positions(self) -> np.ndarray:
        """Column positions of the selected rows, in table order."""

    def current_alert(self) -> Alert | None:
        """The alert the user looks at, decoded with its cutouts (None: no selection)."""

    def current_position(self) -> int | None:
        """Column position of the current row (None: no selection)."""

    def select_alert(self, alert_id: int) -> bool:
        """Make ``alert_id``'s row current; False if the table does not show it."""

    def show_message(self, text: str) -> None:
        """One passing line in the status bar."""

    def show_connected(self, connected: bool) -> None:
        """The connection changed (the menu's check mark, its actions enabled)."""


Connector = Callable[[Callable[[Received], None]], SampConnection]

#: What each "Send … to" menu sends -> the message type of the tools it lists.
SENDS = {"selection": MTYPE_TABLE, "position": MTYPE_POINT_AT, "cutouts": MTYPE_FITS}
#: The first entry of each "Send … to" menu.
ALL_CLIENTS = "All clients"


@dataclass(frozen=True, slots=True)
class SendEntry:
    """One entry of a "Send … to" menu: its label and whom it sends to (None: all)."""

    label: str
    recipient: SampClient | None


class SampController:
    """One window's SAMP connection; ``deliver`` hands a message received on the SAMP
    thread to the GUI thread, which then calls ``received``."""

    def __init__(
        self,
        view: SampView,
        deliver: Callable[[Received], None],
        connector: Connector = SampConnection,
    ) -> None:
        self.view = view
        self.connection = connector(deliver)
        self.sent = SentTables()
        self._folder: Path | None = None
        self._count = 0

    @property
    def connected(self) -> bool:
        return self.connection.is_connected

    # -- connecting ---------------------------------------------------------------------
    def connect(self) -> bool:
        """Connect to the running hub, or start one; says which. False on failure."""
        kept = self.connection.hub  # ours, kept up since a disconnect
        try:
            self.connection.connect()
        except SampError as exc:
            self._failed(exc)
            return False
        if self.connection.started_hub and self.connection.hub is not kept:
            self.view.show_message("No SAMP hub was running: started one")
        else:
            self.view.show_message("Connected to the SAMP hub")
        self.view.show_connected(True)
        return True

    def disconnect(self) -> None:
        """Leave the hub; one AlertView started stays up for the tools that joined it
        until the window closes (stopping it here cut them off without a word)."""
        was_ours = self.connection.started_hub
        self.connection.disconnect(keep_hub=True)
        self.view.show_connected(False)
        self.view.show_message(
            "Disconnected from SAMP; the hub AlertView started runs until AlertView quits"
            if was_ours
            else "Disconnected from SAMP"
        )

    def close(self) -> None:
        """The window goes: leave the hub (stopping ours) and remove the files sent."""
        self.connection.disconnect()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def clients(self, mtype: str = MTYPE_TABLE) -> list[SampClient]:
        """The tools that take ``mtype`` (empty when not connected or on failure)."""
        if not self.connected:
            return []
        try:
            return self.connection.clients(mtype)
        except SampError as exc:
            self._failed(exc)
            return []

    # -- sending ------------------------------------------------------------------------
    def send_entries(self, what: str) -> list[SendEntry]:
        """The entries of the "Send ``what`` to" menu: all clients, then each tool that
        takes it (asked again each time: tools come and go)."""
        tools = self.clients(SENDS[what])
        return [SendEntry(ALL_CLIENTS, None)] + [SendEntry(c.name, c) for c in tools]

    def send(self, what: str, recipient: SampClient | None) -> bool:
        """Send ``what`` ("selection", "position" or "cutouts") to ``recipient``."""
        senders = {
            "selection": self.send_selection,
            "position": self.send_position,
            "cutouts": self.send_cutouts,
        }
        return senders[what](recipient)

    def send_to(self, what: str, label: str) -> bool:
        """Test hook: pick the entry ``label`` of the freshly listed "Send ``what`` to"
        menu, as the user would; False when the menu has no such entry."""
        entry = next((e for e in self.send_entries(what) if e.label == label), None)
        if entry is None:
            return False
        self.send(what, entry.recipient)
        return True

    def send_selection(self, recipient: SampClient | None = None) -> bool:
        """The selected rows as a VOTable (``table.load.votable``)."""
        positions = self.view.selected_positions()
        if not len(positions):
            self.view.show_message("SAMP: select alerts to send first")
            return False
        self._count += 1
        table_id = f"alertview-{self._count}"
        name = f"AlertView selection {self._count}"
        columns = self.view.table_columns()
        try:
            fields = selection_fields(columns, positions)
            path = write_votable(fields, self._files() / f"{table_id}.xml", table_id, name)
        except OSError as exc:
            self.view.show_message(f"SAMP: the table could not be written: {exc}")
            return False
        ids = tuple(int(i) for i in columns.alert_id.values[positions])
        self.sent.remember(SentTable(table_id, path.as_uri(), ids))
        what = counted(len(positions), "alert")
        return self._send(MTYPE_TABLE, [table_message(path, table_id, name)], recipient, what)

    def send_position(self, recipient: SampClient | None = None) -> bool:
        """The current alert's position (``coord.pointAt.sky``)."""
        position = self.view.current_position()
        if position is None:
            self.view.show_message("SAMP: select an alert first")
            return False
        numbers = self.view.table_columns().numbers
        ra, dec = numbers["ra"].values[position], numbers["dec"].values[position]
        if np.isnan(ra) or np.isnan(dec):
            self.view.show_message("SAMP: this alert has no position")
            return False
        what = f"the position {ra:.5f} {dec:+.5f}"
        return self._send(MTYPE_POINT_AT, [point_at_params(ra, dec)], recipient, what)

    def send_cutouts(self, recipient: SampClient | None = None) -> bool:
        """The current alert's three stamps as FITS (``image.load.fits``)."""
        try:
            alert = self.view.current_alert()
        except (AlertViewError, OSError) as exc:  # a packet the session no longer keeps
            self.view.show_message(f"SAMP: the alert cannot be read: {exc}")
            return False
        if alert is None:
            self.view.show_message("SAMP: select an alert first")
            return False
        try:
            written, problems = write_cutouts(alert, self._files())
        except OSError as exc:
            self.view.show_message(f"SAMP: the cutouts could not be written: {exc}")
            return False
        if not written:
            self.view.show_message(f"SAMP: nothing to send: {'; '.join(problems)}")
            return False
        # named as the astronomer knows it in DS9's or Aladin's list: object, stamp, alert
        label = f"{alert.object_id} " if alert.object_id else ""
        messages = [
            image_message(
                path, f"{alert.alert_id}-{name}", f"{label}{name} (alert {alert.alert_id})"
            )
            for name, path in written
        ]
        what = counted(len(written), "cutout")
        if problems:
            what += f" ({'; '.join(problems)})"
        return self._send(MTYPE_FITS, messages, recipient, what)

    def _send(
        self, mtype: str, messages: list[dict[str, str]], recipient: SampClient | None, what: str
    ) -> bool:
        if not self.connected and not self.connect():
            return False
        try:
            # the hub refuses a notify_all nobody subscribes to: say so in our words
            takers = {c.client_id: c.name for c in self.connection.clients(mtype)}
            if recipient is None and not takers:
                self.view.show_message(f"SAMP: no tool on the hub takes {mtype}; nothing sent")
                return False
            target = None if recipient is None else recipient.client_id
            reached: list[str] = []
            for params in messages:
                reached = self.connection.notify(mtype, params, target)
        except SampError as exc:
            self._failed(exc)
            return False
        names = [takers.get(i, recipient.name if recipient else i) for i in reached]
        self.view.show_message(f"Sent {what} to {', '.join(names)}")
        return True

    def _failed(self, exc: SampError) -> None:
        """One line for a failed call; a hub that did not answer in time has been let
        go by the connection, so the menu's check mark goes too."""
        text = str(exc)
        self.view.show_message(text if text.startswith("SAMP") else f"SAMP: {text}")
        if not self.connected:
            self.view.show_connected(False)

    def _files(self) -> Path:
        """The private folder of the files sent (0700; removed at ``close``)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="alertview-samp-"))
        return self._folder

    # -- receiving (GUI thread) ---------------------------------------------------------
    def received(self, message: Received) -> None:
        """A message another tool sent: select its alert, or note the hub is gone."""
        if isinstance(message, HubClosed):
            self.connection.lost()
            self.view.show_connected(False)
            self.view.show_message("The SAMP hub shut down: disconnected")
        elif isinstance(message, HighlightRow):
            alert_id = self.sent.alert_of(message.table_id, message.url, message.row)
            if alert_id is None:
                log.debug("highlight.row of a table AlertView did not send: %s", message)
                return
            self._select(alert_id)
        elif isinstance(message, PointAt):
            self._point_at(message)

    def _point_at(self, message: PointAt) -> None:
        columns = self.view.table_columns()
        shown = self.view.shown_positions()
        numbers = columns.numbers
        current = self.view.current_position()
        where = np.flatnonzero(shown == current) if current is not None else np.empty(0, int)
        found = nearest_alert(
            numbers["ra"].values[shown],
            numbers["dec"].values[shown],
            numbers["mjd"].values[shown],
            message.ra,
            message.dec,
            int(where[0]) if len(where) else None,
        )
        if found is None:
            radius = f"{SEARCH_RADIUS / 60:g} arcmin"
            self.view.show_message(
                f"SAMP: no alert shown within {radius} of {message.ra:.5f} {message.dec:+.5f}"
            )
            return
        self._select(int(columns.alert_id.values[shown[found]]))

    def _select(self, alert_id: int) -> None:
        if not self.view.select_alert(alert_id):
            self.view.show_message(f"SAMP: alert {alert_id} is not shown (the filter hides it)")
