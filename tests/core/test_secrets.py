"""Only a keyring that protects passwords may keep them."""

from __future__ import annotations

import logging

import pytest
from keyring.backends import chainer, fail, null

from alertview.core import secrets
from tests.fake_keyrings import (
    EncryptedFileKeyring,
    LowPriorityKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    using_keyring,
)


@pytest.mark.parametrize(
    "backend",
    [PlaintextKeyring, EncryptedFileKeyring, LowPriorityKeyring, fail.Keyring, null.Keyring],
)
def test_insecure_backends_refused(backend, caplog):
    caplog.set_level(logging.INFO, logger="alertview.core.secrets")
    with using_keyring(backend()):
        assert secrets.secure_keyring() is None
        assert not secrets.keyring_usable()
    assert "asked each time" in caplog.text


def test_os_like_keyring_accepted():
    with using_keyring(MemoryKeyring()) as backend:
        assert secrets.secure_keyring() is backend
        assert secrets.keyring_usable()


def test_plaintext_by_name_refused_whatever_its_priority():
    class PlaintextFileKeyring(MemoryKeyring):
        priority = 9

    MemoryKeyring._classes.discard(PlaintextFileKeyring)
    assert not secrets.backend_secure(PlaintextFileKeyring())


def test_backend_whose_priority_raises_is_refused():
    class Broken(MemoryKeyring):
        @property
        def priority(self) -> float:
            raise RuntimeError("no D-Bus session")

    MemoryKeyring._classes.discard(Broken)
    assert not secrets.backend_secure(Broken())


def _chain(monkeypatch, *members):
    """keyring's own chainer over ``members`` (what keyring builds when several
    backends are viable, e.g. Secret Service and keyrings.alt's files)."""
    monkeypatch.setattr("keyring.backend.get_all_keyring", lambda: list(members))
    return chainer.ChainerBackend()


def test_chainer_of_plaintext_files_only_is_refused(monkeypatch):
    chain = _chain(monkeypatch, PlaintextKeyring(), EncryptedFileKeyring())
    assert chain.priority == 10  # keyring itself would choose this chainer
    with using_keyring(chain):
        assert not secrets.keyring_usable()


def test_chainer_uses_its_secure_member_directly(monkeypatch):
    """The password must not fall through to the plaintext file behind the chainer:
    the secure member is used directly, not the chainer."""
    secure, plain = MemoryKeyring(), PlaintextKeyring()
    chain = _chain(monkeypatch, plain, secure)
    with using_keyring(chain):
        chosen = secrets.secure_keyring()
    assert chosen is secure
    chosen.set_password("svc", "alice", "s3cret")
    assert plain.stored == {} and secure.get_password("svc", "alice") == "s3cret"
