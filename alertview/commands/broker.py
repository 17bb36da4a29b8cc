"""`alertview broker`: run the embedded Kafka-protocol broker until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from alertview.core.broker.engines import ENGINES, EmbeddedBroker
from alertview.core.errors import UsageError
from alertview.core.private_files import write_private
from alertview.core.terminal_signals import STOP_SIGNALS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "broker",
        help="run a local Kafka-protocol broker on 127.0.0.1",
        description="Start an embedded Kafka-protocol broker on 127.0.0.1. The first line of "
        "output is bootstrap=127.0.0.1:PORT; with --security sasl_ssl the next lines are "
        "security_protocol=, sasl_mechanism=, username= and ca_file= (the client options of "
        "the same names). It runs until SIGINT, SIGTERM or SIGHUP.",
    )
    parser.add_argument("--engine", choices=ENGINES, default="mock")
    parser.add_argument(
        "--port", type=int, default=0, help="client port (tansu and kafka; default: free)"
    )
    parser.add_argument("--port-file", type=Path, help="also write 127.0.0.1:PORT to this file")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="kafka: keep topics, messages and credentials here across restarts "
        "(default: a temporary folder removed at exit)",
    )
    parser.add_argument(
        "--security",
        choices=("plaintext", "sasl_ssl"),
        default="plaintext",
        help="kafka: sasl_ssl serves SASL_SSL with SCRAM-SHA-512 for a user with a random "
        "password, and a certificate signed by a CA it makes (default: plaintext)",
    )
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="sasl_ssl: write the user's password to FILE (mode 0600); it is never printed",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.password_file and args.security != "sasl_ssl":
        raise UsageError("--password-file needs --security sasl_ssl")
    done = threading.Event()
    # a hangup too: the engine runs in a process group of its own, out of the terminal's
    # reach, and would outlive a closed terminal
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: done.set())
    broker = EmbeddedBroker(args.engine, port=args.port, data=args.data, security=args.security)
    with broker:
        if args.password_file and broker.password is not None:
            write_private(args.password_file, f"{broker.password}\n".encode())
        if args.port_file:  # last: a script that waits for it finds the rest in place
            args.port_file.write_text(f"{broker.bootstrap}\n")
        print(f"bootstrap={broker.bootstrap}", flush=True)
        for key, value in broker.client_options().items():
            print(f"{key}={value}", flush=True)
        print(f"engine={broker.engine}: {broker.limits}", flush=True)
        print("Stop with Ctrl-C.", file=sys.stderr, flush=True)
        while not done.wait(0.5):
            pass
    return 0
