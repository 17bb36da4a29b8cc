"""`alertview download`: fetch a ZTF public nightly archive, resumably."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alertview.commands.progress import ProgressLine, megabytes
from alertview.core.download import DEFAULT_BASE_URL, archive_url, download


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "download",
        help="download a ZTF public nightly alert archive",
        description="Download ztf_public_YYYYMMDD.tar.gz (or any URL). An interrupted "
        "download resumes where it stopped when run again.",
    )
    parser.add_argument("night", metavar="NIGHT|URL", help="YYYYMMDD, YYYY-MM-DD, or a URL")
    parser.add_argument("--dest", type=Path, default=Path("."), help="folder (default: here)")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    parser.add_argument(
        "--extract",
        action="store_true",
        help="also write the alert files into DEST/NAME/ while the archive streams in",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    url = archive_url(args.night, args.base_url)
    line = ProgressLine()

    def progress(done: int, total: int | None) -> None:
        share = f" of {megabytes(total)} ({100 * done / total:.0f}%)" if total else ""
        line.show(f"{url.rsplit('/', 1)[-1]}: {megabytes(done)}{share}")

    extract_to = None
    if args.extract:
        extract_to = args.dest / url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".tar.gz")
    result = download(url, args.dest, extract_to=extract_to, progress=progress)
    line.done()
    resumed = f", resumed at {megabytes(result.resumed_from)}" if result.resumed_from else ""
    print(f"{result.path}: {megabytes(result.size)}{resumed}", file=sys.stderr)
    if result.empty_night:
        print(
            "alertview: this night's archive is (nearly) empty: no public alerts that night",
            file=sys.stderr,
        )
    if extract_to is not None:
        print(f"extracted {result.extracted} alert files to {extract_to}", file=sys.stderr)
    return 0
