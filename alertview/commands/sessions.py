"""`alertview sessions`: list, show and remove the sessions kept on this computer."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from alertview.core.session.listing import (
    SessionError,
    SessionSummary,
    list_sessions,
    resolve_session,
    summarise,
)
from alertview.core.session.removal import remove_session
from alertview.core.session.store import default_sessions_dir

_WHAT = (
    "A session is what the viewer or `alertview consume` kept of a stream: the "
    "packets and a table of their key fields, in a folder under {root} "
    "(ALERTVIEW_DATA_DIR moves it). Open one with `alertview view --session NAME`, "
    "read it with `alertview inspect --session NAME` or `alertview export --session NAME`."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    root = default_sessions_dir()
    parser = subparsers.add_parser(
        "sessions",
        help="list, show or remove the stored sessions (streams kept on disk)",
        usage="alertview sessions [list] [--json] | show NAME [--json] | rm NAME... [--dry-run]",
        description="List the sessions: name, alerts, size on disk, when the first and the "
        "last alert arrived (local time) and the topics. " + _WHAT.format(root=root),
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per session")
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", prog="alertview sessions")
    listing = actions.add_parser("list", help="list the sessions (the default)")
    listing.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="one JSON object each"
    )
    listing.set_defaults(handler=run_list)
    show = actions.add_parser(
        "show",
        help="everything about one session",
        description="One session in detail: its folder, alerts per survey and per schema "
        "version, topics, errors, size, first and last alert received.",
    )
    show.add_argument("session", metavar="NAME", help="a session name, or a session folder")
    show.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="as one JSON object"
    )
    show.set_defaults(handler=run_show)
    remove = actions.add_parser(
        "rm",
        help="delete sessions and free their disk space",
        description="Delete sessions (their packets and index) without asking. A folder "
        "that is not a session, or holds other files, is never touched; a session a "
        "running stream is writing is refused.",
    )
    remove.add_argument("sessions", nargs="+", metavar="NAME", help="session names or folders")
    remove.add_argument(
        "--dry-run", action="store_true", help="say what would be removed, remove nothing"
    )
    remove.set_defaults(handler=run_remove)


# -- formatting -------------------------------------------------------------------------
def human_size(size: int) -> str:
    """Bytes in the units a disk is sold in: 950 B, 61.2 MB, 1.4 TB."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def local_time(when: float | None) -> str:
    return "-" if when is None else datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S")


def _iso(when: float | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when).astimezone().isoformat()


def summary_json(s: SessionSummary) -> dict[str, Any]:
    return {
        "name": s.name,
        "folder": str(s.folder),
        "alerts": s.alerts,
        "size": s.size,
        "first_received": _iso(s.first_received),
        "last_received": _iso(s.last_received),
        "topics": list(s.topics),
        "surveys": s.surveys,
        "schemas": s.schemas,
        "errors": s.errors,
        "packets_dropped": s.packets_dropped,
        "bootstrap": s.bootstrap,
        "group_id": s.group_id,
        "filter": s.filter,
        "retention": s.retention,
        "in_use": s.in_use,
        "problem": s.problem,
    }


def _note(s: SessionSummary) -> str:
    notes = [*(["being written"] if s.in_use else []), *([s.problem] if s.problem else [])]
    return "; ".join(notes)


def table(summaries: list[SessionSummary]) -> list[str]:
    """The sessions as aligned columns, a header first."""
    header = ("NAME", "ALERTS", "SIZE", "FIRST RECEIVED", "LAST RECEIVED", "TOPICS", "NOTE")
    rows = [
        (
            s.name,
            "-" if s.problem else f"{s.alerts:,}",
            human_size(s.size),
            local_time(s.first_received),
            local_time(s.last_received),
            ",".join(s.topics) or ("-" if s.problem or not s.alerts else "(files)"),
            _note(s),
        )
        for s in summaries
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    right = {1, 2}  # numbers line up on the right
    return [
        "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]


# -- the actions ------------------------------------------------------------------------
def run_list(args: argparse.Namespace) -> int:
    root = default_sessions_dir()
    summaries = list_sessions(root)
    if args.json:
        for s in summaries:
            print(json.dumps(summary_json(s)))
        return 0
    if not summaries:
        print(f"no sessions in {root} yet (`alertview consume` and the viewer keep them there)")
        return 0
    print("\n".join(table(summaries)))
    total = sum(s.size for s in summaries)
    print(f"{_count(len(summaries))}, {human_size(total)} in {root}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    s = summarise(resolve_session(args.session))
    if args.json:
        print(json.dumps(summary_json(s)))
        return 0 if s.problem is None else 1

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{k} ({v:,})" for k, v in values.items()) or "-"

    lines = [
        ("session", s.name),
        ("folder", str(s.folder)),
        ("alerts", f"{s.alerts:,}"),
        ("surveys", counts(s.surveys)),
        ("schema versions", counts(s.schemas)),
        ("topics", ", ".join(s.topics) or "- (alerts from files)"),
        *([("stream", f"{s.bootstrap}, consumer group {s.group_id}")] if s.bootstrap else []),
        *([("filter", s.filter)] if s.filter else []),
        ("packets kept", s.retention or "all"),
        ("first received", local_time(s.first_received)),
        ("last received", local_time(s.last_received)),
        ("errors", f"{s.errors:,} (undecodable messages; the viewer's errors panel)"),
        ("size on disk", f"{human_size(s.size)} ({s.size:,} bytes)"),
    ]
    if s.packets_dropped is not None:
        lines.append(("packets dropped", f"{s.packets_dropped:,} (rows kept, packet removed)"))
    if s.in_use:
        lines.append(("state", "being written by a running stream"))
    if s.problem:
        lines.append(("problem", s.problem))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key + ':':<{width + 1}} {value}")
    return 0 if s.problem is None else 1


def run_remove(args: argparse.Namespace) -> int:
    failed = False
    freed = removed = 0
    verb = "would remove" if args.dry_run else "removed"
    gain = "to free" if args.dry_run else "freed"
    for name in args.sessions:
        try:
            gone = remove_session(name, dry_run=args.dry_run)
        except SessionError as exc:
            print(f"alertview: {exc}", file=sys.stderr, flush=True)
            failed = True
            continue
        removed += 1
        freed += gone.freed
        print(
            f"{verb} session {gone.name}: {gone.alerts:,} alerts, "
            f"{human_size(gone.freed)} {gain} ({gone.folder})",
            flush=True,
        )
    if removed > 1:
        print(f"{verb} {_count(removed)}: {human_size(freed)} {gain}")
    return 1 if failed else 0


def _count(n: int) -> str:
    return f"{n} session" if n == 1 else f"{n} sessions"
