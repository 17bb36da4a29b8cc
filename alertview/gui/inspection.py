"""The inspection view of one alert: key fields, three cutouts, the light curve."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alertview.core.alert import Alert
from alertview.core.cutouts import decode_cutouts
from alertview.gui.cutouts import CutoutPanel
from alertview.gui.details import DetailsPanel
from alertview.gui.fitted_label import FittedLabel
from alertview.gui.lightcurve import LightcurvePanel
from alertview.gui.one_pass import OnePass


def describe(alert: Alert) -> str:
    """One rich-text paragraph with what an astronomer checks first."""
    mag = "-" if alert.mag is None else f"{alert.mag:.2f} ± {alert.mag_err or 0:.2f}"
    flux = "-" if alert.flux is None else f"{alert.flux:.0f} ± {alert.flux_err or 0:.0f} nJy"
    quality = ", ".join(f"{k} {v:.3f}" for k, v in alert.quality.items() if v is not None)
    where = alert.origin
    origin = (
        f"{where.topic}[{where.partition}]@{where.offset}"
        if where.topic
        else f"{where.source}#{where.index}"
    )
    return (
        f"<b>{alert.object_id or '(no object)'}</b> &nbsp; {alert.schema_label} "
        f"&nbsp; alert {alert.alert_id}<br>"
        f"RA {alert.ra:.6f} &nbsp; Dec {alert.dec:+.6f} &nbsp; "
        f"MJD {alert.mjd:.5f} {alert.time_scale.upper()} &nbsp; band {alert.band or '-'}<br>"
        f"mag {mag} &nbsp; flux {flux} &nbsp; {quality}<br>"
        f"{alert.n_history_detections} previous detections, {alert.n_upper_limits} upper "
        f"limits, {alert.n_forced} forced points &nbsp; <small>{origin}</small>"
    )


class InspectionView(QWidget):
    """Everything about the selected alert; the same widget `alertview render` draws."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # placed by hand: a QLabel in the layout repainted the whole pane twice per alert
        self.summary = FittedLabel("Select an alert.")
        self.summary.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cutouts = CutoutPanel()
        self.lightcurve = LightcurvePanel()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.cutouts)
        splitter.addWidget(self.lightcurve)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.details = DetailsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Cutouts && light curve")
        self.tabs.addTab(self.details, "Packet && links")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.alert: Alert | None = None
        self.one_pass = OnePass([self.cutouts.view.scene(), self.lightcurve.plot.scene()])

    def hide_controls(self) -> None:
        """A figure, not a tool (`alertview render`): the first tab without the tab bar,
        and no combo boxes, check boxes or buttons (the light curve's controls row), nor
        the cutouts' pixel read-out (it follows the mouse)."""
        self.tabs.setCurrentIndex(0)
        self.tabs.tabBar().hide()
        self.cutouts.pixel_label.hide()
        shown = self.tabs.currentWidget()
        for kind in (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit):
            for widget in shown.findChildren(kind):
                widget.hide()

    def figure_views(self) -> list[QWidget]:
        """The widgets a selected alert is drawn in: the cutouts' and light curve's."""
        return [self.cutouts.view.viewport(), self.lightcurve.plot.viewport()]

    def show_alert(self, alert: Alert, cutouts: dict | None = None, prepared=None) -> None:
        """Draw ``alert``; ``cutouts`` decoded and ``prepared`` (scaled, see
        ``cutouts.prepare``) elsewhere are used as they are."""
        self.alert = alert
        self.summary.set_text(describe(alert))
        self.cutouts.show_cutouts(decode_cutouts(alert) if cutouts is None else cutouts, prepared)
        self.lightcurve.show_alert(alert)
        self.details.show_alert(alert)
        self.one_pass.hold()  # both views drawn in the window's next paint, together
