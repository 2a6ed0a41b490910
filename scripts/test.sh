#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the full Release build (LibTorch, GUI under Xvfb) and its CTest suite;
#   2. a Debug build with AddressSanitizer + UndefinedBehaviorSanitizer of every
#      part that does not need LibTorch or GL, and its CTest suite;
#   3. the engine alone (LibTorch only: formats, MANO, network, bench) built as a
#      machine with only PyTorch would build it, and its tests but the
#      checkpoint-file ones (the release suite ran those);
#   4. every fuzz target (scripts/fuzz.sh) on its seed corpus, sharing FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

scripts/install_deps.sh

echo "== release build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j 1

echo "== sanitizer build (ASan + UBSan, parts without LibTorch)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DINTERSHAPE_WITH_TORCH=OFF -DINTERSHAPE_WITH_GUI=OFF -DINTERSHAPE_SANITIZE=ON
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs"

echo "== engine-only build (LibTorch alone, no OpenCV/GL/GUI)"
# Mostly ccache hits: the same sources as the release build.
cmake -S . -B build/engine -G Ninja -DCMAKE_BUILD_TYPE=Release -DINTERSHAPE_ENGINE_ONLY=ON
cmake --build build/engine -j "$jobs"
ctest --test-dir build/engine --output-on-failure -j 1 -E checkpoint

if [ -x scripts/fuzz.sh ]; then
  echo "== fuzz"
  FUZZ_SECONDS="${FUZZ_SECONDS:-120}" scripts/fuzz.sh
fi
echo "== all tests passed"
