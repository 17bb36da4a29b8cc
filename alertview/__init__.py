"""AlertView: look at live transient-alert streams (ZTF, Rubin/LSST, Fink)."""

__version__ = "0.1.0"
