"""Plain-Python controllers under the widgets: they decide, the widgets draw.

Each controller drives an abstract view (``views.py``) that a widget
implements; no Qt here (an import-linter contract), so the decisions are
tested with fake views and no event loop (``tests/controllers``).
"""
