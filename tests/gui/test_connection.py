"""The connection dialog against a real broker: list topics, choose, connect, profiles."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt

from alertview.core.broker import EmbeddedBroker
from alertview.core.stream.config import KafkaSettings
from alertview.core.stream.producer import AlertProducer
from alertview.gui.connection_dialog import ConnectionDialog
from tests.conftest import ZTF_FILES


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
        dialog.accept()
        assert not dialog.isVisible()
        dialog.deleteLater()
    # the profile persists; the password is not in the settings file
    text = "".join(p.read_text() for p in private_settings.rglob("*.ini"))
    assert "laptop" in text and broker.bootstrap in text and "s3cret" not in text
    again = ConnectionDialog()
    qtbot.addWidget(again)
    assert again.profile.currentText() == "laptop"
    assert again.bootstrap.text() == broker.bootstrap and again.group.text() == "alice-tests"
    assert again.password.text() == ""  # no keyring here: asked each time


def test_unreachable_cluster_message(qtbot, private_settings):
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.bootstrap.setText("127.0.0.1:1")
    qtbot.mouseClick(dialog.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list_button.isEnabled() or "cannot" in dialog.message.text(),
                    timeout=20000)  # fmt: skip
    qtbot.waitUntil(lambda: dialog.message.text().startswith("cannot reach Kafka"), timeout=20000)
