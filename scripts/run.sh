#!/usr/bin/env bash
# README's "run the app" command: installs what is missing, builds the app
# (Release, in build/release as scripts/test.sh does) and starts it. Arguments
# go to intershape unchanged (none: the GUI; or e.g. `infer --checkpoint ...`),
# relative paths taken from where you run it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

"$root/scripts/install_deps.sh"
cmake -S "$root" -B "$root/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build/release" -j "$(nproc)" --target intershape
exec "$root/build/release/app/intershape" "$@"
