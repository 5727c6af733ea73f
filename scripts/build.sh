#!/usr/bin/env bash
# Configure and build hsmca into a build directory (warnings are errors).
#
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
#
# Default BUILD_DIR: build/. Example sanitizer build:
#   scripts/build.sh build-asan -DHSMCA_SANITIZE=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="${HSMCA_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
