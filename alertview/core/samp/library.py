"""The SAMP implementation: ``pyvo.samp`` where installed, else ``astropy.samp``.

astropy 8 deprecates ``astropy.samp`` in favour of ``pyvo.samp`` (the same code,
moved); both have the same names, so the rest of the package imports them from here.

Their hub proxy has no timeout: a hub that accepts and never answers would block the
GUI thread for ever. ``TimedIntegratedClient`` and ``check_hub`` talk to the hub
through XML-RPC proxies whose own sockets time out after ``HUB_TIMEOUT`` seconds
(nothing process-wide: the hub and client threads of the library keep theirs).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import warnings
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

try:
    from pyvo import samp as _samp  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from pyvo.samp import lockfile_helpers as _lockfiles  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:
    from astropy.utils.exceptions import AstropyDeprecationWarning

    with warnings.catch_warnings():  # said once per import, to a user who cannot act on it
        warnings.simplefilter("ignore", AstropyDeprecationWarning)
        from astropy import samp as _samp
        from astropy.samp import lockfile_helpers as _lockfiles

SAMPHubServer: Any = _samp.SAMPHubServer
SAMPIntegratedClient: Any = _samp.SAMPIntegratedClient
SAMPHubProxy: Any = _samp.SAMPHubProxy
read_lockfile: Any = _lockfiles.read_lockfile
_utils: Any = _samp.utils  # the XXE-safe parser, the pool of proxies

#: Seconds AlertView waits for the hub to answer one call.
HUB_TIMEOUT = 3.0


class _TimedTransport(xmlrpc.client.Transport):
    """HTTP to the hub with a socket timeout, parsing replies with the library's
    XXE-safe parser (as its own proxies do)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout  # used when the socket is opened
        return connection

    def getparser(self) -> Any:
        return _utils.get_safe_parser(self._use_datetime, self._use_builtin_types)


def timed_proxy(url: str, timeout: float = HUB_TIMEOUT) -> xmlrpc.client.ServerProxy:
    """An XML-RPC proxy to ``url`` whose calls raise TimeoutError after ``timeout`` s.
    Each proxy has its own transport (a transport keeps one connection: not shared)."""
    return xmlrpc.client.ServerProxy(url, transport=_TimedTransport(timeout), allow_none=True)


class TimedHubProxy(SAMPHubProxy):
    """The library's hub proxy with a pool of ``timed_proxy``s (its ``connect`` builds
    the pool inline, so it is redone here; every other method is the library's)."""

    def connect(self, hub: Any = None, hub_params: Any = None, pool_size: int = 20) -> None:
        self._connected = False
        self.lockfile = {}
        if (hub is None) == (hub_params is None):
            raise ValueError("connect to a hub or to a lockfile's entries, one of them")
        if hub is not None:
            if not hub.is_running:
                raise _samp.SAMPHubError("Hub is not running")
            hub_params = hub.params
        url = hub_params["samp.hub.xmlrpc.url"].replace("\\", "")
        self.proxy = _utils.ServerProxyPool(pool_size, timed_proxy, url)
        try:
            self.ping()
        except xmlrpc.client.ProtocolError as exc:
            raise _samp.SAMPHubError(f"Protocol Error {exc.errcode}: {exc.errmsg}") from None
        self.lockfile = dict(hub_params)
        self._connected = True


class TimedIntegratedClient(SAMPIntegratedClient):
    """The library's integrated client talking to the hub through ``TimedHubProxy``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hub = TimedHubProxy()


def check_hub(lockfile: str) -> dict[str, str] | None:
    """The entries of ``lockfile`` when its hub answers a ping, None when there is no
    lockfile or nothing listens; TimeoutError when the hub does not answer in time."""
    try:
        params = dict(read_lockfile(lockfile))
    except (OSError, ValueError):
        return None
    url = params.get("samp.hub.xmlrpc.url")
    if not url:
        return None
    try:
        timed_proxy(url.replace("\\", "")).samp.hub.ping()
    except xmlrpc.client.ProtocolError:  # e.g. authentication required: it is alive
        return params
    except TimeoutError:
        raise
    except OSError:
        return None
    return params


def running_hubs_elsewhere(home: str) -> dict[str, str] | None:
    """The first answering hub of the multiple-instance folder ``home/.samp-1``."""
    folder = os.path.join(home, ".samp-1")
    if not os.path.isdir(folder):
        return None
    for name in sorted(os.listdir(folder)):
        if name.startswith("samp-hub"):
            with contextlib.suppress(TimeoutError):  # a hung hub there: try the next
                params = check_hub(os.path.join(folder, name))
                if params is not None:
                    return params
    return None


@contextlib.contextmanager
def local_only() -> Iterator[None]:
    """Hub and client listen on 127.0.0.1 and do not probe the internet first
    (without this, each asks google.com with a one-second timeout)."""
    with _samp.conf.set_temp("use_internet", False):
        yield


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The hub's "Hub started"/"Hub stopped" INFO lines go to AlertView's log, not
    the console (astropy's logger prints them)."""
    astropy_log = logging.getLogger("astropy")
    level = astropy_log.level
    astropy_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        astropy_log.setLevel(level)
