"""SAMP: talking to TOPCAT, Aladin, DS9 and other tools on the desktop's hub.

``hub`` finds the hub (or starts one), ``connection`` registers AlertView on it and
turns what other tools send into typed messages, ``messages`` writes what AlertView
sends (a VOTable of alerts, FITS stamps, a sky position), ``matching`` finds the alert
a tool points at. No Qt: the callbacks run on the SAMP client's own thread and the
GUI layer hands them to its thread.
"""

from alertview.core.samp.connection import (
    HighlightRow,
    HubClosed,
    PointAt,
    Received,
    SampClient,
    SampConnection,
    SampError,
)

__all__ = [
    "HighlightRow",
    "HubClosed",
    "PointAt",
    "Received",
    "SampClient",
    "SampConnection",
    "SampError",
]
