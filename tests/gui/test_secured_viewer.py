"""The viewer against real Apache Kafka with SASL_SSL (as Rubin's): a refused password
is one dialog and one errors-panel line naming the cause, never the password."""

from __future__ import annotations

import dataclasses
import uuid

from alertview.core.stream.consumer import ConsumerSettings
from tests.stream.kafka_fixtures import secured_kafka  # noqa: F401


def test_a_refused_password_is_said_in_a_dialog_and_the_errors_panel(
    window,
    qtbot,
    secured_kafka,  # noqa: F811
):
    wrong = "not-" + secured_kafka.password
    kafka = dataclasses.replace(secured_kafka.kafka_settings(), password=wrong)
    settings = ConsumerSettings(kafka, (f"t-{uuid.uuid4().hex[:6]}",), "alertview-g")
    worker = window.connect_stream(settings)
    # the stream ends on the refusal (librdkafka alone would retry until a timeout)
    qtbot.waitUntil(lambda: worker.isFinished(), timeout=15000)
    qtbot.waitUntil(lambda: getattr(window, "failure_box", None) is not None, timeout=5000)
    expected = f"authentication failed for user {secured_kafka.username} (SASL SCRAM-SHA-512)"
    assert window.failure_box.isVisible()
    assert window.failure_box.text().startswith(expected), window.failure_box.text()
    assert any(line.startswith(expected) for line in window.session.errors)
    assert window.stream_state.text().startswith(expected)
    shown = [window.failure_box.text(), window.stream_state.text(), *window.session.errors]
    assert not any(wrong in text or secured_kafka.password in text for text in shown)
    window.failure_box.close()
    window.filter_edit.setText("mag < 20")  # the window stays usable
