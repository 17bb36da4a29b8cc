#!/usr/bin/env bash
# Install AlertView from this checkout into .venv; with --demo, then run `alertview demo`.
#   bash packaging/install.sh [--demo [alertview demo options]]
# Debian packages (Python's venv, the libraries Qt needs on X11) are installed with apt
# only when dpkg says one is missing, through sudo only when not root. Run again to update.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

demo=0
case "${1:-}" in
  --demo) demo=1 && shift ;;
  "") ;;
  -h | --help) sed -n '2,5p' "$0" | cut -c3- && exit 0 ;;
  *) fail "unknown option $1 (usage: bash packaging/install.sh [--demo [demo options]])" ;;
esac

# What PySide6's X11 platform plugin and Qt libraries link to (readelf -d), beyond the
# base system. "a|b": either will do (libglib2.0-0t64 on Debian 13 and Ubuntu 24.04).
QT_PACKAGES=(libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 "libglib2.0-0|libglib2.0-0t64"
  libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-glx0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0
  libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1)

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
find_python() {
  local py
  for py in ${PYTHON:-python3 python3.13 python3.12 python3.11}; do
    if command -v "$py" >/dev/null && python_ok "$py"; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}
installed() { # any of the packages "a|b"
  local IFS='|'
  # shellcheck disable=SC2086  # split on |
  { dpkg-query -W -f='${Status}\n' $1 2>/dev/null || true; } | grep -q "ok installed"
}

too_old() {
  fail "AlertView needs Python 3.11 or newer ($1): install it or set PYTHON=/path/to/python"
}
python=$(find_python) || python=""
if [ -z "$python" ] && [ -z "${PYTHON:-}" ] && command -v python3 >/dev/null; then
  too_old "$(python3 --version 2>&1)"
fi
[ -n "$python" ] || [ -z "${PYTHON:-}" ] || too_old "PYTHON=$PYTHON"
missing=()
if command -v dpkg-query >/dev/null; then
  if [ -z "$python" ]; then
    missing+=(python3 python3-venv)
  elif ! "$python" -c 'import ensurepip' 2>/dev/null; then
    # Debian's venv module comes without ensurepip: python3.X-venv brings it
    missing+=("python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
  fi
  for pkg in "${QT_PACKAGES[@]}"; do
    installed "$pkg" || missing+=("${pkg%%|*}")
  done
else
  echo "install.sh: no dpkg (not Debian): the libraries Qt needs are taken as installed" >&2
fi

if ((${#missing[@]})); then
  command -v apt-get >/dev/null || fail "missing Debian packages and no apt-get: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null ||
      fail "not root and no sudo to apt-get install: ${missing[*]} (install them as root)"
    SUDO="sudo"
  fi
  echo "install.sh: apt-get install ${missing[*]}" >&2
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null; } || fail "apt-get could not install: ${missing[*]}"
  [ -n "$python" ] || python=$(find_python) || python=""
fi
if [ -z "$python" ]; then
  command -v python3 >/dev/null && too_old "$(python3 --version 2>&1)"
  too_old "no python3 on PATH"
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv || fail "$python -m venv .venv failed"
fi
echo "install.sh: installing AlertView and its dependencies into .venv (pip, a minute or two)" >&2
.venv/bin/python -m pip install --disable-pip-version-check -q . ||
  fail "pip could not install AlertView into .venv (its message is above)"
echo "install.sh: $(.venv/bin/alertview --version) installed: .venv/bin/alertview" >&2

if ((demo)); then
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    fail "no display for the demo's window (DISPLAY is unset); without one, try" \
      ".venv/bin/alertview inspect --samples"
  fi
  exec .venv/bin/alertview demo "$@"
fi
