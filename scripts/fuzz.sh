#!/usr/bin/env bash
# Builds the libFuzzer targets (libFuzzer + ASan + UBSan, clang-14) in build/fuzz
# and runs each for ${FUZZ_SECONDS:-60} s from its seed corpus:
#   fuzz_pickle  tests/data/fuzz/pickle   (the pickle reader, MANO, checkpoints)
#   fuzz_tflite  tests/data/fuzz/tflite   (our TFLite reader)
# FUZZ_TARGETS="fuzz_tflite" runs a subset. New interesting inputs go to
# build/fuzz/corpus/<target> (not committed); a crash leaves its input in
# build/fuzz/artifacts/ and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(${FUZZ_TARGETS:-fuzz_pickle fuzz_tflite})

CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINTERSHAPE_WITH_TORCH=OFF -DINTERSHAPE_WITH_GUI=OFF -DINTERSHAPE_FUZZ=ON
cmake --build build/fuzz --target "${targets[@]}" -j "${FUZZ_JOBS:-2}"

mkdir -p build/fuzz/artifacts
for target in "${targets[@]}"; do
  seeds=tests/data/fuzz/${target#fuzz_}
  mkdir -p "build/fuzz/corpus/$target"
  echo "fuzz.sh: $target for ${FUZZ_SECONDS:-60} s from $seeds"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    "build/fuzz/tests/fuzz/$target" \
    -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -max_len=16384 -timeout=20 \
    -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 \
    "build/fuzz/corpus/$target" "$seeds"
done
