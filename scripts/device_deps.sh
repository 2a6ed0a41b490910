#!/usr/bin/env bash
# Unpacks the few libraries and headers the engine-only build needs besides
# PyTorch (libzip, CLI11, nlohmann-json, doctest) from Debian packages into a
# folder, for a machine that has PyTorch and a compiler but no package manager
# or network (e.g. a GPU machine reached through a copy of the working tree):
#
#   scripts/device_deps.sh .deps            # here, with apt
#   INTERSHAPE_DEPS_PREFIX=.deps scripts/device_check.sh   # there
#
# The packages are downloaded (apt-get download, no installation) and unpacked
# with dpkg -x; the folder holds usr/include, usr/lib/<multiarch> and
# usr/share/cmake. libzip4's own dependencies (zlib, bzip2, xz, zstd, GnuTLS,
# Nettle) are ordinary system libraries and are not included.
set -euo pipefail
dest=${1:?usage: scripts/device_deps.sh DIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
packages=(libzip-dev libzip4 libcli11-dev nlohmann-json3-dev doctest-dev)
(cd "$work" && apt-get download "${packages[@]}")
for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest"; done
# libzip.so is a link to the versioned library: keep both in the folder.
echo "device_deps: unpacked ${packages[*]} into $dest"
