"""AlertView as a SAMP client: connect, list the other tools, send, and listen.

What other tools send arrives on the SAMP client's own server thread; it is parsed
here into typed messages (``PointAt``, ``HighlightRow``, ``HubClosed``) and handed to
``on_received``, which must only pass it on to the GUI thread (a Qt signal or a queue).
"""

from __future__ import annotations

import logging
import re
import xmlrpc.client
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alertview.core.errors import AlertViewError
from alertview.core.samp import library
from alertview.core.samp.hub import NO_ANSWER, HubError, running_hub, start_hub, stop_hub
from alertview.core.samp.library import local_only

log = logging.getLogger(__name__)

MTYPE_POINT_AT = "coord.pointAt.sky"
MTYPE_HIGHLIGHT_ROW = "table.highlight.row"
MTYPE_SHUTDOWN = "samp.hub.event.shutdown"
#: What AlertView says about itself on the hub.
METADATA = {
    "samp.name": "AlertView",
    "samp.description.text": "Viewer for transient-alert streams (ZTF, Rubin/LSST, Fink)",
    "author.name": "AlertView",
}


class SampError(AlertViewError):
    """A SAMP operation that failed: one line for the user."""


@dataclass(frozen=True, slots=True)
class PointAt:
    """A tool points at a sky position (ICRS degrees)."""

    ra: float
    dec: float
    sender: str


@dataclass(frozen=True, slots=True)
class HighlightRow:
    """A tool highlights row ``row`` (0-based) of a table it loaded."""

    table_id: str | None
    url: str | None
    row: int
    sender: str


@dataclass(frozen=True, slots=True)
class HubClosed:
    """The hub is shutting down: the connection is over."""


Received = PointAt | HighlightRow | HubClosed


@dataclass(frozen=True, slots=True)
class SampClient:
    """Another tool on the hub."""

    client_id: str
    name: str


def parse_message(mtype: str, params: Mapping[str, Any], sender: str) -> Received:
    """The typed message of a SAMP message; ValueError names what is wrong."""
    if mtype == MTYPE_POINT_AT:
        ra, dec = float(params["ra"]), float(params["dec"])
        if not (-90.0 <= dec <= 90.0) or ra != ra:
            raise ValueError(f"position out of range: ra={ra}, dec={dec}")
        return PointAt(ra % 360.0, dec, sender)
    if mtype == MTYPE_HIGHLIGHT_ROW:
        row = int(params["row"])
        if row < 0:
            raise ValueError(f"row {row} is negative")
        return HighlightRow(params.get("table-id"), params.get("url"), row, sender)
    if mtype == MTYPE_SHUTDOWN:
        return HubClosed()
    raise ValueError(f"unexpected message {mtype}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, xmlrpc.client.Fault):  # "<class '...SAMPWarning'>:reason"
        text = exc.faultString.strip().splitlines()[-1] if exc.faultString else str(exc)
        return re.sub(r"^<class '[^']*'>:\s*", "", text)
    return str(exc) or type(exc).__name__


def _stop_quietly(client: Any) -> None:
    """Stop the client's own server thread and close its proxies, without a word to
    the hub (gone, or not answering)."""
    if client is None:
        return
    inner = getattr(client, "client", None)  # made by connect, after the hub answered
    if inner is not None and inner.is_running:
        inner.stop()
    client.hub.disconnect()


class SampConnection:
    """AlertView's registration on the hub; starts a hub when none runs.

    ``on_received`` is called on the SAMP client's thread with each message."""

    def __init__(self, on_received: Callable[[Received], None]) -> None:
        self.on_received = on_received
        self.client: Any = None
        #: The hub this connection started (None: another tool's hub).
        self.hub: Any = None

    @property
    def is_connected(self) -> bool:
        return self.client is not None and bool(self.client.is_connected)

    @property
    def started_hub(self) -> bool:
        return self.hub is not None

    def connect(self) -> None:
        """Register on the running hub, or start one and register on it."""
        if self.is_connected:
            return
        client = None
        try:
            params = running_hub()
            if params is None and self.hub is not None:  # ours, kept but gone: forget it
                stop_hub(self.hub)
                self.hub = None
            if params is None:
                self.hub = start_hub()
            client = library.TimedIntegratedClient(metadata=dict(METADATA), addr="127.0.0.1")
            with local_only():
                if params is None:
                    client.connect(hub=self.hub)
                else:
                    client.connect(hub_params=params)
            self.client = client
            for mtype in (MTYPE_POINT_AT, MTYPE_HIGHLIGHT_ROW):
                client.bind_receive_call(mtype, self._on_call)
                client.bind_receive_notification(mtype, self._on_notification)
            client.bind_receive_notification(MTYPE_SHUTDOWN, self._on_notification)
        except HubError as exc:
            self.disconnect()
            raise SampError(str(exc)) from None
        except TimeoutError:  # registered or not, nothing more is said to that hub
            _stop_quietly(client)
            self.disconnect()
            raise SampError(NO_ANSWER) from None
        except Exception as exc:  # astropy's SAMP*Error, OSError, xmlrpc faults
            log.debug("SAMP connection failed", exc_info=True)
            self.disconnect()
            raise SampError(f"cannot connect to the SAMP hub: {_reason(exc)}") from None
        log.info("connected to SAMP hub as %s", client.get_public_id())

    def disconnect(self, keep_hub: bool = False) -> None:
        """Unregister, stop the client's thread, and stop the hub if it is ours, unless
        ``keep_hub``: tools that joined the hub AlertView started keep it while AlertView
        runs (a Connect again registers on it)."""
        client, self.client = self.client, None
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # the hub may be gone already: stop our own side anyway
                log.debug("SAMP unregister failed", exc_info=True)
                _stop_quietly(client)
        if keep_hub:
            return
        hub, self.hub = self.hub, None
        if hub is not None:
            stop_hub(hub)

    def lost(self) -> None:
        """The hub went away (or hangs): stop our side without talking to it."""
        client, self.client = self.client, None
        _stop_quietly(client)
        self.disconnect()

    # -- sending ----------------------------------------------------------------------
    def clients(self, mtype: str | None = None) -> list[SampClient]:
        """The other tools on the hub (those subscribed to ``mtype`` if given)."""
        client = self._connected()
        try:
            if mtype is None:
                ids = list(client.get_registered_clients())
            else:
                ids = list(client.get_subscribed_clients(mtype))
            # neither AlertView itself nor the hub (which registers as a client too)
            skip = {client.get_public_id(), getattr(client.client, "_hub_id", None)}
            found = []
            for client_id in ids:
                if client_id in skip:
                    continue
                metadata = client.get_metadata(client_id) or {}
                found.append(SampClient(client_id, str(metadata.get("samp.name") or client_id)))
        except TimeoutError:
            raise self._hung() from None
        except Exception as exc:
            raise SampError(f"cannot list SAMP clients: {_reason(exc)}") from None
        return found

    def notify(
        self, mtype: str, params: Mapping[str, str], recipient: str | None = None
    ) -> list[str]:
        """Send a notification to ``recipient`` or to every subscribed tool; returns
        the ids it went to."""
        client = self._connected()
        message = {"samp.mtype": mtype, "samp.params": dict(params)}
        try:
            if recipient is None:
                return list(client.notify_all(message))
            client.notify(recipient, message)
        except TimeoutError:
            raise self._hung() from None
        except Exception as exc:
            log.debug("SAMP %s failed", mtype, exc_info=True)
            raise SampError(f"SAMP {mtype} not sent: {_reason(exc)}") from None
        return [recipient]

    def _hung(self) -> SampError:
        """The hub did not answer in time: drop the connection (each later call would
        wait as long again) and say so."""
        log.warning("%s: disconnected", NO_ANSWER)
        self.lost()
        return SampError(f"{NO_ANSWER}: disconnected")

    def _connected(self) -> Any:
        if not self.is_connected:
            raise SampError("not connected to a SAMP hub")
        return self.client

    # -- listening (the SAMP client's thread) -------------------------------------------
    def _on_notification(
        self, _key: str, sender: str, mtype: str, params: dict, _extra: dict
    ) -> None:
        try:
            message = parse_message(mtype, params, sender)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("SAMP %s from %s ignored: %s", mtype, sender, exc)
            return
        self.on_received(message)

    def _on_call(
        self, _key: str, sender: str, msg_id: str, mtype: str, params: dict, _extra: dict
    ) -> None:
        try:
            message = parse_message(mtype, params, sender)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("SAMP %s from %s refused: %s", mtype, sender, exc)
            reply = {"samp.status": "samp.error", "samp.error": {"samp.errortxt": str(exc)}}
        else:
            self.on_received(message)
            reply = {"samp.status": "samp.ok", "samp.result": {}}
        client = self.client
        if client is not None:
            try:
                client.reply(msg_id, reply)
            except Exception:
                log.debug("SAMP reply to %s failed", sender, exc_info=True)
