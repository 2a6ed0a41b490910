#!/usr/bin/env bash
# Copies the real photos of ../shared/fixtures/real into tests/data/real and
# regenerates MediaPipe's own output on them with the oracle
# (../shared/tools/mediapipe_oracle/run_oracle.sh: the official
# @mediapipe/hands solution in headless Chromium; needs `chromium`,
# `python3-opencv` and npm on first use). Tests read only the copies, never
# Chromium.
#   scripts/make_real_fixtures.sh [SHARED_DIR]    (default: ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd "${1:-../shared}" && pwd)
src="$shared/fixtures/real"
oracle="$shared/tools/mediapipe_oracle/run_oracle.sh"
dst=tests/data/real
images=(image21869.jpg image26408.jpg teaser_input_top.png webcam_pair_offcentre.png side_by_side.png)

mkdir -p "$dst"
for f in "${images[@]}" README.md; do
  install -m 644 "$src/$f" "$dst/$f"
done
paths=()
for f in "${images[@]}"; do paths+=("$dst/$f"); done
# Same calls as the shared fixtures: default thresholds (0.5), then a palm
# threshold of 0.1 (low-score candidates change the weighted suppression).
"$oracle" "$dst/oracle.json" "${paths[@]}"
"$oracle" "$dst/oracle_det0.1.json" "${paths[@]}" --min-detection-confidence 0.1
rm -f "$dst"/oracle*.timing.json
echo "wrote $dst/oracle.json and $dst/oracle_det0.1.json"
