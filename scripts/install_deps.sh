#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the app and the tests need,
# then fetches MediaPipe's hand models (scripts/fetch_hand_models.sh).
# Idempotent: packages already installed are skipped, apt is not touched at all
# when nothing is missing, and verified models are not fetched again.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libtorch-dev libopenblas0-pthread libopencv-dev libeigen3-dev libglm-dev
  libimgui-dev libglfw3-dev python3-glad nlohmann-json3-dev libcli11-dev
  libtinygltf-dev libstb-dev libzip-dev zipcmp zipmerge ziptool doctest-dev
  # hand detection: our TFLite reader (flatc at build time), sha256 of the models
  flatbuffers-compiler libflatbuffers-dev libssl-dev
  # the InterHand2.6M annotation reader (intershape eval)
  libsimdjson-dev
  # data-parallel training: the gloo headers that LibTorch's c10d ProcessGroupGloo.hpp includes
  libgloo-dev
  # sanitizers and the fuzzer (clang's libFuzzer runtime)
  clang-14 libclang-rt-14-dev
  # tests: a virtual display, a GL driver, video tools, real torch.save / numpy
  xvfb xauth libgl1-mesa-dri ffmpeg python3-numpy python3-torch python3-flatbuffers
  # scripts/plot_training.py (training curves)
  python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm (the Khronos glTF validator of the tests, the hand-model
# fetch): Debian's packages, unless the machine already has a Node.js with npm
# (NodeSource's nodejs includes npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
else
  echo "install_deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# MediaPipe's hand models (Apache-2.0), sha256-checked, into assets/models/.
"$(dirname "$0")/fetch_hand_models.sh"

# The Khronos glTF validator for tests/exporters (pinned by its package-lock.json),
# installed now so that the tests never need the network.
validator_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/exporters/gltf_validator"
if [ ! -f "$validator_dir/node_modules/gltf-validator/package.json" ]; then
  echo "install_deps: npm ci in $validator_dir"
  npm ci --no-audit --no-fund --prefix "$validator_dir"
fi
