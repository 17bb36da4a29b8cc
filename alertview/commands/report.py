"""One line per bad input on stderr, the same in every command."""

from __future__ import annotations

import sys
import traceback

from alertview.core.errors import DecodeError


def report_bad_input(error: DecodeError, debug: bool = False) -> bool:
    """Print ``error`` as one line (a traceback too with ``--debug`` when something
    unforeseen caused it); True when it is a failure, False for a warning (a damaged
    file whose readable records were read)."""
    label = "warning: " if error.warning else ""
    print(f"alertview: {label}{error}", file=sys.stderr, flush=True)
    if debug and error.cause is not None:
        traceback.print_exception(error.cause, file=sys.stderr)
    return not error.warning
