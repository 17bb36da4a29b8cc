"""A connection profile's storage: its fields in QSettings, its passwords in the OS keyring.

Kept apart from the connection dialog's layout and its actions (``connection_dialog``
mixes it in): what is saved where, and that no secret reaches the settings file.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

from alertview.core.urls import split_credentials

log = logging.getLogger(__name__)

KEYRING_SERVICE = "AlertView Kafka"
REGISTRY_KEYRING_SERVICE = "AlertView schema registry"
KEY_KEYRING_SERVICE = "AlertView client key"
#: What a profile keeps in QSettings: never a password, never a URL with credentials.
PROFILE_FIELDS = (
    "bootstrap",
    "protocol",
    "mechanism",
    "username",
    "ca_file",
    "cert_file",
    "key_file",
    "insecure",
    "group",
    "registry",
    "registry_user",
)


class ProfileStorage:
    """Profiles for ``ConnectionDialog``: uses its fields (one per ``PROFILE_FIELDS``
    name, the password fields, ``profile`` and ``registry``) and its ``keyring``."""

    # -- profiles ---------------------------------------------------------------------------
    def _load_profiles(self) -> None:
        settings = QSettings()
        settings.beginGroup("profiles")
        names = settings.childGroups()
        settings.endGroup()
        self.profile.blockSignals(True)
        self.profile.addItems(names or ["local"])
        last = QSettings().value("connection/last", "")
        if last in names:
            self.profile.setCurrentText(last)
        self.profile.blockSignals(False)
        self._load_profile(self.profile.currentText())

    def _load_profile(self, name: str) -> None:
        settings = QSettings()
        settings.beginGroup(f"profiles/{name}")
        for field in PROFILE_FIELDS:
            value = settings.value(field, "")
            widget = getattr(self, field)
            if isinstance(widget, QComboBox):
                if value:
                    widget.setCurrentText(value)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(str(value).lower() == "true")
            else:
                widget.setText(value)
        settings.endGroup()
        self.password.setText(self._stored_password(KEYRING_SERVICE, name, self.username) or "")
        self.registry_password.setText(
            self._stored_password(REGISTRY_KEYRING_SERVICE, name, self.registry_user) or ""
        )
        self.key_password.setText(
            self._stored_password(KEY_KEYRING_SERVICE, name, self.key_file) or ""
        )
        if self._take_registry_credentials():
            # a profile saved before credentials were kept out of the settings file
            self.save_profile(name)

    def save_profile(self, name: str | None = None) -> None:
        """The profile's fields to QSettings, its passwords to the keyring (if secure)."""
        name = name or self.profile.currentText().strip() or "default"
        self._take_registry_credentials()
        settings = QSettings()
        settings.beginGroup(f"profiles/{name}")
        for field in PROFILE_FIELDS:
            widget = getattr(self, field)
            if isinstance(widget, QCheckBox):
                settings.setValue(field, "true" if widget.isChecked() else "false")
                continue
            value = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            settings.setValue(field, value.strip())
        settings.endGroup()
        settings.setValue("connection/last", name)
        self._store_password(KEYRING_SERVICE, name, self.username, self.password)
        self._store_password(
            REGISTRY_KEYRING_SERVICE, name, self.registry_user, self.registry_password
        )
        self._store_password(KEY_KEYRING_SERVICE, name, self.key_file, self.key_password)

    def _stored_password(self, service: str, name: str, user: QLineEdit) -> str | None:
        if self.keyring is None:
            return None
        try:
            return self.keyring.get_password(service, f"{name}:{user.text().strip()}")
        except Exception as exc:  # a locked or broken keyring: ask instead
            log.info("keyring not read (%s): password asked instead", type(exc).__name__)
            return None

    def _store_password(self, service: str, name: str, user: QLineEdit, field: QLineEdit) -> None:
        if self.keyring is None or not field.text():
            return
        try:
            self.keyring.set_password(service, f"{name}:{user.text().strip()}", field.text())
        except Exception as exc:  # a locked keyring: the password is asked next time
            log.warning("password not kept in the keyring (%s)", type(exc).__name__)

    # -- schema registry ---------------------------------------------------------------------
    def _take_registry_credentials(self) -> bool:
        """Move ``user:password@`` out of the registry URL into their own fields, so the
        URL shown and saved carries none; True if there were any."""
        url, user, password = split_credentials(self.registry.text().strip())
        if user is None and password is None:
            return False
        self.registry.setText(url)
        if user is not None:
            self.registry_user.setText(user)
        if password is not None:
            self.registry_password.setText(password)
        return True
