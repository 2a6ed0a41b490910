#!/usr/bin/env bash
# Fetches MediaPipe's hand models into assets/models/ (or $1):
#   palm_detection_full.tflite  bytes [11, 2341291) of hands_solution_packed_assets.data
#   hand_landmark_full.tflite   a plain file of the package
# from the npm package @mediapipe/hands@0.4.1675469240 (Apache-2.0, (c) Google),
# fetched by name with the ordinary npm client (`npm pack`). The tarball and each
# model are checked against the sha256 sums below; the package's loader must
# still list the offsets used. Idempotent: nothing is fetched when both models
# are present and verified. Nothing is downloaded at run time by the app.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=@mediapipe/hands@0.4.1675469240
TGZ_NAME=mediapipe-hands-0.4.1675469240.tgz
TGZ_SHA=bdd5be939c60cbd72a49f4b6141407683cf2a67263598e1a44757d70b3dfcb8a
PALM=palm_detection_full.tflite
PALM_SHA=2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85
LANDMARK=hand_landmark_full.tflite
LANDMARK_SHA=8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68
OUT=${1:-assets/models}

verified() {  # verified FILE SHA
  [ -f "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1
}

if verified "$OUT/$PALM" "$PALM_SHA" && verified "$OUT/$LANDMARK" "$LANDMARK_SHA"; then
  echo "fetch_hand_models: $OUT/$PALM and $OUT/$LANDMARK present and verified"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch_hand_models: npm is missing (scripts/install_deps.sh installs it)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/fetch_hand_models.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "fetch_hand_models: npm pack $PKG"
(cd "$WORK" && npm pack --silent "$PKG" >/dev/null)
echo "$TGZ_SHA  $WORK/$TGZ_NAME" | sha256sum -c --quiet - ||
  { echo "fetch_hand_models: $TGZ_NAME: sha256 mismatch, not using it" >&2; exit 1; }
tar xzf "$WORK/$TGZ_NAME" -C "$WORK"
P=$WORK/package

# The offsets come from the package's own loader; refuse if it says otherwise.
want='"filename": "/third_party/mediapipe/modules/palm_detection/palm_detection_full.tflite", "start": 11, "end": 2341291'
grep -qF "$want" "$P/hands_solution_packed_assets_loader.js" ||
  { echo "fetch_hand_models: the package's loader lists other offsets for $PALM" >&2; exit 1; }

mkdir -p "$OUT"
# Write next to the target, check, then rename: a failed run leaves no half file.
# (head first: it stops reading at the end offset, and tail reads all it gets,
# so no SIGPIPE under pipefail.)
head -c 2341291 "$P/hands_solution_packed_assets.data" | tail -c +12 > "$OUT/$PALM.part"
cp "$P/$LANDMARK" "$OUT/$LANDMARK.part"
verified "$OUT/$PALM.part" "$PALM_SHA" || { rm -f "$OUT"/*.part; echo "fetch_hand_models: $PALM: sha256 mismatch" >&2; exit 1; }
verified "$OUT/$LANDMARK.part" "$LANDMARK_SHA" || { rm -f "$OUT"/*.part; echo "fetch_hand_models: $LANDMARK: sha256 mismatch" >&2; exit 1; }
chmod 644 "$OUT/$PALM.part" "$OUT/$LANDMARK.part"
mv "$OUT/$PALM.part" "$OUT/$PALM"
mv "$OUT/$LANDMARK.part" "$OUT/$LANDMARK"
echo "fetch_hand_models: wrote $OUT/$PALM and $OUT/$LANDMARK (sha256 verified)"
