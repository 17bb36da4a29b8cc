"""Connect to a cluster: profiles, credentials in the OS keyring, topics, start position."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
from alertview.core.avro.registry import BASIC_AUTH
from alertview.core.errors import AlertViewError
from alertview.core.session.folder import Session
from alertview.core.session.meta import StreamMeta, default_group_id, stream_session_name
from alertview.core.stream.admin import TopicInfo, list_topics
from alertview.core.stream.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, KafkaSettings
from alertview.core.stream.consumer import ConsumerSettings
from alertview.core.urls import has_secret_query
from alertview.core.wording import counted
from alertview.gui.connection_profiles import (
    KEY_KEYRING_SERVICE,
    KEYRING_SERVICE,
    PROFILE_FIELDS,
    REGISTRY_KEYRING_SERVICE,
    ProfileStorage,
)
from alertview.gui.file_field import with_file_picker
from alertview.gui.off_thread import OffThread

#: (the keyring services and the profile's fields live with the profiles' storage)
__all__ = [
    "KEYRING_SERVICE",
    "KEY_KEYRING_SERVICE",
    "PROFILE_FIELDS",
    "REGISTRY_KEYRING_SERVICE",
    "ConnectionDialog",
    "keyring_usable",
]


def keyring_usable() -> bool:
    """True when the OS offers a keyring that protects passwords: not keyring's 'fail'
    backend, nor a plaintext file such as keyrings.alt's (see ``core.secrets``)."""
    return secrets.keyring_usable()


class ConnectionDialog(ProfileStorage, QDialog):
    """Profiles persist in QSettings; passwords only in the OS keyring, or asked each time."""

    def __init__(
        self,
        parent: QWidget | None = None,
        session: Session | None = None,
        resume: StreamMeta | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Resume the stream" if resume else "Connect to Kafka")
        #: The session of the window asking (None: a window its caller owns).
        self.current = session
        self.session_name = QLineEdit()
        self.session_name.setToolTip(
            "What arrives is kept in this session under the data folder: reopen it with "
            "File → Open session… or `alertview view --session NAME`"
        )
        self.keep = QCheckBox(
            "Keep what arrives (uncheck: a temporary session, no offsets committed)"
        )
        self.keep.setChecked(session is None or not session.is_temporary)
        self.keep.toggled.connect(self.session_name.setEnabled)
        self.keep.toggled.connect(lambda _: self._update_defaults())
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
        self.ca_file.setPlaceholderText("PEM; empty: the system's CAs")
        self.cert_file = QLineEdit()
        self.cert_file.setPlaceholderText("PEM, for mutual TLS only")
        self.key_file = QLineEdit()
        self.key_file.setPlaceholderText("PEM, for mutual TLS only")
        self.key_password = QLineEdit()
        self.key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_password.setPlaceholderText("only for an encrypted key; " + hint)
        self.insecure = QCheckBox("Do not check the broker's certificate (INSECURE)")
        self.insecure.setToolTip(
            "Anyone on the network path could pose as the broker and read your password "
            "and the alerts. Only for a broker you cannot get a CA file for."
        )
        self.insecure.toggled.connect(self._insecure_toggled)
        self.group = QLineEdit()
        self.group.setToolTip(
            "empty: one group per session (your user name first, as Rubin requires), so the "
            "viewer and `alertview consume` never move each other's offsets"
        )
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
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.topics = QTableWidget(0, 3)
        self.topics.setHorizontalHeaderLabels(["Topic", "Partitions", "Messages"])
        self.topics.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.topics.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._build()
        self._lister = OffThread("listing topics", self)
        self._lister.done.connect(self._show_topics)
        self._lister.failed.connect(self._listing_failed)
        self._tester = OffThread("testing the connection", self)
        self._tester.done.connect(self._tested)
        self._tester.failed.connect(self._test_failed)
        self._load_profiles()
        for changed in (self.bootstrap.textChanged, self.username.textChanged,
                        self.session_name.textChanged):  # fmt: skip
            changed.connect(self._update_defaults)
        self.topics.itemSelectionChanged.connect(self._update_defaults)
        if resume is not None:
            self._prefill(resume)
        self._update_defaults()

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("Profile", self.profile)
        form.addRow("Bootstrap servers", self.bootstrap)
        form.addRow("Security protocol", self.protocol)
        form.addRow("SASL mechanism", self.mechanism)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow("CA file", with_file_picker(self, self.ca_file, "CA certificate"))
        form.addRow(
            "Client certificate", with_file_picker(self, self.cert_file, "Client certificate")
        )
        form.addRow("Client key", with_file_picker(self, self.key_file, "Client key"))
        form.addRow("Client key password", self.key_password)
        form.addRow("", self.insecure)
        form.addRow("Group id", self.group)
        form.addRow("Schema registry", self.registry)
        form.addRow("Registry user", self.registry_user)
        form.addRow("Registry password", self.registry_password)
        start_row = QHBoxLayout()
        start_row.addWidget(self.start)
        start_row.addWidget(self.start_time)
        form.addRow("Start at", start_row)
        form.addRow("Session", self.session_name)
        form.addRow("", self.keep)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addWidget(self.list_button)
        layout.addLayout(actions)
        layout.addWidget(self.topics, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.profile.currentTextChanged.connect(self._load_profile)
        self.resize(640, 640)

    def _insecure_toggled(self, checked: bool) -> None:
        if checked:
            self.message.setText(
                "INSECURE: the broker's certificate and host name will not be checked"
            )

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
            cert_file=self.cert_file.text().strip() or None,
            key_file=self.key_file.text().strip() or None,
            key_password=self.key_password.text() or None,
            verify=not self.insecure.isChecked(),
        )

    def selected_topics(self) -> tuple[str, ...]:
        rows = sorted({i.row() for i in self.topics.selectedIndexes()})
        return tuple(self.topics.item(r, 0).text() for r in rows)

    # -- the session and the group ---------------------------------------------------------
    def default_session_name(self) -> str:
        """The session a stream goes into unless named: the window's own if it already
        follows these topics on this cluster, else one named after them."""
        topics, bootstrap = self.selected_topics(), self.bootstrap.text().strip()
        current = self.current
        if current is not None and current.meta.stream is not None and not current.is_temporary:
            stream = current.meta.stream
            if (stream.topics, stream.bootstrap) == (topics, bootstrap) or not topics:
                return current.name
        return stream_session_name(topics, bootstrap) if topics else "stream"

    def session_choice(self) -> tuple[str, bool]:
        """(session name, keep): where the stream goes."""
        return (
            self.session_name.text().strip() or self.default_session_name(),
            self.keep.isChecked(),
        )

    def default_group(self) -> str:
        name = self.session_choice()[0] if self.keep.isChecked() else "temporary"
        return default_group_id("view", name, self.username.text().strip() or None)

    def _update_defaults(self) -> None:
        self.session_name.setPlaceholderText(self.default_session_name())
        self.group.setPlaceholderText(self.default_group())

    def profile_name(self) -> str | None:
        return self.profile.currentText().strip() or None

    def _prefill(self, stream: StreamMeta) -> None:
        """Stream → Resume after a restart: the session's stream, from the committed offsets
        (the profile, if it still exists, brings the credentials back from the keyring)."""
        if stream.profile:
            self.profile.setCurrentText(stream.profile)
        self.bootstrap.setText(stream.bootstrap)
        self.group.setText(stream.group_id)
        self.start.setCurrentText("committed")
        self.topics.setRowCount(len(stream.topics))
        for row, topic in enumerate(stream.topics):
            self.topics.setItem(row, 0, QTableWidgetItem(topic))
        self.topics.selectAll()
        if self.current is not None:
            self.session_name.setText(self.current.name)
        self.message.setText("resumes from where this session's group stopped")

    def consumer_settings(self) -> ConsumerSettings:
        start: str | datetime = self.start.currentText()
        if start == "from a time":  # the editor shows UTC
            start = self.start_time.dateTime().toPython().replace(tzinfo=UTC)
        return ConsumerSettings(
            kafka=self.kafka_settings(),
            topics=self.selected_topics(),
            group_id=self.group.text().strip() or self.default_group(),
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
        group = self.group.text().strip() or None
        self._lister.start(lambda: list_topics(settings, group=group, timeout=8))

    def _listing_failed(self, message: str) -> None:
        """Say why, and let the user correct the settings and list again."""
        self.message.setText(message)
        self.list_button.setEnabled(True)

    def test_connection(self) -> None:
        """Connect and ask for the cluster's topics, off the GUI thread; the answer, or
        the one-line cause of a failure, goes to the message line."""
        try:
            settings = self.kafka_settings()
        except AlertViewError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"connecting to {settings.bootstrap} …")
        self.test_button.setEnabled(False)
        self._tester.start(lambda: (settings.bootstrap, list_topics(settings, timeout=8)))

    def _tested(self, answer: tuple[str, list[TopicInfo]]) -> None:
        bootstrap, topics = answer
        self.test_button.setEnabled(True)
        user = self.username.text().strip()
        who = f" as {user}" if user and self.protocol.currentText().startswith("SASL") else ""
        unchecked = " (certificate NOT checked)" if self.insecure.isChecked() else ""
        self.message.setText(
            f"connected to {bootstrap}{who}{unchecked}: {counted(len(topics), 'topic')}"
        )

    def _test_failed(self, message: str) -> None:
        """Say why; the button is enabled again for another try."""
        self.message.setText(message)
        self.test_button.setEnabled(True)

    def _show_topics(self, topics: list[TopicInfo]) -> None:
        self.list_button.setEnabled(True)
        self.topics.setRowCount(len(topics))
        for row, topic in enumerate(topics):
            for column, value in enumerate((topic.name, len(topic.partitions), topic.available)):
                item = QTableWidgetItem(str(value))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.topics.setItem(row, column, item)
        self.message.setText(f"{counted(len(topics), 'topic')}; choose one or more, then Connect")

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
