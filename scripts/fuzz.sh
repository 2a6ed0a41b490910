#!/usr/bin/env bash
# Builds every libFuzzer target (libFuzzer + ASan + UBSan, clang-14) in
# build/fuzz and runs each on its seed corpus tests/data/fuzz/<target>/:
#   pickle        the safe pickle VM and what is built on it (arrays, MANO, state dicts)
#   checkpoint    torch.save files, zip and legacy containers, down to tensor records
#   params        the parameter file of `intershape mano`
#   image_header  the image header sniffer and size policy (core/image_limits)
#   session       a recorded session's manifest.json, frames.csv and frame JSON
#   tflite        our TFLite reader (core/detect), the hand models' container
#   interhand     the InterHand2.6M annotation files (core/eval/interhand: data, camera, MANO fits)
#   spool         the sequence spool's decoders (what `infer --resume` reads back)
#
# Time: FUZZ_SECONDS (default 100) is shared equally between the targets (CI).
# A long run: FUZZ_RUNS=10000000 scripts/fuzz.sh runs each target for that many
# executions instead (see README, "Fuzzing"). FUZZ_TARGETS="session params"
# picks targets. New interesting inputs go to build/fuzz/corpus/<target> (not
# committed); a crash leaves its input in build/fuzz/artifacts/<target>/ and
# makes this script exit non-zero. Add such an input to
# tests/data/fuzz/<target>/ once fixed: the CTest fuzz_regress_<target> runs
# every file there in the ASan/UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(${FUZZ_TARGETS:-pickle checkpoint params image_header session tflite interhand spool})
CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINTERSHAPE_WITH_TORCH=OFF -DINTERSHAPE_WITH_GUI=OFF -DINTERSHAPE_FUZZ=ON
cmake --build build/fuzz -j "${FUZZ_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

total=${FUZZ_SECONDS:-100}
per=$(( total / ${#targets[@]} ))
(( per >= 5 )) || per=5
status=0
for t in "${targets[@]}"; do
  case $t in
    session) max_len=131072 ;;
    image_header|interhand) max_len=65536 ;;
    params) max_len=8192 ;;
    *) max_len=16384 ;;
  esac
  if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$per"); fi
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/artifacts/$t"
  echo "== fuzz_$t (${FUZZ_RUNS:+$FUZZ_RUNS runs}${FUZZ_RUNS:-$per s})"
  rc=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    "build/fuzz/tests/fuzz/fuzz_$t" "${limit[@]}" -rss_limit_mb=2048 -max_len="$max_len" -timeout=20 \
      -artifact_prefix="build/fuzz/artifacts/$t/" -print_final_stats=1 \
      "build/fuzz/corpus/$t" "tests/data/fuzz/$t" > "build/fuzz/$t.log" 2>&1 || rc=$?
  grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|^SUMMARY|Test unit written" \
    "build/fuzz/$t.log" || true
  if [ "$rc" != 0 ]; then
    tail -n 40 "build/fuzz/$t.log"
    echo "fuzz_$t: FAILED (exit $rc), see build/fuzz/$t.log and build/fuzz/artifacts/$t/"
    status=1
  fi
done
exit $status
