"""`alertview view` and `alertview render`: the GUI commands (Qt imported only here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alertview.core.errors import UsageError

if TYPE_CHECKING:
    from alertview.gui.demo import DemoStream


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    view = subparsers.add_parser(
        "view",
        help="open the desktop viewer (optionally on files, folders, archives or a session)",
        description="Open the viewer. What it receives or reads is kept in a named session "
        "under the data folder (`alertview sessions` lists them): files go into a session "
        "named after them, a stream into one named after its topic (both can be renamed); "
        "a session folder given as PATH is reopened.",
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
    return run_viewer(args.paths, args.session, args.no_store, args.keep_packets)


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
