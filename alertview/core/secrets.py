"""Which keyring may hold a password: only one that really protects it.

``keyring`` picks the highest-priority backend it finds. With ``keyrings.alt``
installed that can be a file that keeps passwords base64-encoded in plain
sight (``PlaintextKeyring``), or encrypted with a key stored beside it. Such a
keyring is worse than none: the user believes the password is protected. The
viewer then asks for the password each time instead.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: keyring's own advice: a priority below 1 marks a backend "not recommended".
MIN_PRIORITY = 1.0
#: Packages of backends that store secrets in files without real protection.
INSECURE_PACKAGES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:  # a backend may raise to say it is not viable here
        return float("-inf")


def backend_secure(backend: Any) -> bool:
    """True for a single backend that keeps secrets out of plain files."""
    kind = type(backend)
    module = kind.__module__ or ""
    if any(module == p or module.startswith(p + ".") for p in INSECURE_PACKAGES):
        return False
    if "plaintext" in kind.__name__.lower():
        return False
    return _priority(backend) >= MIN_PRIORITY


def _chained(backend: Any) -> list[Any] | None:
    """The backends a chainer tries, in its order; None if ``backend`` is no chainer."""
    try:
        from keyring.backends.chainer import ChainerBackend
    except ImportError:
        return None
    return list(backend.backends) if isinstance(backend, ChainerBackend) else None


def secure_keyring(backend: Any = None) -> Any | None:
    """The keyring backend to keep passwords in, or None to ask for them each time.

    ``backend`` defaults to keyring's choice. Of a chainer (several backends), the
    first secure one is used directly, so a password never falls through to a
    plaintext file behind it.
    """
    if backend is None:
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as exc:  # no keyring package, or a broken configuration
            log.info("no usable keyring (%s): passwords are asked each time", type(exc).__name__)
            return None
    members = _chained(backend)
    candidates = [backend] if members is None else members
    for candidate in candidates:
        if backend_secure(candidate):
            return candidate
    log.info("keyring %s is not secure: passwords are asked each time", type(backend).__name__)
    return None


def keyring_usable(backend: Any = None) -> bool:
    """True when a password may be remembered (see ``secure_keyring``)."""
    return secure_keyring(backend) is not None
