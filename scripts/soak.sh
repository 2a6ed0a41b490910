#!/usr/bin/env bash
# Long run of the real network with every export (json, npz, glb, obj, ply,
# attention) on a generated video, sampling the process's resident memory
# once a second. Prints the RSS curve and its slope after warm-up; the README
# ("Soak") holds a measured curve. Outside CI (minutes to hours).
#
#   scripts/soak.sh [FRAMES] [EXPORTS]     defaults: 1200 frames, json,npz,glb
#   (EXPORTS must include json: frames done are counted by their JSON files)
#   WEIGHTS="--checkpoint snapshot_99.pth.tar" scripts/soak.sh   (default: --synthetic)
#
# Needs the Release build with LibTorch (build/release/app/intershape) and
# ffmpeg. Leaves build/soak/{rss.csv,log.txt,out/}. Exits 1 when the slope
# after the first fifth of the run is above SOAK_MAX_KB_PER_FRAME (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-1200}
exports=${2:-json,npz,glb}
bin=${SOAK_BIN:-build/release/app/intershape}
[ -x "$bin" ] || { echo "soak: build $bin first (cmake --build build/release --target intershape)"; exit 2; }
work=${SOAK_DIR:-build/soak}
rm -rf "$work"
mkdir -p "$work"
seconds=$(( (frames + 29) / 30 ))
# The parity picture moving over a plain background, as scripts/make_sample_video.sh.
ffmpeg -loglevel error -y -f lavfi -i "color=c=0x506070:s=640x480:d=$seconds:r=30" \
  -loop 1 -i tests/data/parity/input.png \
  -filter_complex "[1]scale=320:320[h];[0][h]overlay=x='160+100*sin(t)':y='80+40*cos(t)':shortest=1" \
  -frames:v "$frames" -r 30 -c:v mjpeg -q:v 3 "$work/soak.avi"

# shellcheck disable=SC2086
"$bin" infer ${WEIGHTS:---synthetic --mano tests/data/mano} --device cpu --threads "${SOAK_THREADS:-2}" \
  --input "$work/soak.avi" --output "$work/out" --export "$exports" > "$work/log.txt" 2>&1 &
pid=$!
echo "seconds,rss_mb,frames_done" > "$work/rss.csv"
t=0
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  done_frames=$( (find "$work/out" -maxdepth 1 -name '*.json' 2>/dev/null || true) | wc -l)
  echo "$t,$(( rss / 1024 )),$done_frames" >> "$work/rss.csv"
  sleep 1
  t=$(( t + 1 ))
done
wait "$pid" || { echo "soak: infer failed:"; tail -5 "$work/log.txt"; exit 1; }

# RSS against frames done, after the first fifth (warm-up): least squares.
/usr/bin/python3 - "$work/rss.csv" "$frames" "${SOAK_MAX_KB_PER_FRAME:-50}" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if int(r["frames_done"]) > 0]
total, limit = int(sys.argv[2]), float(sys.argv[3])
warm = [r for r in rows if int(r["frames_done"]) >= total // 5]
x = [int(r["frames_done"]) for r in warm]
y = [float(r["rss_mb"]) for r in warm]
for f in (0.2, 0.4, 0.6, 0.8, 1.0):
    pick = [r for r in rows if int(r["frames_done"]) >= f * total * 0.999]
    if pick:
        print(f"frame {pick[0]['frames_done']:>6}: {pick[0]['rss_mb']} MB")
if len(x) < 3:
    print("soak: too few samples after warm-up"); sys.exit(1)
mx, my = sum(x) / len(x), sum(y) / len(y)
den = sum((a - mx) ** 2 for a in x)
slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / den * 1024 if den else 0.0
print(f"peak {max(y):.0f} MB; slope after warm-up {slope:.1f} KB/frame (limit {limit})")
sys.exit(0 if slope <= limit else 1)
PY
