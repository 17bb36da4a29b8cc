"""The `alertview` command: sub-commands, user-facing errors, the log, --debug.

Qt is imported only by the GUI commands, so `inspect` and friends start fast
and run on machines without a display. Errors are one line on stderr; the
viewer and the long-running commands also keep a log file (``core.logs``), and
``--debug`` shows tracebacks, debug lines and librdkafka's own log.
"""

from __future__ import annotations

import argparse
import logging
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
    sessions,
    spark,
    topics,
    view,
)
from alertview.core.errors import AlertViewError
from alertview.core.logs import FILE_ONLY, logging_to

COMMANDS = (
    inspect, view, broker, replay, consume, topics, download, export, sessions, spark,
)  # fmt: skip
#: The commands that may run for hours keep a log file (``core.logs.log_dir()``).
LOG_FILES = {
    "view": "view.log",
    "demo": "view.log",
    "consume": "consume.log",
    "broker": "broker.log",
    "replay": "replay.log",
    "spark": "spark.log",
}
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alertview",
        description="Look at transient-alert streams: ZTF, Rubin/LSST and Fink packets.",
    )
    parser.add_argument("--version", action="version", version=f"alertview {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks instead of one-line errors, debug lines and librdkafka's log",
    )
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument(
        "--install-desktop-entry",
        dest="desktop_entry",
        action="store_const",
        const="install",
        help="add AlertView to this user's desktop menu, icons and file types (Linux)",
    )
    desktop.add_argument(
        "--uninstall-desktop-entry",
        dest="desktop_entry",
        action="store_const",
        const="uninstall",
        help="remove what --install-desktop-entry added",
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
    if args.desktop_entry:
        args.handler = _desktop_entry
    elif args.command is None:  # plain `alertview` opens the viewer
        args = parser.parse_args([*argv, "view"])
    with logging_to(args.debug, LOG_FILES.get(args.command)):
        log.info("alertview %s: %s", __version__, args.command)
        return _run(args)


def _desktop_entry(args: argparse.Namespace) -> int:
    from alertview.core import desktop_entry

    install = args.desktop_entry == "install"
    print("\n".join(desktop_entry.install() if install else desktop_entry.uninstall()))
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); nothing to report
        return 0
    except (AlertViewError, OSError) as exc:
        log.info("ended: %s", exc, extra=FILE_ONLY)
        if args.debug:
            raise
        print(f"alertview: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        log.error("internal error", exc_info=True, extra=FILE_ONLY)
        if args.debug:
            raise
        print(
            f"alertview: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 2
