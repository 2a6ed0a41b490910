#!/usr/bin/env bash
# Renders README's picture of the rig (docs/rig_blender.png) headless with
# Debian's Blender: the preview clip of tests/exporters/test_rig.cpp (two hands
# closing), imported as README's guide says, seen through the file's camera.
# Usage: scripts/render_rig_preview.sh [BUILD_DIR] [OUT.png]   (~1 min on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
out="${2:-$root/docs/rig_blender.png}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
INTERSHAPE_RIG_PREVIEW="$tmp/preview.glb" "$build/tests/exporters/test_export_rig" \
  -tc="the preview clip*" > /dev/null
blender -b --python "$root/scripts/render_rig_preview.py" -- "$tmp/preview.glb" "$out" 16 \
  | grep -E "render_rig_preview|Error" || true
test -s "$out"
