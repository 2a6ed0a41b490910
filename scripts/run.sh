#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs Intershape Live.
#
#   scripts/run.sh                 the app's main job (see below)
#   scripts/run.sh ARGS...         `intershape ARGS...` (e.g. `infer --checkpoint ...`)
#
# Main job: live two-hand tracking in the GUI, from camera 0 when there is one,
# else from the bundled sample video. The model is taken from
# $INTERSHAPE_CHECKPOINT / $INTERSHAPE_MANO, or models/snapshot_99.pth.tar and
# models/mano/ when present (README: "Getting the model"). Without a model the
# GUI runs in skeleton mode: MediaPipe's hand models (fetched by install_deps)
# track up to two hands and draw their skeletons; it says how to get meshes.
# Without a display (no $DISPLAY), it runs the headless `intershape infer` on the
# same source instead; with no model there, it uses the deterministic synthetic
# weights and the synthetic MANO stand-ins from tests/data (a working pipeline,
# not real hand estimates: it says so).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target intershape -j "$(nproc)"
bin=build/release/app/intershape

if [ $# -gt 0 ]; then
  exec "$bin" "$@"
fi

checkpoint="${INTERSHAPE_CHECKPOINT:-models/snapshot_99.pth.tar}"
mano="${INTERSHAPE_MANO:-models/mano}"
model=()
[ -f "$checkpoint" ] && model+=(--checkpoint "$checkpoint")
[ -f "$mano/MANO_RIGHT.pkl" ] && model+=(--mano "$mano")

if [ -n "${DISPLAY:-}" ]; then
  if [ -e /dev/video0 ]; then source=(--camera 0); else source=(--input assets/sample_hands.mp4); fi
  exec "$bin" "${source[@]}" "${model[@]}"
fi

echo "run.sh: no display; running the headless pipeline on assets/sample_hands.mp4 into out/"
if [ ! -f "$checkpoint" ]; then
  echo "run.sh: no checkpoint at $checkpoint: using the SYNTHETIC rule weights and MANO stand-ins"
  echo "        (the computation is real, the weights are not trained: meshes are not hand estimates)"
  model=(--synthetic --mano tests/data/mano)
fi
exec "$bin" infer "${model[@]}" --input assets/sample_hands.mp4 --output out --export obj,json,glb,npz
