#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the app and the tests need.
# Idempotent: packages already installed are skipped, and apt is not touched
# at all when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libtorch-dev libopenblas0-pthread libopencv-dev libeigen3-dev libglm-dev
  libimgui-dev libglfw3-dev python3-glad nlohmann-json3-dev libcli11-dev
  libtinygltf-dev libstb-dev libzip-dev zipcmp zipmerge ziptool doctest-dev
  # the InterHand2.6M annotation reader (intershape eval)
  libsimdjson-dev
  # sanitizers and the fuzzer (clang's libFuzzer runtime)
  clang-14 libclang-rt-14-dev
  # tests: a virtual display, a GL driver, video tools, real torch.save / numpy
  xvfb xauth libgl1-mesa-dri ffmpeg python3-numpy python3-torch
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
