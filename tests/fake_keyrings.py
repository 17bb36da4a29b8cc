"""Keyring backends for tests: one like an OS keyring, ones like keyrings.alt's files.

They derive from keyring's own ``KeyringBackend`` (so ``keyring.set_keyring``
takes them) but are taken out of keyring's registry of classes, so keyring's
automatic choice never picks one for another test.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail

#: No keyring at all: keyring's own "fail" backend (priority 0, keeps nothing), what a
#: machine without an OS keyring has. tests/conftest.py sets it for every test.
NoKeyring = fail.Keyring
#: The same for child processes: keyring loads the backend this names before any other.
NO_KEYRING_ENV = {"PYTHON_KEYRING_BACKEND": f"{NoKeyring.__module__}.{NoKeyring.__name__}"}


class MemoryKeyring(KeyringBackend):
    """Stands for an OS keyring (Secret Service, Keychain): priority 5."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


class PlaintextKeyring(MemoryKeyring):
    """Like keyrings.alt.file.PlaintextKeyring: base64 "protection", priority 0.5."""

    priority = 0.5

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = base64.b64encode(password.encode()).decode()

    def get_password(self, service: str, username: str) -> str | None:
        value = self.stored.get((service, username))
        return None if value is None else base64.b64decode(value).decode()


# the module keyring would report for keyrings.alt's own class
PlaintextKeyring.__module__ = "keyrings.alt.file"


class EncryptedFileKeyring(MemoryKeyring):
    """Like keyrings.alt.file.EncryptedKeyring: a priority that would pass (>= 1), but
    the package is keyrings.alt, whose files give no real protection."""

    priority = 2


EncryptedFileKeyring.__module__ = "keyrings.alt.file"


class LowPriorityKeyring(MemoryKeyring):
    """Any backend keyring itself calls "not recommended" (priority below 1)."""

    priority = 0.9


for _fake in (MemoryKeyring, PlaintextKeyring, EncryptedFileKeyring, LowPriorityKeyring):
    KeyringBackend._classes.discard(_fake)


@contextlib.contextmanager
def using_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """``backend`` as keyring's current one, the previous one restored afterwards."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
