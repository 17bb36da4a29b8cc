"""Command-line options shared by the commands that talk to Kafka."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import stat
import sys
from pathlib import Path

from alertview.core.errors import UsageError
from alertview.core.stream.config import SASL_MECHANISMS, SECURITY_PROTOCOLS, KafkaSettings

PASSWORD_ENV = "ALERTVIEW_KAFKA_PASSWORD"
#: librdkafka settings that hold secrets: never taken from argv, which every user of
#: the machine can read in the process list.
_SECRET_KEY = re.compile(r"password|secret|jaas|\.pem$|token", re.IGNORECASE)
#: Certificate checks are turned off only by --insecure-no-verify, which says so each run.
_VERIFY_KEYS = ("enable.ssl.certificate.verification", "ssl.endpoint.identification.algorithm")
INSECURE_WARNING = (
    "alertview: WARNING: --insecure-no-verify: the broker's certificate and host name are "
    "NOT checked; anyone on the network path can pose as the broker and read the password "
    "and the alerts"
)


def add_kafka_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_argument_group("Kafka connection")
    group.add_argument("--bootstrap", required=required, metavar="HOST:PORT[,...]")
    add_sasl_arguments(
        group,
        password_note="; asked for on the terminal when SASL is used and it is unset",
        file_note="(first line); refused if other users may read it",
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
        "--insecure-no-verify",
        action="store_true",
        help="do not check the broker's certificate nor its host name (INSECURE; a warning "
        "is printed each run)",
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


def add_sasl_arguments(group, password_note: str = "", file_note: str = "") -> None:
    """The protocol, SASL mechanism, user and where the password comes from (never
    argv), shared by the commands that connect to Kafka."""
    group.add_argument(
        "--security-protocol", default="PLAINTEXT", type=str.upper, choices=SECURITY_PROTOCOLS
    )
    group.add_argument("--sasl-mechanism", type=str.upper, choices=SASL_MECHANISMS)
    group.add_argument("--username", help="SASL user name")
    group.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        metavar="VAR",
        help=f"environment variable holding the SASL password (default {PASSWORD_ENV})"
        + password_note,
    )
    group.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=" ".join(("file holding the SASL password", file_note)).strip(),
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
    if key.strip() in _VERIFY_KEYS:
        raise argparse.ArgumentTypeError(
            f"{key.strip()}: certificate checks are turned off only with --insecure-no-verify"
        )
    return key.strip(), value.strip()


def read_password_file(path: Path) -> str:
    """The first line of ``path``, a file only its owner may read (as ssh keys)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UsageError(f"--password-file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            f"--password-file {path} may be read by other users (mode {stat.filemode(mode)}); "
            f"make it private: chmod 600 {path}"
        )
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--password-file {path}: cannot read it ({exc})") from None
    return lines[0] if lines else ""


def sasl_password(args: argparse.Namespace) -> str | None:
    """From --password-file, else the environment variable, else asked on a terminal."""
    if args.password_file is not None:
        return read_password_file(args.password_file)
    password = os.environ.get(args.password_env)
    if password is None and os.isatty(0):
        password = getpass.getpass(f"SASL password for {args.username or 'user'}: ")
    return password


def kafka_settings(args: argparse.Namespace) -> KafkaSettings:
    extra = dict(args.extra)
    password = None
    if args.security_protocol.startswith("SASL"):
        password = sasl_password(args)
    if args.insecure_no_verify:
        print(INSECURE_WARNING, file=sys.stderr, flush=True)
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
        verify=not args.insecure_no_verify,
        extra=extra,
    )
