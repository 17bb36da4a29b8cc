"""`alertview broker`: run the embedded Kafka-protocol broker until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from alertview.core.broker import ENGINES, EmbeddedBroker


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "broker",
        help="run a local Kafka-protocol broker on 127.0.0.1",
        description="Start an embedded Kafka-protocol broker on 127.0.0.1. The first line of "
        "output is bootstrap=127.0.0.1:PORT; it runs until SIGINT or SIGTERM.",
    )
    parser.add_argument("--engine", choices=ENGINES, default="mock")
    parser.add_argument("--port", type=int, default=0, help="port (tansu only; default: free)")
    parser.add_argument("--port-file", type=Path, help="also write 127.0.0.1:PORT to this file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    with EmbeddedBroker(args.engine, port=args.port) as broker:
        if args.port_file:
            args.port_file.write_text(f"{broker.bootstrap}\n")
        print(f"bootstrap={broker.bootstrap}", flush=True)
        print(f"engine={broker.engine}: {broker.limits}", flush=True)
        print("Stop with Ctrl-C.", file=sys.stderr, flush=True)
        while not done.wait(0.5):
            pass
    return 0
