"""Qt widgets (PySide6, pyqtgraph). Only this package may import Qt."""
