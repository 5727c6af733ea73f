#!/usr/bin/env bash
# Build and run the issuance benchmark (bench/issuance.c; issue #4
# "Benchmark"; DESIGN.md: speed is measured, not asserted).
#
#   bench/run.sh [benchmark options...]     e.g. bench/run.sh --sets 2000
#
# Installs nothing beyond scripts/deps.sh, builds build-bench/ (RelWithDebInfo,
# HSMCA_BENCH=ON), runs the benchmark against its own temporary SoftHSM token
# directory and state directory (removed afterwards, also on failure), and
# prints the figures. The state directory lives on the same file system as
# the build, not in /tmp, so commits pay a real fsync (tmpfs would not).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/deps.sh >/dev/null
build=$root/build-bench
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSMCA_BENCH=ON \
      -DHSMCA_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target hsmca_bench_issuance >/dev/null

work=$(mktemp -d "$build/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -m 0700 "$work/tokens"
cat >"$work/softhsm2.conf" <<EOF
directories.tokendir = $work/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$work/softhsm2.conf
# The benchmark's own token and PINs; nothing from the caller's shell.
unset HSMCA_PIN HSMCA_SO_PIN HSMCA_NOW HSMCA_PKCS11_MODULE HSMCA_STATE

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "system:  Debian $(cat /etc/debian_version), $(softhsm2-util --version 2>/dev/null | sed 's/^/SoftHSM /'), $(openssl version | cut -d' ' -f1-2)"
echo "state:   $(df -T "$work" | awk 'NR==2 {print $2}') file system (commits are fsync'd)"
echo
"$build/bench/hsmca_bench_issuance" --state "$work/state" "$@"
