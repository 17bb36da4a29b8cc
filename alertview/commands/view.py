"""`alertview view` and `alertview render`: the GUI commands (Qt imported only here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    view = subparsers.add_parser(
        "view", help="open the desktop viewer (optionally on files, folders, archives)"
    )
    view.add_argument("paths", nargs="*", metavar="PATH")
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

    return run_viewer(args.paths)


def run_demo(args: argparse.Namespace) -> int:
    from alertview.gui.demo import run_demo as start
    from alertview.gui.exception_hook import ExceptionHook

    with ExceptionHook():  # a bug shows in a dialog and the log, as in `view`
        return start(args.interval, args.engine)


def run_render(args: argparse.Namespace) -> int:
    from alertview.gui.app import render_alert

    width, _, height = args.size.partition("x")
    out = render_alert(args.path, args.index, args.out, (int(width), int(height)))
    print(out, file=sys.stderr)
    return 0
