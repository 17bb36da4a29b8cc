"""The summary and the legend row keep their height while the user goes through the
alerts (a shorter text sits at the top); a new width fits them again."""

from __future__ import annotations

from alertview.gui.fitted_label import FittedLabel

LONG = " ".join(["a long legend entry"] * 12)


def test_a_shorter_text_keeps_the_height_until_the_width_changes(qtbot):
    label = FittedLabel(hide_empty=True)
    qtbot.addWidget(label)
    label.resize(300, 10)
    label.show()
    label.set_text(LONG)
    tall = label.height()
    assert tall == label.label.heightForWidth(300) > 40  # several lines
    label.set_text("short")
    one_line = label.label.heightForWidth(300)
    assert one_line < tall and label.height() == tall  # no relayout below it
    label.resize(400, label.height())  # another width: fitted to the text shown
    qtbot.waitUntil(lambda: label.height() == label.label.heightForWidth(400) == one_line)
    label.set_text("")  # nothing to show: no row at all
    assert not label.isVisible() and label.height() == 0
    label.set_text("short again")  # and from nothing, as tall as the text
    assert label.isVisible() and label.height() == one_line
