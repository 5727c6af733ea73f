#!/usr/bin/env bash
# Install what is missing, build, and run every test: once in a normal build
# and once with AddressSanitizer + UndefinedBehaviorSanitizer (any sanitizer
# report fails the run). This is the README's second command and what CI runs.
#
#   scripts/test.sh            both builds
#   scripts/test.sh --quick    the normal build only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/deps.sh

run_suite() { # run_suite NAME BUILD_DIR [cmake args...]
  local name=$1 dir=$2
  shift 2
  echo "== $name build ($dir)"
  HSMCA_BUILD_TYPE=Debug scripts/build.sh "$dir" "$@"
  echo "== $name tests"
  ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"
}

run_suite normal "$root/build-test"
if [ "$quick" -eq 0 ]; then
  run_suite "ASan+UBSan" "$root/build-asan" -DHSMCA_SANITIZE=ON
fi
echo "== all tests passed"
