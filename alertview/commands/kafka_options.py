"""Command-line options shared by the commands that talk to Kafka."""

from __future__ import annotations

import argparse
import getpass
import os
import re

from alertview.core.stream.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, KafkaSettings

PASSWORD_ENV = "ALERTVIEW_KAFKA_PASSWORD"
#: librdkafka settings that hold secrets: never taken from argv, which every user of
#: the machine can read in the process list.
_SECRET_KEY = re.compile(r"password|secret|jaas|\.pem$|token", re.IGNORECASE)


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Kafka connection")
    group.add_argument("--bootstrap", required=True, metavar="HOST:PORT[,...]")
    group.add_argument(
        "--security-protocol", default="PLAINTEXT", type=str.upper, choices=SECURITY_PROTOCOLS
    )
    group.add_argument("--sasl-mechanism", type=str.upper, choices=SASL_MECHANISMS)
    group.add_argument("--username", help="SASL user name")
    group.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        metavar="VAR",
        help=f"environment variable holding the SASL password (default {PASSWORD_ENV}); "
        "asked for on the terminal when SASL is used and it is unset",
    )
    group.add_argument("--ca-file", help="CA certificate (PEM) for SSL")
    group.add_argument("--cert-file", help="client certificate (PEM) for SSL")
    group.add_argument("--key-file", help="client key (PEM) for SSL")
    group.add_argument(
        "--key-password-env",
        metavar="VAR",
        help="environment variable holding the password of an encrypted --key-file",
    )
    group.add_argument(
        "-X",
        dest="extra",
        action="append",
        default=[],
        type=librdkafka_setting,
        metavar="KEY=VALUE",
        help="any librdkafka setting, passed through (repeatable)",
    )


def librdkafka_setting(text: str) -> tuple[str, str]:
    """``-X key=value`` as (key, value); anything else is a usage error from argparse."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():  # the text is not repeated: it may be a mistyped secret
        raise argparse.ArgumentTypeError("expected KEY=VALUE, e.g. -X fetch.wait.max.ms=100")
    if _SECRET_KEY.search(key):
        raise argparse.ArgumentTypeError(
            f"{key.strip()} holds a secret, and the command line is visible to every user of "
            "this machine: give the SASL password with --password-env and a key's password "
            "with --key-password-env"
        )
    return key.strip(), value.strip()


def kafka_settings(args: argparse.Namespace) -> KafkaSettings:
    extra = dict(args.extra)
    password = None
    if args.security_protocol.startswith("SASL"):
        password = os.environ.get(args.password_env)
        if password is None and os.isatty(0):
            password = getpass.getpass(f"SASL password for {args.username or 'user'}: ")
    return KafkaSettings(
        bootstrap=args.bootstrap,
        security_protocol=args.security_protocol,
        sasl_mechanism=args.sasl_mechanism,
        username=args.username,
        password=password,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        key_password=os.environ.get(args.key_password_env) if args.key_password_env else None,
        extra=extra,
    )
