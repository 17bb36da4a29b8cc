"""The SAMP implementation: ``pyvo.samp`` where installed, else ``astropy.samp``.

astropy 8 deprecates ``astropy.samp`` in favour of ``pyvo.samp`` (the same code,
moved); both have the same names, so the rest of the package imports them from here.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

try:
    from pyvo import samp as _samp  # type: ignore[import-not-found, unused-ignore]
    from pyvo.samp import lockfile_helpers as _lockfiles  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    from astropy.utils.exceptions import AstropyDeprecationWarning

    with warnings.catch_warnings():  # said once per import, to a user who cannot act on it
        warnings.simplefilter("ignore", AstropyDeprecationWarning)
        from astropy import samp as _samp
        from astropy.samp import lockfile_helpers as _lockfiles

SAMPHubServer: Any = _samp.SAMPHubServer
SAMPIntegratedClient: Any = _samp.SAMPIntegratedClient
check_running_hub: Any = _lockfiles.check_running_hub
get_running_hubs: Any = _lockfiles.get_running_hubs


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
