#!/bin/bash
# The network's time per frame inside the GUI (under Xvfb, Mesa llvmpipe: a
# CPU-only machine) against `intershape bench`, same binary, same synthetic
# weights, same thread count, alternating the two (issue 14, item 11).
#
#   scripts/gui_vs_bench.sh [ROUNDS=3] [FRAMES=20] [THREADS=2] [LIVE_SECONDS=60]
#
# Each round runs, one after the other:
#   gui-frames  the GUI in screenshot mode on FRAMES frames (every frame through
#               the network, as bench does), --stats-file;
#   gui-live    the GUI as people use it: a 30 fps video at its own pace for
#               LIVE_SECONDS, ended with SIGINT, --stats-file (skipped when 0);
#   bench       FRAMES timed passes after 3 warm-up ones.
# and prints the network's median per frame (the `network` row of bench, the
# sum of its stages), InterNet's median, and the GUI's render rate and idle
# share. The machine may be shared: compare the best of each, and several rounds.
# Needs: a GUI build with LibTorch (build/release), Xvfb, ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} frames=${2:-20} threads=${3:-2} live=${4:-60}
bin=${INTERSHAPE_BIN:-build/release/app/intershape}
[ -x "$bin" ] || { echo "$0: $bin not built" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A 640x480, 30 fps test pattern, long enough for the live run.
ffmpeg -loglevel error -y -f lavfi -i "testsrc=size=640x480:rate=30" -t $((live + 30)) \
  -c:v mpeg4 -q:v 6 "$tmp/clip.avi"
model=(--synthetic --mano tests/data/mano --threads "$threads")
field() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))$2, 1))" "$1"; }
printf '%-6s %-11s %12s %12s %10s %8s\n' round run network_ms internet_ms render_hz idle
for r in $(seq "$rounds"); do
  tests/xvfb_run.sh "$bin" --input "$tmp/clip.avi" "${model[@]}" --frames "$frames" \
    --screenshot "$tmp/shot.png" --stats-file "$tmp/gui.json" >/dev/null 2>&1
  printf '%-6s %-11s %12s %12s %10s %8s\n' "$r" gui-frames "$(field "$tmp/gui.json" "['network_ms_median']")" \
    "$(field "$tmp/gui.json" "['internet_ms_median']")" "$(field "$tmp/gui.json" "['render_hz']")" \
    "$(field "$tmp/gui.json" "['idle_share']")"
  if [ "$live" -gt 0 ]; then
    # SIGINT ends the GUI cleanly; the stats file is written on the way out.
    tests/xvfb_run.sh timeout -s INT "$live" "$bin" --input "$tmp/clip.avi" "${model[@]}" \
      --stats-file "$tmp/live.json" >/dev/null 2>&1 || true
    printf '%-6s %-11s %12s %12s %10s %8s\n' "$r" gui-live "$(field "$tmp/live.json" "['network_ms_median']")" \
      "$(field "$tmp/live.json" "['internet_ms_median']")" "$(field "$tmp/live.json" "['render_hz']")" \
      "$(field "$tmp/live.json" "['idle_share']")"
  fi
  "$bin" bench "${model[@]}" --iterations "$frames" --warmup 3 --json >"$tmp/bench.json" 2>/dev/null
  printf '%-6s %-11s %12s %12s\n' "$r" bench "$(field "$tmp/bench.json" "['stages_ms']['network']['median']")" \
    "$(field "$tmp/bench.json" "['stages_ms']['internet']['median']")"
done
