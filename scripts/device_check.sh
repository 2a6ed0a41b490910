#!/usr/bin/env bash
# Device check: builds the engine alone (INTERSHAPE_ENGINE_ONLY: formats, MANO,
# core/net, `intershape bench`; no OpenCV, GL or GUI) against this machine's
# PyTorch, then on the best device it has (CUDA when PyTorch sees a GPU, else
# the CPU):
#   1. the network parity tests (tests/net/test_network_parity.cpp) on that device;
#   2. `intershape bench` in fp32, and in fp16 on CUDA;
# and writes a JSON summary to $OUT/device_check.json ($OUT set) or
# build/device_check.json. Exit status 0 only if everything passed.
#
# Needs: a C++17 compiler, CMake >= 3.22, ninja, a python3 that imports torch,
# and the headers/libraries of libzip, CLI11, nlohmann-json and doctest. A
# machine without the last four (and without a package manager) can take them
# from a folder of unpacked Debian packages: INTERSHAPE_DEPS_PREFIX=DIR (see
# scripts/device_deps.sh).
#
# Environment: PYTHON (a python3 with torch; default: the first of python3,
# /usr/bin/python3 that imports it), DEVICE (cpu | cuda: override the choice),
# BENCH_ITERATIONS (default 20 on CUDA, 3 on CPU), BUILD_DIR (default
# build/device).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-$root/build/device}
out_dir=${OUT:-$root/build}
mkdir -p "$out_dir" "$build"
summary=$out_dir/device_check.json
logs=$build/logs
mkdir -p "$logs"
start=$(date +%s)

say() { echo "device_check: $*" >&2; }

# --- PyTorch -----------------------------------------------------------------
py=""
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import torch' >/dev/null 2>&1; then
    py=$(command -v "$cand")
    break
  fi
done
if [ -z "$py" ]; then
  say "no python3 here imports torch (set PYTHON=/path/to/python3)"
  exit 1
fi
read -r torch_version torch_prefix cuda_available cxx11_abi < <("$py" -c '
import torch
print(torch.__version__, torch.utils.cmake_prefix_path, int(torch.cuda.is_available()),
      int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", True)))')
device=${DEVICE:-$([ "$cuda_available" = 1 ] && echo cuda || echo cpu)}
say "PyTorch $torch_version from $py; device $device"

# --- Configure and build only what the check runs ----------------------------
prefix_path=$torch_prefix
cxx_flags=""
if [ "$cxx11_abi" = 0 ]; then cxx_flags="-D_GLIBCXX_USE_CXX11_ABI=0"; fi
if [ -n "${INTERSHAPE_DEPS_PREFIX:-}" ]; then
  deps=$(cd "$INTERSHAPE_DEPS_PREFIX" && pwd)
  multiarch=$(ls -d "$deps"/usr/lib/*-linux-gnu 2>/dev/null | head -n1)
  prefix_path="$prefix_path;$deps/usr"
  cxx_flags="$cxx_flags -isystem $deps/usr/include"
  export PKG_CONFIG_PATH="$multiarch/pkgconfig:$deps/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export PKG_CONFIG_SYSROOT_DIR=$deps
  export LD_LIBRARY_PATH="$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ "$device" = cuda ] && ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH  # LibTorch's CMake config looks for the CUDA toolkit
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

build_start=$(date +%s)
say "configuring $build"
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DINTERSHAPE_ENGINE_ONLY=ON -DCMAKE_PREFIX_PATH="$prefix_path" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DINTERSHAPE_PYTHON="$py" >"$logs/configure.log" 2>&1 || {
  tail -n 30 "$logs/configure.log" >&2
  say "configure failed (log: $logs/configure.log)"
  exit 1
}
say "building intershape and test_net_parity"
cmake --build "$build" -j "$(nproc)" --target intershape test_net_parity >"$logs/build.log" 2>&1 || {
  grep -E "error|Error" "$logs/build.log" | head -n 30 >&2
  say "build failed (log: $logs/build.log)"
  exit 1
}
build_s=$(($(date +%s) - build_start))
bin=$build/app/intershape
parity_bin=$build/tests/net/test_net_parity

# --- Parity tests on the device ----------------------------------------------
say "parity tests on $device"
parity_start=$(date +%s)
parity_rc=0
INTERSHAPE_TEST_DEVICE=$device "$parity_bin" >"$logs/parity.log" 2>&1 || parity_rc=$?
parity_s=$(($(date +%s) - parity_start))
tail -n 3 "$logs/parity.log" >&2

# --- Benchmarks --------------------------------------------------------------
iterations=${BENCH_ITERATIONS:-$([ "$device" = cuda ] && echo 20 || echo 3)}
warmup=$([ "$device" = cuda ] && echo 5 || echo 1)
precisions=(fp32)
[ "$device" = cuda ] && precisions+=(fp16)
bench_rc=0
for p in "${precisions[@]}"; do
  say "bench $p on $device ($iterations iterations after $warmup warm-up)"
  if ! "$bin" bench --synthetic --mano "$root/tests/data/mano" --device "$device" --precision "$p" \
      --image "$root/tests/data/parity/input.ppm" --iterations "$iterations" --warmup "$warmup" \
      --json >"$logs/bench_$p.json" 2>"$logs/bench_$p.log"; then
    bench_rc=1
    tail -n 5 "$logs/bench_$p.log" >&2
  fi
done

# --- Summary -----------------------------------------------------------------
total_s=$(($(date +%s) - start))
"$py" - "$summary" "$logs" "$device" "$torch_version" "$py" "$build_s" "$parity_rc" "$parity_s" \
  "$total_s" "${precisions[@]}" <<'PY'
import json, os, re, sys
summary, logs, device, torch_version, py, build_s, parity_rc, parity_s, total_s = sys.argv[1:10]
precisions = sys.argv[10:]
parity_log = open(os.path.join(logs, "parity.log"), errors="replace").read()
diffs = {}
for m in re.finditer(r"MESSAGE: (.*?max diff.*)", parity_log):
    diffs[len(diffs)] = m.group(1).strip()
counts = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", parity_log)
network = re.search(r"MESSAGE: network: (.*)", parity_log)
bench = {}
for p in precisions:
    path = os.path.join(logs, "bench_%s.json" % p)
    try:
        bench[p] = json.loads(open(path).read().strip().splitlines()[-1])
    except Exception as e:  # a failed run: keep its error
        err = open(os.path.join(logs, "bench_%s.log" % p), errors="replace").read().strip()
        bench[p] = {"error": err[-500:] or str(e)}
ok = int(parity_rc) == 0 and all("error" not in b for b in bench.values())
out = {
    "ok": ok,
    "device": device,
    "torch": torch_version,
    "python": py,
    "build_s": int(build_s),
    "total_s": int(total_s),
    "parity": {
        "passed": int(parity_rc) == 0,
        "network": network.group(1).strip() if network else None,
        "test_cases": {"total": int(counts.group(1)), "passed": int(counts.group(2)),
                       "failed": int(counts.group(3))} if counts else None,
        "seconds": int(parity_s),
        "max_diffs": list(diffs.values()),
    },
    "bench": {p: ({k: b[k] for k in ("estimator", "iterations", "forward_ms_median", "forward_ms_p10",
                                      "forward_ms_p90", "peak_rss_mb", "stages_ms", "load_s")
                   if k in b} if "error" not in b else b)
              for p, b in bench.items()},
}
with open(summary, "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print(json.dumps(out, indent=2))
PY
say "summary: $summary ($total_s s)"
[ "$parity_rc" = 0 ] && [ "$bench_rc" = 0 ]
