"""Install (or remove) AlertView's desktop entry, icons, MIME types and AppStream data.

`pip install` into a venv, or unpacking a bundle, puts nothing where Linux desktops
look, so menus, docks and file managers do not know AlertView. This copies the
shipped files under ``$XDG_DATA_HOME`` (``~/.local/share``) for the current user,
with the entry's ``Exec`` naming this very ``alertview`` by its absolute path (a venv
is rarely on the PATH a desktop session has), then refreshes the desktop's caches
with whichever of their tools is installed. Nothing here needs root or Qt.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from alertview.core.errors import UsageError
from alertview.resources import desktop_dir, icons_dir

log = logging.getLogger(__name__)

DESKTOP_FILE = "alertview.desktop"
MIME_FILE = "alertview-mime.xml"
METAINFO_FILE = "io.github.alertview.AlertView.metainfo.xml"
ICON_NAME = "alertview"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
#: Characters that make a desktop-entry Exec argument need double quotes (spec,
#: "The Exec key"), and those escaped by a backslash inside the quotes.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED = set('"`$\\')
#: A cache tool that hangs (a stuck file system) must not hang the command.
_TOOL_TIMEOUT_S = 60


@dataclass(frozen=True)
class Placement:
    """One shipped file and where it goes under the data folder."""

    source: Path
    target: Path


def data_home(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset or relative (as the spec says)."""
    value = environ.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def placements(home: Path) -> list[Placement]:
    """Every file the desktop entry installs: the same list removes them again."""
    desktop, icons = desktop_dir(), icons_dir()
    hicolor = home / "icons" / "hicolor"
    files = [
        Placement(desktop / DESKTOP_FILE, home / "applications" / DESKTOP_FILE),
        Placement(desktop / MIME_FILE, home / "mime" / "packages" / MIME_FILE),
        Placement(desktop / METAINFO_FILE, home / "metainfo" / METAINFO_FILE),
        Placement(icons / f"{ICON_NAME}.svg", hicolor / "scalable" / "apps" / f"{ICON_NAME}.svg"),
    ]
    for size in ICON_SIZES:
        folder = f"{size}x{size}"
        png = Path(folder) / "apps" / f"{ICON_NAME}.png"
        files.append(Placement(icons / "hicolor" / png, hicolor / png))
    return files


def alertview_command(
    argv0: str | None = None, executable: str | None = None, frozen: bool | None = None
) -> list[str]:
    """The command that starts this AlertView, absolute, for a desktop to run.

    A PyInstaller bundle is its own executable. Installed, it is the ``alertview``
    script that runs now, else the one beside this Python (a venv's ``bin``), else
    the one on PATH, else ``python -m alertview`` with this Python.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if frozen:
        return [os.path.abspath(executable)]
    running = Path(argv0)
    if running.name in ("alertview", "alertview.exe") and running.is_file():
        return [os.path.abspath(running)]
    for candidate in (Path(executable).parent / "alertview", shutil.which("alertview")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [os.path.abspath(candidate)]
    return [os.path.abspath(executable), "-m", "alertview"]


def exec_line(command: Sequence[str]) -> str:
    """The ``Exec=`` value opening the viewer on the files a desktop passes (``%F``)."""
    return " ".join(_exec_argument(part) for part in command) + " view %F"


def _exec_argument(argument: str) -> str:
    argument = argument.replace("%", "%%")
    if _RESERVED.isdisjoint(argument):
        quoted = argument
    else:
        escaped = "".join("\\" + c if c in _ESCAPED else c for c in argument)
        quoted = f'"{escaped}"'
    # a desktop file's string values escape a backslash once more
    return quoted.replace("\\", "\\\\")


def desktop_entry_text(source: Path, command: Sequence[str]) -> str:
    """The shipped entry with its ``Exec`` line pointing at ``command``."""
    lines = source.read_text(encoding="utf-8").splitlines()
    if not any(line.startswith("Exec=") for line in lines):
        raise UsageError(f"{source} has no Exec line")
    exec_value = exec_line(command)
    return "".join(f"Exec={exec_value}\n" if ln.startswith("Exec=") else f"{ln}\n" for ln in lines)


def install(command: Sequence[str] | None = None) -> list[str]:
    """Copy every file in place and refresh the caches; one line per thing done."""
    _check_platform()
    home = data_home()
    files = placements(home)
    missing = [str(p.source) for p in files if not p.source.is_file()]
    if missing:
        raise UsageError(f"this AlertView ships no {', '.join(missing)} (a broken install?)")
    command = alertview_command() if command is None else command
    done = []
    for placement in files:
        placement.target.parent.mkdir(parents=True, exist_ok=True)
        if placement.source.name == DESKTOP_FILE:
            text = desktop_entry_text(placement.source, command)
            placement.target.write_text(text, encoding="utf-8")
            done.append(f"installed {placement.target} (Exec={exec_line(command)})")
        else:
            shutil.copyfile(placement.source, placement.target)
            done.append(f"installed {placement.target}")
    return done + refresh_caches(home)


def uninstall() -> list[str]:
    """Remove exactly the files ``install`` writes (nothing else), then refresh the caches."""
    _check_platform()
    home = data_home()
    done = []
    for placement in placements(home):
        if placement.target.is_file() or placement.target.is_symlink():
            placement.target.unlink()
            done.append(f"removed {placement.target}")
    if not done:
        return [f"no AlertView desktop entry under {home}"]
    return done + refresh_caches(home)


def refresh_caches(home: Path) -> list[str]:
    """Run the desktop's cache tools that exist; a missing or failing one is reported, not
    raised: the files are in place, and the desktop finds them once the tool has run."""
    hicolor = home / "icons" / "hicolor"
    tools = [
        ["update-desktop-database", str(home / "applications")],
        ["update-mime-database", str(home / "mime")],
        # -t: a user's hicolor folder has no index.theme of its own
        ["gtk-update-icon-cache", "-f", "-t", "-q", str(hicolor)],
    ]
    done = []
    for tool in tools:
        if not Path(tool[-1]).is_dir():
            continue
        path = shutil.which(tool[0])
        if path is None:
            done.append(f"skipped {tool[0]} (not installed)")
            continue
        try:
            result = subprocess.run(
                [path, *tool[1:]],
                capture_output=True,
                text=True,
                timeout=_TOOL_TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            done.append(f"{tool[0]} failed: {exc}")
            continue
        if result.returncode:
            why = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
            done.append(f"{tool[0]} failed: {why[-1]}")
        else:
            done.append(f"ran {' '.join(tool)}")
        log.debug("%s: %s%s", tool[0], result.stdout, result.stderr)
    return done


def _check_platform() -> None:
    if sys.platform in ("win32", "darwin"):
        raise UsageError("desktop entries are for Linux (freedesktop) desktops")
