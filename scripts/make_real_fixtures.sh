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
# Same calls as the shared fixtures: default thresholds (0.5), then a palm
# threshold of 0.1 (low-score candidates change the weighted suppression).
# Run inside $dst so that the JSON names the files without a folder.
cd "$dst"
"$oracle" oracle.json "${images[@]}"
"$oracle" oracle_det0.1.json "${images[@]}" --min-detection-confidence 0.1

# Two short "videos" for tracking (the graph fed back its landmarks, no
# reset between frames): the photos moved by (3, 2) px a frame over grey 60.
/usr/bin/python3 - <<'PY'
import cv2, numpy as np
dst = "."
for src, name in (("side_by_side.png", "track_sbs"), ("webcam_pair_offcentre.png", "track_pair")):
    img = cv2.imread(f"{dst}/{src}", cv2.IMREAD_COLOR)
    for k in range(3):
        m = np.float32([[1, 0, 3 * k], [0, 1, 2 * k]])
        out = cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=(60, 60, 60))
        cv2.imwrite(f"{dst}/{name}_{k}.png", out)
PY
"$oracle" oracle_track_sbs.json track_sbs_{0,1,2}.png --tracking
"$oracle" oracle_track_pair.json track_pair_{0,1,2}.png --tracking
rm -f oracle*.timing.json
echo "wrote $dst/oracle.json, oracle_det0.1.json, oracle_track_sbs.json, oracle_track_pair.json"
