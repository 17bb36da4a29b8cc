"""`alertview --install-desktop-entry`: the files land under $XDG_DATA_HOME, right, and
`--uninstall-desktop-entry` takes back exactly those."""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from alertview import __version__
from alertview.cli import main
from alertview.core import desktop_entry
from alertview.core.desktop_entry import (
    DESKTOP_FILE,
    ICON_SIZES,
    METAINFO_FILE,
    MIME_FILE,
    alertview_command,
    data_home,
    exec_line,
    placements,
)
from alertview.resources import desktop_dir, samples_dir

MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
AVRO_TYPES = {"application/x-avro", "application/x-compressed-avro"}


@pytest.fixture
def share(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def test_install_places_every_file_right(share):
    command = ["/opt/Alert View/bin/alertview"]
    done = desktop_entry.install(command)
    targets = [p.target for p in placements(share)]
    assert all(t.is_file() for t in targets)
    assert all(str(t).startswith(str(share)) for t in targets)
    # one line per file (the entry's names its Exec), then the cache tools'
    assert [line.partition(" (Exec=")[0] for line in done[: len(targets)]] == [
        f"installed {t}" for t in targets
    ]
    installed = entry(share / "applications" / DESKTOP_FILE)
    assert installed["Exec"] == '"/opt/Alert View/bin/alertview" view %F'
    assert installed["Icon"] == "alertview"
    mime_types = set(installed["MimeType"].rstrip(";").split(";"))
    assert mime_types == AVRO_TYPES | {"application/x-compressed-tar"}
    # the rest of the entry is the shipped one
    shipped = entry(desktop_dir() / DESKTOP_FILE)
    assert {k: v for k, v in installed.items() if k != "Exec"} == {
        k: v for k, v in shipped.items() if k != "Exec"
    }
    for size in ICON_SIZES:
        png = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "alertview.png"
        assert png_size(png) == (size, size)
    svg = share / "icons" / "hicolor" / "scalable" / "apps" / "alertview.svg"
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_mime_xml_defines_the_avro_types():
    root = ET.parse(desktop_dir() / MIME_FILE).getroot()
    types = {t.get("type"): t for t in root.iter(f"{MIME_NS}mime-type")}
    assert set(types) == AVRO_TYPES
    globs = {t: [g.get("pattern") for g in types[t].iter(f"{MIME_NS}glob")] for t in types}
    assert globs == {
        "application/x-avro": ["*.avro"],
        "application/x-compressed-avro": ["*.avro.gz"],
    }
    (match,) = types["application/x-avro"].iter(f"{MIME_NS}match")
    magic = (match.get("type"), match.get("value"), match.get("offset"))
    assert magic == ("string", "Obj\\x01", "0")
    # the magic is what the shipped packets start with
    for sample in sorted(samples_dir().rglob("*.avro")):
        assert sample.read_bytes()[:4] == b"Obj\x01", sample


def test_metainfo_matches_the_entry_and_the_version():
    root = ET.parse(desktop_dir() / METAINFO_FILE).getroot()
    assert root.findtext("id") + ".metainfo.xml" == METAINFO_FILE
    assert root.findtext("launchable") == DESKTOP_FILE
    assert root.findtext("project_license") == "Apache-2.0"
    assert root.find("releases/release").get("version") == __version__  # the newest first
    provided = {m.text for m in root.iter("mediatype")}
    assert provided == AVRO_TYPES


def test_uninstall_removes_exactly_what_install_wrote(share):
    desktop_entry.install(["/usr/bin/alertview"])
    others = [
        share / "applications" / "other.desktop",
        share / "icons" / "hicolor" / "16x16" / "apps" / "other.png",
        share / "mime" / "packages" / "other.xml",
        share / "metainfo" / "org.example.Other.metainfo.xml",
    ]
    for other in others:
        other.write_text("someone else's")
    done = desktop_entry.uninstall()
    targets = [p.target for p in placements(share)]
    assert [f"removed {t}" for t in targets] == done[: len(targets)]
    assert not any(t.exists() for t in targets)
    assert all(o.read_text() == "someone else's" for o in others)
    assert desktop_entry.uninstall() == [f"no AlertView desktop entry under {share}"]


def test_exec_line_quotes_as_the_desktop_entry_spec_says():
    assert exec_line(["/usr/bin/alertview"]) == "/usr/bin/alertview view %F"
    assert exec_line(["/home/a b/.venv/bin/python", "-m", "alertview"]) == (
        '"/home/a b/.venv/bin/python" -m alertview view %F'
    )
    # $ and " are escaped inside the quotes, and every backslash once more in the file
    assert exec_line(['/x/$HOME"/alertview']) == '"/x/\\\\$HOME\\\\"/alertview" view %F'
    assert exec_line(["/x/100%/alertview"]) == "/x/100%%/alertview view %F"


def test_the_command_is_the_running_alertview(tmp_path):
    script = tmp_path / "bin" / "alertview"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    bundle = str(tmp_path / "AlertView" / "alertview")
    assert alertview_command("whatever", bundle, frozen=True) == [bundle]
    assert alertview_command(str(script), "/nowhere/python", frozen=False) == [str(script)]
    # run as `python -m alertview` (or by pytest): the script beside that Python
    python = str(tmp_path / "bin" / "python")
    assert alertview_command("/x/__main__.py", python, frozen=False) == [str(script)]
    # nothing called alertview beside this Python: found on PATH, else `python -m`
    command = alertview_command("/x/__main__.py", "/nowhere/python", frozen=False)
    assert Path(command[0]).is_absolute()
    assert command[-1] == "alertview"


def test_data_home_follows_the_spec(tmp_path):
    assert data_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path
    default = Path.home() / ".local" / "share"
    assert data_home({}) == default
    assert data_home({"XDG_DATA_HOME": "relative/share"}) == default


def test_the_cli_installs_and_uninstalls(share, capsys):
    assert main(["--install-desktop-entry"]) == 0
    out = capsys.readouterr().out.splitlines()
    targets = [p.target for p in placements(share)]
    assert len([line for line in out if line.startswith("installed ")]) == len(targets)
    exec_value = entry(share / "applications" / DESKTOP_FILE)["Exec"]
    program = exec_value.split(" ")[0]
    # this test runs under pytest: the venv's `alertview` script beside this Python
    assert program == str(Path(sys.executable).parent / "alertview")
    assert exec_value.endswith(" view %F")
    assert main(["--uninstall-desktop-entry"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.startswith("removed ")]) == len(targets)
    assert not any(t.exists() for t in targets)


def test_missing_cache_tools_are_reported_not_raised(share, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    done = desktop_entry.install(["/usr/bin/alertview"])
    assert done[-3:] == [
        "skipped update-desktop-database (not installed)",
        "skipped update-mime-database (not installed)",
        "skipped gtk-update-icon-cache (not installed)",
    ]
    assert (share / "applications" / DESKTOP_FILE).is_file()
