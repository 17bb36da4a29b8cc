"""The SAMP implementation: ``pyvo.samp`` where installed, else ``astropy.samp``.

astropy 8 deprecates ``astropy.samp`` in favour of ``pyvo.samp`` (the same code,
moved); both have the same names, so the rest of the package imports them from here,
and the library itself is imported when one of them is first used (``_library``).

Their hub proxy has no timeout: a hub that accepts and never answers would block the
GUI thread for ever. ``TimedIntegratedClient`` and ``check_hub`` talk to the hub
through XML-RPC proxies whose own sockets time out after ``HUB_TIMEOUT`` seconds
(nothing process-wide: the hub and client threads of the library keep theirs).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import logging
import os
import warnings
import xmlrpc.client
from collections.abc import Iterator
from types import ModuleType
from typing import Any


@functools.cache
def _library() -> tuple[ModuleType, ModuleType]:
    """The SAMP package and its lockfile helpers, imported when SAMP is first used:
    importing ``pyvo`` pulls in its registry and table code, ~0.3 s of every start
    of the viewer for a menu the user may never open."""
    try:
        from pyvo import samp  # type: ignore[import-not-found, import-untyped, unused-ignore]
        from pyvo.samp import lockfile_helpers  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        from astropy.utils.exceptions import AstropyDeprecationWarning

        with warnings.catch_warnings():  # said once per import, to a user who cannot act on it
            warnings.simplefilter("ignore", AstropyDeprecationWarning)
            from astropy import samp
            from astropy.samp import lockfile_helpers
    return samp, lockfile_helpers


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
        utils = _library()[0].utils  # the XXE-safe parser
        return utils.get_safe_parser(self._use_datetime, self._use_builtin_types)


def timed_proxy(url: str, timeout: float = HUB_TIMEOUT) -> xmlrpc.client.ServerProxy:
    """An XML-RPC proxy to ``url`` whose calls raise TimeoutError after ``timeout`` s.
    Each proxy has its own transport (a transport keeps one connection: not shared)."""
    return xmlrpc.client.ServerProxy(url, transport=_TimedTransport(timeout), allow_none=True)


@functools.cache
def _timed_classes() -> dict[str, Any]:
    """The library's hub proxy and integrated client, timed (made on first use: they
    subclass the library's classes)."""
    samp = _library()[0]
    hub_proxy: Any = samp.SAMPHubProxy
    integrated_client: Any = samp.SAMPIntegratedClient

    class TimedHubProxy(hub_proxy):
        """The library's hub proxy with a pool of ``timed_proxy``s (its ``connect`` builds
        the pool inline, so it is redone here; every other method is the library's)."""

        def connect(self, hub: Any = None, hub_params: Any = None, pool_size: int = 20) -> None:
            self._connected = False
            self.lockfile = {}
            if (hub is None) == (hub_params is None):
                raise ValueError("connect to a hub or to a lockfile's entries, one of them")
            if hub is not None:
                if not hub.is_running:
                    raise samp.SAMPHubError("Hub is not running")
                hub_params = hub.params
            url = hub_params["samp.hub.xmlrpc.url"].replace("\\", "")
            self.proxy = samp.utils.ServerProxyPool(pool_size, timed_proxy, url)
            try:
                self.ping()
            except xmlrpc.client.ProtocolError as exc:
                raise samp.SAMPHubError(f"Protocol Error {exc.errcode}: {exc.errmsg}") from None
            self.lockfile = dict(hub_params)
            self._connected = True

    class TimedIntegratedClient(integrated_client):
        """The library's integrated client talking to the hub through ``TimedHubProxy``."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.hub = TimedHubProxy()

    return {"TimedHubProxy": TimedHubProxy, "TimedIntegratedClient": TimedIntegratedClient}


#: The library's names AlertView uses, each looked up when first asked for.
_LAZY = {
    "SAMPHubServer": lambda: _library()[0].SAMPHubServer,
    "SAMPIntegratedClient": lambda: _library()[0].SAMPIntegratedClient,
    "SAMPHubProxy": lambda: _library()[0].SAMPHubProxy,
    "TimedHubProxy": lambda: _timed_classes()["TimedHubProxy"],
    "TimedIntegratedClient": lambda: _timed_classes()["TimedIntegratedClient"],
}


def __getattr__(name: str) -> Any:
    """``SAMPHubServer``, ``TimedIntegratedClient``…: the SAMP library is imported on
    the first use of one of them (PEP 562)."""
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_hub(lockfile: str) -> dict[str, str] | None:
    """The entries of ``lockfile`` when its hub answers a ping, None when there is no
    lockfile or nothing listens; TimeoutError when the hub does not answer in time."""
    try:
        params = dict(_library()[1].read_lockfile(lockfile))
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
    with _library()[0].conf.set_temp("use_internet", False):
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
