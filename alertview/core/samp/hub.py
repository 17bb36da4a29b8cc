"""Finding the desktop's SAMP hub, and starting one when none is running.

The standard profile: the hub's address is in a lockfile, ``~/.samp`` unless the
``SAMP_HUB`` environment variable names another (``std-lockurl:file:///...``); the
tests point it at a temporary file so a user's own hub is never touched.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from alertview.core.errors import AlertViewError
from alertview.core.samp import library
from alertview.core.samp.library import (
    HUB_TIMEOUT,
    check_hub,
    local_only,
    quiet,
    running_hubs_elsewhere,
)

log = logging.getLogger(__name__)

#: The environment variable naming the hub's lockfile (SAMP standard profile).
SAMP_HUB_ENV = "SAMP_HUB"
_LOCKURL = "std-lockurl:"


class HubError(AlertViewError):
    """No hub could be found nor started."""


#: What a hub that does not answer in time is told as.
NO_ANSWER = f"SAMP hub did not answer in {HUB_TIMEOUT:g} s"


def hub_lockfile() -> str:
    """The lockfile of the hub to use: ``SAMP_HUB``'s, else ``~/.samp``."""
    named = os.environ.get(SAMP_HUB_ENV, "")
    if named:
        if not named.startswith(_LOCKURL):
            raise HubError(f"{SAMP_HUB_ENV}={named!r} is not a std-lockurl: (standard profile)")
        return named[len(_LOCKURL) :]
    return str(Path.home() / ".samp")


def running_hub() -> dict[str, str] | None:
    """The lockfile entries of the running hub to connect to, None if there is none.

    With ``SAMP_HUB`` set only that hub counts; else ``~/.samp``, then any hub of
    the multiple-instance directory ``~/.samp-1``. HubError when the hub named does not
    answer in time (starting another would overwrite its lockfile)."""
    lockfile = hub_lockfile()
    try:
        params = check_hub(lockfile)
    except TimeoutError:
        raise HubError(NO_ANSWER) from None
    if params is not None or SAMP_HUB_ENV in os.environ:
        return params
    return running_hubs_elsewhere(str(Path.home()))


def start_hub() -> Any:
    """Start astropy's hub in this process, its lockfile where ``hub_lockfile`` says
    (no web profile: only desktop tools). It lives as long as AlertView's connection."""
    lockfile = hub_lockfile()
    if "://" in lockfile:
        parsed = urlparse(lockfile)
        if parsed.scheme != "file":
            raise HubError(f"no SAMP hub answers at {lockfile}, and none can be started there")
        lockfile = parsed.path
    Path(lockfile).parent.mkdir(parents=True, exist_ok=True)
    with local_only(), quiet():
        hub = library.SAMPHubServer(
            web_profile=False, lockfile=lockfile, addr="127.0.0.1", label="AlertView"
        )
        hub.start(wait=False)
    if not hub.is_running:
        raise HubError(f"the SAMP hub could not be started (lockfile {lockfile})")
    log.info("started a SAMP hub, lockfile %s", lockfile)
    return hub


def stop_hub(hub: Any) -> None:
    """Stop a hub ``start_hub`` started (its clients are told it shuts down)."""
    with quiet():
        hub.stop()
    log.info("stopped the SAMP hub")
