#!/usr/bin/env bash
# Regenerates assets/sample_hands.mp4: the procedural two-hand test picture of
# the parity fixture, moving over a plain background (6 s, 30 fps, 640x480).
# We made it ourselves; it ships so that the app has something to show with no camera.
set -euo pipefail
cd "$(dirname "$0")/.."
ffmpeg -loglevel error -y -f lavfi -i color=c=0x506070:s=640x480:d=6:r=30 \
  -loop 1 -i tests/data/parity/input.png \
  -filter_complex "[1]scale=320:320[h];[0][h]overlay=x='160+100*sin(t)':y='80+40*cos(t)':shortest=1" \
  -r 30 -c:v mpeg4 -q:v 3 -pix_fmt yuv420p assets/sample_hands.mp4
