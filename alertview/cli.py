"""The `alertview` command: sub-commands, user-facing errors, --debug.

Qt is imported only by the GUI commands, so `inspect` and friends start fast
and run on machines without a display.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alertview import __version__
from alertview.commands import (
    broker,
    consume,
    download,
    export,
    inspect,
    replay,
    topics,
    view,
)
from alertview.core.errors import AlertViewError

COMMANDS = (inspect, view, broker, replay, consume, topics, download, export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alertview",
        description="Look at transient-alert streams: ZTF, Rubin/LSST and Fink packets.",
    )
    parser.add_argument("--version", action="version", version=f"alertview {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def _hoist_debug(argv: list[str]) -> list[str]:
    """Accept --debug after the sub-command too (`alertview inspect --debug x`)."""
    if "--debug" in argv:
        argv = ["--debug", *(a for a in argv if a != "--debug")]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = _hoist_debug(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `alertview` opens the viewer
        args = parser.parse_args(["view"])
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); nothing to report
        return 0
    except (AlertViewError, OSError) as exc:
        if args.debug:
            raise
        print(f"alertview: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"alertview: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 2
