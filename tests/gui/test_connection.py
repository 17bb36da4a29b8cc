"""The connection dialog against a real broker: list topics, choose, connect, profiles;
passwords only in a keyring that protects them, never in the settings file."""

from __future__ import annotations

from datetime import UTC

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from alertview.core.broker.engines import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer
from alertview.gui.connection_dialog import (
    KEY_KEYRING_SERVICE,
    KEYRING_SERVICE,
    REGISTRY_KEYRING_SERVICE,
    ConnectionDialog,
    keyring_usable,
)
from tests.conftest import ZTF_FILES
from tests.fake_keyrings import MemoryKeyring, PlaintextKeyring, using_keyring
from tests.stream import kafka_fixtures
from tests.stream.tls_servers import ClientCertificateServer, client_certificate

#: Real Apache Kafka over SASL_SSL (SCRAM-SHA-512, its own CA), started for this module.
secured_kafka = kafka_fixtures.secured_kafka

REGISTRY = "https://alice:s3cr3t@reg.example.org:8081"


def settings_text(folder) -> str:
    QSettings().sync()
    return "".join(p.read_text() for p in folder.rglob("*.ini"))


def type_registry(qtbot, dialog: ConnectionDialog, url: str) -> None:
    """Type ``url`` into the registry field and Tab out of it, as a user does."""
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.registry.setFocus()
    qtbot.waitUntil(dialog.registry.hasFocus)
    dialog.registry.selectAll()
    qtbot.keyClicks(dialog.registry, url)
    qtbot.keyClick(dialog.registry, Qt.Key.Key_Tab)


def click_connect(qtbot, dialog: ConnectionDialog) -> None:
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


@pytest.fixture(scope="module")
def broker():
    with EmbeddedBroker("mock") as running:
        producer = AlertProducer(KafkaSettings(running.bootstrap))
        producer.send("ztf-night", ZTF_FILES[0].read_bytes())
        assert producer.flush(20).delivered == 1
        yield running


def list_and_choose(qtbot, dialog: ConnectionDialog, bootstrap: str) -> None:
    dialog.bootstrap.setText(bootstrap)
    qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.topics.rowCount() > 0, timeout=15000)
    names = [dialog.topics.item(r, 0).text() for r in range(dialog.topics.rowCount())]
    dialog.topics.selectRow(names.index("ztf-night"))


def test_list_topics_choose_and_connect(qtbot, private_settings):
    with EmbeddedBroker("mock") as broker:
        producer = AlertProducer(KafkaSettings(broker.bootstrap))
        for path in ZTF_FILES[:3]:
            producer.send("ztf-night", path.read_bytes())
        assert producer.flush(20).delivered == 3
        dialog = ConnectionDialog()
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.profile.setCurrentText("laptop")
        dialog.bootstrap.setText(broker.bootstrap)
        dialog.group.setText("alice-tests")
        dialog.password.setText("s3cret")
        qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.topics.rowCount() > 0, timeout=15000)
        names = [dialog.topics.item(r, 0).text() for r in range(dialog.topics.rowCount())]
        row = names.index("ztf-night")
        assert dialog.topics.item(row, 2).text() == "3"
        dialog.accept()  # no topic chosen yet: refused with a message
        assert dialog.isVisible() and "choose at least one topic" in dialog.message.text()
        dialog.topics.selectRow(row)
        dialog.start.setCurrentText("from a time")
        settings = dialog.consumer_settings()
        assert settings.topics == ("ztf-night",) and settings.group_id == "alice-tests"
        assert settings.kafka.bootstrap == broker.bootstrap and settings.start.tzinfo is UTC
        dialog.start.setCurrentText("earliest")
        # a registry URL with a secret in its query is refused: it would be saved
        dialog.registry.setText("https://reg.example.org/?token=t0ken")
        click_connect(qtbot, dialog)
        assert dialog.isVisible() and "secret in its query" in dialog.message.text()
        # credentials typed into the URL leave it for their own fields at once
        type_registry(qtbot, dialog, REGISTRY)
        assert dialog.registry.text() == "https://reg.example.org:8081"
        assert dialog.registry_user.text() == "alice"
        assert dialog.registry_password.text() == "s3cr3t"
        assert dialog.registry_settings() == (
            "https://reg.example.org:8081",
            {"basic.auth.user.info": "alice:s3cr3t"},
        )
        click_connect(qtbot, dialog)
        assert not dialog.isVisible()
        dialog.deleteLater()
    # the profile persists; no password is in the settings file
    text = settings_text(private_settings)
    assert "laptop" in text and broker.bootstrap in text and "reg.example.org:8081" in text
    assert "s3cret" not in text and "s3cr3t" not in text and "t0ken" not in text
    again = ConnectionDialog()
    qtbot.addWidget(again)
    assert again.profile.currentText() == "laptop"
    assert again.bootstrap.text() == broker.bootstrap and again.group.text() == "alice-tests"
    assert again.password.text() == ""  # no keyring here: asked each time
    assert again.registry.text() == "https://reg.example.org:8081"
    assert again.registry_user.text() == "alice" and again.registry_password.text() == ""
    again.registry_password.setText("typed-again")  # asked each time
    assert again.registry_settings() == (
        "https://reg.example.org:8081",
        {"basic.auth.user.info": "alice:typed-again"},
    )


def test_passwords_kept_in_a_secure_keyring(qtbot, private_settings, broker):
    with using_keyring(MemoryKeyring()) as memory:
        assert keyring_usable()
        dialog = ConnectionDialog()
        qtbot.addWidget(dialog)
        assert "system keyring" in dialog.password.placeholderText()
        dialog.profile.setCurrentText("rubin")
        dialog.username.setText("bob")
        dialog.password.setText("kafka-pw")
        type_registry(qtbot, dialog, REGISTRY)
        list_and_choose(qtbot, dialog, broker.bootstrap)
        click_connect(qtbot, dialog)
        assert not dialog.isVisible()
        assert memory.stored == {
            (KEYRING_SERVICE, "rubin:bob"): "kafka-pw",
            (REGISTRY_KEYRING_SERVICE, "rubin:alice"): "s3cr3t",
        }
        again = ConnectionDialog()
        qtbot.addWidget(again)
        assert again.profile.currentText() == "rubin" and again.password.text() == "kafka-pw"
        assert again.registry_settings() == (
            "https://reg.example.org:8081",
            {"basic.auth.user.info": "alice:s3cr3t"},
        )
    text = settings_text(private_settings)
    assert "rubin" in text and "kafka-pw" not in text and "s3cr3t" not in text


def test_plaintext_keyring_refused_passwords_asked_each_time(qtbot, private_settings, broker):
    """keyrings.alt's PlaintextKeyring would keep the password base64-encoded in a file."""
    with using_keyring(PlaintextKeyring()) as plain:
        assert not keyring_usable()
        dialog = ConnectionDialog()
        qtbot.addWidget(dialog)
        assert not dialog.remember
        assert "asked each time" in dialog.password.placeholderText()
        assert "asked each time" in dialog.registry_password.placeholderText()
        dialog.profile.setCurrentText("laptop")
        dialog.username.setText("bob")
        dialog.password.setText("kafka-pw")
        dialog.registry.setText(REGISTRY)  # pasted, never edited: split on Connect
        list_and_choose(qtbot, dialog, broker.bootstrap)
        click_connect(qtbot, dialog)
        assert not dialog.isVisible()
        assert plain.stored == {}
        plain.set_password(KEYRING_SERVICE, "laptop:bob", "planted")  # never read either
        again = ConnectionDialog()
        qtbot.addWidget(again)
        assert again.password.text() == "" and again.registry_password.text() == ""
    assert "kafka-pw" not in settings_text(private_settings)


def test_old_profile_with_registry_credentials_cleaned_on_load(qtbot, private_settings):
    """A profile saved before this fix kept the URL with its password: loading it moves
    the password to the keyring and rewrites the settings file without it."""
    settings = QSettings()
    settings.setValue("profiles/old/bootstrap", "kafka.example.org:9092")
    settings.setValue("profiles/old/registry", "https://bob:hunter22@reg.example.org")
    settings.setValue("connection/last", "old")
    settings.sync()
    assert "hunter22" in settings_text(private_settings)
    with using_keyring(MemoryKeyring()) as memory:
        dialog = ConnectionDialog()
        qtbot.addWidget(dialog)
        assert dialog.registry.text() == "https://reg.example.org"
        assert dialog.registry_user.text() == "bob"
        assert dialog.registry_password.text() == "hunter22"
    assert memory.stored == {(REGISTRY_KEYRING_SERVICE, "old:bob"): "hunter22"}
    text = settings_text(private_settings)
    assert "hunter22" not in text and "https://reg.example.org" in text


def test_unreachable_cluster_message(qtbot, private_settings):
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.bootstrap.setText("127.0.0.1:1")
    qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list_button.isEnabled() or "cannot" in dialog.message.text(),
                    timeout=20000)  # fmt: skip
    qtbot.waitUntil(lambda: dialog.message.text().startswith("cannot reach Kafka"), timeout=20000)
    # the user can correct the address and list again without retyping everything
    assert dialog.list_button.isEnabled()


def test_list_topics_again_after_a_failure(qtbot, private_settings, broker):
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.bootstrap.setText("127.0.0.1:1")
    qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("cannot reach Kafka"), timeout=20000)
    assert dialog.list_button.isEnabled()
    list_and_choose(qtbot, dialog, broker.bootstrap)
    assert dialog.consumer_settings().topics == ("ztf-night",)


def fill_secured(dialog: ConnectionDialog, broker, password: str) -> None:
    dialog.bootstrap.setText(broker.bootstrap)
    dialog.protocol.setCurrentText("SASL_SSL")
    dialog.mechanism.setCurrentText("SCRAM-SHA-512")
    dialog.username.setText(broker.username)
    dialog.password.setText(password)
    dialog.ca_file.setText(str(broker.ca_file))


def test_connection_again(qtbot, dialog: ConnectionDialog, expected: str) -> None:
    """Click Test connection; wait until the message starts with ``expected`` and the
    button can be clicked again."""
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert not dialog.test_button.isEnabled()  # one test at a time, off the GUI thread
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15000)
    assert dialog.message.text().startswith(expected), dialog.message.text()


test_connection_again.__test__ = False  # a helper, not a test


def test_test_connection_to_secured_kafka_names_the_cause_and_retries(
    qtbot, private_settings, secured_kafka
):
    wrong = "wrong-" + secured_kafka.password
    with using_keyring(MemoryKeyring()) as memory:
        dialog = ConnectionDialog()
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.profile.setCurrentText("secured")
        fill_secured(dialog, secured_kafka, wrong)
        test_connection_again(
            qtbot, dialog, "authentication failed for user alertview (SASL SCRAM-SHA-512)"
        )
        shown = [dialog.message.text()]
        dialog.save_profile()  # what Connect would keep, after a failed test
        saved_after_failure = settings_text(private_settings)
        # retried after the failure, with the right password: connected
        dialog.password.setText(secured_kafka.password)
        test_connection_again(
            qtbot, dialog, f"connected to {secured_kafka.bootstrap} as alertview"
        )
        shown.append(dialog.message.text())
        # no CA file: the system's CAs do not know the broker's
        dialog.ca_file.setText("")
        test_connection_again(qtbot, dialog, "certificate not trusted (")
        shown.append(dialog.message.text())
        # the insecure opt-out, visibly so, connects without checking
        dialog.insecure.setChecked(True)
        assert "INSECURE" in dialog.insecure.text() and "INSECURE" in dialog.message.text()
        assert dialog.kafka_settings().verify is False
        test_connection_again(qtbot, dialog, "connected to")
        assert "certificate NOT checked" in dialog.message.text()
        shown.append(dialog.message.text())
        dialog.insecure.setChecked(False)
        dialog.ca_file.setText(str(secured_kafka.ca_file))
        dialog.save_profile()
        assert memory.stored[(KEYRING_SERVICE, "secured:alertview")] == secured_kafka.password
        dialog.close()
        again = ConnectionDialog()
        qtbot.addWidget(again)
        assert again.password.text() == secured_kafka.password  # from the keyring
        assert again.ca_file.text() == str(secured_kafka.ca_file)
        assert not again.insecure.isChecked()
    text = settings_text(private_settings)
    assert "secured" in text and secured_kafka.bootstrap in text
    for secret in (wrong, secured_kafka.password):
        assert secret not in text and secret not in saved_after_failure
        assert not [line for line in shown if secret in line]


def test_client_certificate_and_encrypted_key_from_the_dialog(qtbot, private_settings, tmp_path):
    """Mutual TLS from the dialog: the certificate reaches a server that requires one;
    the key's password goes to the keyring only; without a certificate, said so."""
    client_ca, cert, key = client_certificate(tmp_path, b"key-secret")
    server = ClientCertificateServer(tmp_path, client_ca)
    try:
        with using_keyring(MemoryKeyring()) as memory:
            dialog = ConnectionDialog()
            qtbot.addWidget(dialog)
            dialog.show()
            dialog.profile.setCurrentText("mtls")
            dialog.bootstrap.setText(server.bootstrap)
            dialog.protocol.setCurrentText("SSL")
            dialog.ca_file.setText(str(server.ca_file))
            dialog.cert_file.setText(str(cert))
            dialog.key_file.setText(str(key))
            dialog.key_password.setText("key-secret")
            # the server speaks no Kafka: the test ends in 'cannot reach', after the handshake
            test_connection_again(qtbot, dialog, f"cannot reach Kafka at {server.bootstrap}")
            assert server.clients and set(server.clients) == {"alice"}
            dialog.save_profile()
            assert memory.stored[(KEY_KEYRING_SERVICE, f"mtls:{key}")] == "key-secret"
            dialog.cert_file.setText("")
            dialog.key_file.setText("")
            test_connection_again(
                qtbot, dialog, f"Kafka at {server.bootstrap} asks for a client certificate"
            )
            dialog.close()
            again = ConnectionDialog()
            qtbot.addWidget(again)
            assert again.key_file.text() == str(key) and again.key_password.text() == "key-secret"
    finally:
        server.close()
    assert "key-secret" not in settings_text(private_settings)
