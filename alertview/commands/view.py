"""`alertview view` and `alertview render`: the GUI commands (Qt imported only here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from alertview.commands.kafka_options import add_kafka_arguments
from alertview.core.errors import UsageError

if TYPE_CHECKING:
    from alertview.core.stream.consumer import ConsumerSettings
    from alertview.gui.demo import DemoStream


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    view = subparsers.add_parser(
        "view",
        help="open the desktop viewer (optionally on files, folders, archives or a session)",
        description="Open the viewer. What it receives or reads is kept in a named session "
        "under the data folder (`alertview sessions` lists them): files go into a session "
        "named after them, a stream into one named after its topic (both can be renamed); "
        "a session folder given as PATH is reopened. With --bootstrap and --topic the "
        "viewer reads that stream at once, as Stream → Connect does.",
    )
    view.add_argument("paths", nargs="*", metavar="PATH")
    view.add_argument(
        "--session", metavar="NAME|DIR", help="open (or start) this session; PATHs go into it"
    )
    view.add_argument(
        "--no-store",
        action="store_true",
        help="a temporary session, deleted at exit; a stream commits no offsets for it",
    )
    view.add_argument(
        "--keep-packets",
        metavar="POLICY",
        help="retention of the session's packets (rows always stay; the cap counts "
        "packets): 50GB, 7d, matching (only alerts passing the filter), or combined "
        "(50GB,7d)",
    )
    stream = view.add_argument_group(
        "a stream read from the start (as Stream → Connect does; needs --bootstrap)"
    )
    stream.add_argument(
        "--topic", action="append", metavar="TOPIC", help="topic, or ^regex (repeatable)"
    )
    stream.add_argument(
        "--group", help="consumer group (default: USER-alertview-view-SESSION, as the dialog's)"
    )
    stream.add_argument(
        "--from",
        dest="start",
        default="committed",
        metavar="earliest|latest|committed|ISO-TIME",
        help="where to start (default: committed, where this session's group stopped)",
    )
    stream.add_argument(
        "--registry",
        metavar="URL",
        help="schema registry for Confluent frames' ids (one needing credentials: use a "
        "connection profile in Stream → Connect; they never go on the command line)",
    )
    add_kafka_arguments(view, required=False)
    view.set_defaults(handler=run_view)
    demo = subparsers.add_parser(
        "demo",
        help="the whole thing on one laptop: embedded broker, replay and viewer",
        description="Start an embedded Kafka-protocol broker, replay the real ZTF and Rubin "
        "alerts AlertView ships into it (a visit every --interval seconds, looping with new "
        "alert ids), and open the viewer receiving them.",
    )
    demo.add_argument("--interval", type=float, default=3.0, help="seconds between visits")
    demo.add_argument("--engine", choices=("mock", "tansu"), default="mock")
    demo.set_defaults(handler=run_demo)
    render = subparsers.add_parser(
        "render",
        help="draw one alert (cutouts, light curve, key fields) to a PNG, offscreen",
    )
    render.add_argument("path", metavar="PATH")
    render.add_argument("--index", type=int, default=0, help="which alert in PATH (default 0)")
    render.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    render.add_argument("--size", default="1200x850", help="WIDTHxHEIGHT in pixels")
    render.set_defaults(handler=run_render)


def run_view(args: argparse.Namespace) -> int:
    from alertview.gui.app import run_viewer

    if args.no_store and args.session:
        raise UsageError("--no-store and --session: a temporary session has no name")
    from alertview.core.session.retention import check_keep_packets

    check_keep_packets(args.keep_packets)
    stream = stream_at_start(args)
    return run_viewer(
        args.paths, args.session, args.no_store, args.keep_packets, stream, args.registry
    )


def stream_at_start(args: argparse.Namespace) -> ConsumerSettings | None:
    """The stream ``view --bootstrap … --topic …`` reads once the window is up (None:
    none asked for), and its session in ``args.session`` when none is given (as the
    connection dialog names it: the topic and the broker's host). Secrets as for
    ``consume``: from a file, the environment or the terminal, never argv."""
    if not args.topic and not args.bootstrap:
        for name in ("group", "registry"):
            if getattr(args, name):
                raise UsageError(f"--{name} is for a stream: give --bootstrap and --topic")
        return None
    if not args.topic or not args.bootstrap:
        raise UsageError("a stream needs both --bootstrap and --topic")
    if args.registry and urlsplit(args.registry).password is not None:
        raise UsageError(
            "--registry: credentials on the command line are visible to every user of this "
            "machine; use a connection profile (Stream → Connect) for a registry that needs them"
        )
    from alertview.commands.consume import parse_start
    from alertview.commands.kafka_options import kafka_settings
    from alertview.core.session.meta import stream_session_name
    from alertview.core.stream.consumer import ConsumerSettings

    if not (args.session or args.no_store or args.paths):
        args.session = stream_session_name(tuple(args.topic), args.bootstrap)
    return ConsumerSettings(
        kafka=kafka_settings(args),
        topics=tuple(args.topic),
        group_id=args.group or _view_group(args),
        start=parse_start(args.start),
    )


def _view_group(args: argparse.Namespace) -> str:
    """The viewer's default group for the session the stream goes into, as the
    connection dialog makes it."""
    from alertview.core.session.meta import default_group_id, files_session_name

    if args.no_store:
        session = "temporary"
    elif args.session:
        session = Path(args.session).name  # a name, or a session folder's
    else:
        session = files_session_name(args.paths)
    return default_group_id("view", session, args.username)


def run_demo(args: argparse.Namespace) -> int:
    from alertview.gui.demo import run_demo as start
    from alertview.gui.exception_hook import ExceptionHook

    started: list[DemoStream] = []

    def on_start(demo: DemoStream) -> None:
        started.append(demo)
        announce_demo(demo)

    try:
        with ExceptionHook():  # a bug shows in a dialog and the log, as in `view`
            return start(args.interval, args.engine, on_start=on_start)
    finally:
        if started:
            print(f"alertview demo: stopped; {started[0].sent} alerts sent", flush=True)


def announce_demo(demo: DemoStream) -> None:
    """Where the demo's stream is, on stdout: another consumer (kcat, a script) can
    read the same topic while the window shows it."""
    from alertview.gui.demo import DEMO_TOPIC

    bootstrap = demo.broker.bootstrap
    engine = demo.broker.limits.partition(" (")[0]  # "librdkafka's mock cluster", "Tansu"
    cadence = demo.cadence
    lines = (
        f"alertview demo: embedded {demo.broker.engine} broker ({engine}) at {bootstrap}",
        f"alertview demo: topic {DEMO_TOPIC}: the ZTF and Rubin alerts AlertView ships, "
        f"{cadence.visit_size} alerts every {cadence.interval:g} s, looping with new ids",
        f"alertview demo: read it elsewhere too, e.g. kcat -C -b {bootstrap} -t {DEMO_TOPIC}",
        "alertview demo: close the window, or press Ctrl-C here, to stop",
    )
    print("\n".join(lines), flush=True)


def run_render(args: argparse.Namespace) -> int:
    from alertview.gui.app import render_alert

    width, _, height = args.size.partition("x")
    out = render_alert(args.path, args.index, args.out, (int(width), int(height)))
    print(out, file=sys.stderr)
    return 0
