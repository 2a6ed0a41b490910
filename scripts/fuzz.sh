#!/usr/bin/env bash
# Builds the pickle fuzzer (libFuzzer + ASan + UBSan, clang-14) in build/fuzz and
# runs it for ${FUZZ_SECONDS:-60} s from the seed corpus tests/data/fuzz/pickle.
# New interesting inputs go to build/fuzz/corpus (not committed); a crash leaves
# its input in build/fuzz/artifacts/ and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINTERSHAPE_WITH_TORCH=OFF -DINTERSHAPE_WITH_GUI=OFF -DINTERSHAPE_FUZZ=ON
cmake --build build/fuzz --target fuzz_pickle -j "${FUZZ_JOBS:-2}"

mkdir -p build/fuzz/corpus build/fuzz/artifacts
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
  build/fuzz/tests/fuzz/fuzz_pickle \
  -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -max_len=16384 -timeout=20 \
  -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 \
  build/fuzz/corpus tests/data/fuzz/pickle
