"""Connect to a cluster: profiles, credentials in the OS keyring, topics, start position."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QObject, QSettings, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alertview.core import secrets
from alertview.core.errors import AlertViewError
from alertview.core.stream.admin import TopicInfo, list_topics
from alertview.core.stream.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.stream.registry import BASIC_AUTH
from alertview.core.urls import has_secret_query, split_credentials

log = logging.getLogger(__name__)

KEYRING_SERVICE = "AlertView Kafka"
REGISTRY_KEYRING_SERVICE = "AlertView schema registry"
#: What a profile keeps in QSettings: never a password, never a URL with credentials.
PROFILE_FIELDS = (
    "bootstrap",
    "protocol",
    "mechanism",
    "username",
    "ca_file",
    "group",
    "registry",
    "registry_user",
)


def keyring_usable() -> bool:
    """True when the OS offers a keyring that protects passwords: not keyring's 'fail'
    backend, nor a plaintext file such as keyrings.alt's (see ``core.secrets``)."""
    return secrets.keyring_usable()


class _TopicLister(QObject):
    """Lists topics off the GUI thread (a real cluster may take seconds to answer)."""

    listed = Signal(list)
    failed = Signal(str)

    def start(self, settings: KafkaSettings, group: str | None) -> None:
        def work() -> None:
            try:
                self.listed.emit(list_topics(settings, group=group, timeout=8))
            except AlertViewError as exc:
                self.failed.emit(str(exc))
            except Exception as exc:  # whatever the client raised: the dialog must go on
                log.debug("listing topics failed", exc_info=True)
                self.failed.emit(f"listing topics failed: {type(exc).__name__}: {exc}")

        threading.Thread(target=work, name="list-topics", daemon=True).start()


class ConnectionDialog(QDialog):
    """Profiles persist in QSettings; passwords only in the OS keyring, or asked each time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to Kafka")
        self.profile = QComboBox()
        self.profile.setEditable(True)
        self.bootstrap = QLineEdit()
        self.bootstrap.setPlaceholderText("host:port[,host:port]")
        self.protocol = QComboBox()
        self.protocol.addItems(SECURITY_PROTOCOLS)
        self.mechanism = QComboBox()
        self.mechanism.addItems(SASL_MECHANISMS)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        #: The keyring backend passwords go to; None: asked each time.
        self.keyring = secrets.secure_keyring()
        self.remember = self.keyring is not None
        hint = (
            "kept in the system keyring" if self.remember else "no keyring here: asked each time"
        )
        self.password.setPlaceholderText(hint)
        self.ca_file = QLineEdit()
        self.group = QLineEdit()
        self.group.setPlaceholderText("Rubin: must start with your user name")
        self.registry = QLineEdit()
        self.registry.setPlaceholderText("https://… (optional)")
        # credentials typed into the URL move to the two fields below at once
        self.registry.editingFinished.connect(self._take_registry_credentials)
        self.registry_user = QLineEdit()
        self.registry_user.setPlaceholderText("only if the registry asks for one")
        self.registry_password = QLineEdit()
        self.registry_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.registry_password.setPlaceholderText(hint)
        self.start = QComboBox()
        self.start.addItems(["earliest", "latest", "committed", "from a time"])
        self.start_time = QDateTimeEdit(QDateTime.currentDateTimeUtc().addSecs(-3600))
        if hasattr(self.start_time, "setTimeZone"):  # Qt >= 6.7; setTimeSpec is deprecated
            self.start_time.setTimeZone(QTimeZone.utc())
        else:
            self.start_time.setTimeSpec(Qt.TimeSpec.UTC)
        self.start_time.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
        self.start.currentTextChanged.connect(
            lambda text: self.start_time.setEnabled(text == "from a time")
        )
        self.start_time.setEnabled(False)
        self.list_button = QPushButton("List topics")
        self.list_button.clicked.connect(self.list_topics)
        self.topics = QTableWidget(0, 3)
        self.topics.setHorizontalHeaderLabels(["Topic", "Partitions", "Messages"])
        self.topics.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.topics.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._build()
        self._lister = _TopicLister(self)
        self._lister.listed.connect(self._show_topics)
        self._lister.failed.connect(self._listing_failed)
        self._load_profiles()

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("Profile", self.profile)
        form.addRow("Bootstrap servers", self.bootstrap)
        form.addRow("Security protocol", self.protocol)
        form.addRow("SASL mechanism", self.mechanism)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("CA file", self.ca_file)
        form.addRow("Group id", self.group)
        form.addRow("Schema registry", self.registry)
        form.addRow("Registry user", self.registry_user)
        form.addRow("Registry password", self.registry_password)
        start_row = QHBoxLayout()
        start_row.addWidget(self.start)
        start_row.addWidget(self.start_time)
        form.addRow("Start at", start_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.list_button)
        layout.addWidget(self.topics, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.profile.currentTextChanged.connect(self._load_profile)
        self.resize(640, 640)

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
            else:
                widget.setText(value)
        settings.endGroup()
        self.password.setText(self._stored_password(KEYRING_SERVICE, name, self.username) or "")
        self.registry_password.setText(
            self._stored_password(REGISTRY_KEYRING_SERVICE, name, self.registry_user) or ""
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
            value = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            settings.setValue(field, value.strip())
        settings.endGroup()
        settings.setValue("connection/last", name)
        self._store_password(KEYRING_SERVICE, name, self.username, self.password)
        self._store_password(
            REGISTRY_KEYRING_SERVICE, name, self.registry_user, self.registry_password
        )

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

    def registry_settings(self) -> tuple[str | None, dict[str, str]]:
        """(registry URL without credentials, confluent-kafka registry client settings):
        the credentials go to the client's Basic-auth setting, not into the URL."""
        self._take_registry_credentials()
        url = self.registry.text().strip() or None
        user, password = self.registry_user.text().strip(), self.registry_password.text()
        config = {BASIC_AUTH: f"{user}:{password}"} if url and (user or password) else {}
        return url, config

    # -- settings ------------------------------------------------------------------------
    def kafka_settings(self) -> KafkaSettings:
        protocol = self.protocol.currentText()
        return KafkaSettings(
            bootstrap=self.bootstrap.text().strip(),
            security_protocol=protocol,
            sasl_mechanism=self.mechanism.currentText() if protocol.startswith("SASL") else None,
            username=self.username.text().strip() or None,
            password=self.password.text() or None,
            ca_file=self.ca_file.text().strip() or None,
        )

    def selected_topics(self) -> tuple[str, ...]:
        rows = sorted({i.row() for i in self.topics.selectedIndexes()})
        return tuple(self.topics.item(r, 0).text() for r in rows)

    def consumer_settings(self) -> ConsumerSettings:
        import getpass

        start: str | datetime = self.start.currentText()
        if start == "from a time":  # the editor shows UTC
            start = self.start_time.dateTime().toPython().replace(tzinfo=UTC)
        return ConsumerSettings(
            kafka=self.kafka_settings(),
            topics=self.selected_topics(),
            group_id=self.group.text().strip() or f"alertview-{getpass.getuser()}",
            start=start,
        )

    # -- topics --------------------------------------------------------------------------------
    def list_topics(self) -> None:
        try:
            settings = self.kafka_settings()
        except AlertViewError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"asking {settings.bootstrap} …")
        self.list_button.setEnabled(False)
        self._lister.start(settings, self.group.text().strip() or None)

    def _listing_failed(self, message: str) -> None:
        """Say why, and let the user correct the settings and list again."""
        self.message.setText(message)
        self.list_button.setEnabled(True)

    def _show_topics(self, topics: list[TopicInfo]) -> None:
        self.list_button.setEnabled(True)
        self.topics.setRowCount(len(topics))
        for row, topic in enumerate(topics):
            for column, value in enumerate((topic.name, len(topic.partitions), topic.available)):
                item = QTableWidgetItem(str(value))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.topics.setItem(row, column, item)
        self.message.setText(f"{len(topics)} topics; choose one or more, then Connect")

    def accept(self) -> None:
        if not self.selected_topics():
            self.message.setText("choose at least one topic (List topics first)")
            return
        try:
            self.consumer_settings()
        except AlertViewError as exc:
            self.message.setText(str(exc))
            return
        if has_secret_query(self.registry.text()):
            self.message.setText(
                "the schema registry URL carries a secret in its query: "
                "give it as Registry user and password instead"
            )
            return
        self.save_profile()
        super().accept()
