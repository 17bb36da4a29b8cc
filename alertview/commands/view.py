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


def run_render(args: argparse.Namespace) -> int:
    from alertview.gui.app import render_alert

    width, _, height = args.size.partition("x")
    out = render_alert(args.path, args.index, args.out, (int(width), int(height)))
    print(out, file=sys.stderr)
    return 0
