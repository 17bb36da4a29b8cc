"""Connect to a cluster: profiles, credentials in the OS keyring, topics, start position."""

from __future__ import annotations

import contextlib
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

from alertview.core.errors import AlertViewError
from alertview.core.stream.admin import TopicInfo, list_topics
from alertview.core.stream.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings

KEYRING_SERVICE = "AlertView Kafka"
PROFILE_FIELDS = ("bootstrap", "protocol", "mechanism", "username", "ca_file", "group", "registry")


def keyring_usable() -> bool:
    """True when the OS offers a real keyring (not keyring's 'fail' backend)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    return not isinstance(keyring.get_keyring(), fail.Keyring)


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
        self.remember = keyring_usable()
        self.password.setPlaceholderText(
            "kept in the system keyring" if self.remember else "no keyring here: asked each time"
        )
        self.ca_file = QLineEdit()
        self.group = QLineEdit()
        self.group.setPlaceholderText("Rubin: must start with your user name")
        self.registry = QLineEdit()
        self.registry.setPlaceholderText("https://… (optional)")
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
        self._lister.failed.connect(self.message.setText)
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
        self.password.setText(self._stored_password(name) or "")

    def save_profile(self) -> None:
        name = self.profile.currentText().strip() or "default"
        settings = QSettings()
        settings.beginGroup(f"profiles/{name}")
        for field in PROFILE_FIELDS:
            widget = getattr(self, field)
            value = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            settings.setValue(field, value.strip())
        settings.endGroup()
        settings.setValue("connection/last", name)
        if self.remember and self.password.text():
            import keyring

            keyring.set_password(
                KEYRING_SERVICE, f"{name}:{self.username.text()}", self.password.text()
            )

    def _stored_password(self, name: str) -> str | None:
        if not self.remember:
            return None
        import keyring

        with contextlib.suppress(Exception):  # a locked or broken keyring: ask instead
            return keyring.get_password(KEYRING_SERVICE, f"{name}:{self.username.text()}")
        return None

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
        self.save_profile()
        super().accept()
