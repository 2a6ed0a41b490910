#!/bin/bash
# Runs a command under a private Xvfb (Mesa llvmpipe for GL), on a display
# number the server picks and locks itself (-displayfd). `xvfb-run -a` picks
# the first number without a lock file and only then starts the server: two
# runs at once (parallel CTest, or several builds on one machine) could take
# the same number, and one test then failed with "Failed to open display :99"
# when the other's server went away.
#   tests/xvfb_run.sh COMMAND [ARGS...]     (XVFB_SCREEN, default 1280x720x24)
set -u
[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
command -v Xvfb >/dev/null || { echo "$0: Xvfb not found (apt-get install xvfb)" >&2; exit 2; }
tmp=$(mktemp -d) || exit 1
Xvfb -displayfd 3 -screen 0 "${XVFB_SCREEN:-1280x720x24}" -nolisten tcp -noreset \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
cleanup() {
  kill "$xvfb" 2>/dev/null && wait "$xvfb" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The server writes the number once it accepts connections (at most ~10 s).
for _ in $(seq 200); do
  [ -s "$tmp/display" ] && break
  kill -0 "$xvfb" 2>/dev/null || { echo "$0: Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
  sleep 0.05
done
[ -s "$tmp/display" ] || { echo "$0: Xvfb gave no display within 10 s" >&2; exit 1; }
DISPLAY=":$(tr -d '[:space:]' <"$tmp/display")" "$@"
