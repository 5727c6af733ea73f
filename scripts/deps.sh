#!/usr/bin/env bash
# Install every Debian 12 package hsmca needs to build, test and run its demo.
# Idempotent and non-interactive: packages already present are left alone, and
# apt-get runs only when something is missing.
#
#   scripts/deps.sh          build + runtime + test tools
#   scripts/deps.sh --list   print the package list and exit
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  libssl-dev libp11-dev libp11-kit-dev libsqlite3-dev libyaml-dev libjansson-dev
  libmicrohttpd-dev libcurl4-openssl-dev
  # tokens and runtime tools
  openssl softhsm2 opensc sqlite3 curl
  # tests and independent checkers
  libcmocka-dev gnutls-bin python3 python3-cryptography python3-jsonschema xxd faketime jq
  # sanitizers and fuzzing (clang's runtime carries ASan/UBSan/libFuzzer)
  clang libclang-rt-14-dev valgrind
  # benchmarks
  hyperfine
)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install as root: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
echo "deps: done"
