# Shared helpers for interop tests (sourced). Each test script gets a fresh
# directory and its own SoftHSM2 configuration, removed on exit.
set -u
: "${HSMCA_BIN:?HSMCA_BIN must point at the hsmca binary (CTest sets it)}"
: "${HSMCA_SOURCE_DIR:?HSMCA_SOURCE_DIR must point at the source tree}"
hsmca=$HSMCA_BIN
module=/usr/lib/softhsm/libsofthsm2.so

T=$(mktemp -d "${TMPDIR:-/tmp}/hsmca-interop-XXXXXX")
# HSMCA_KEEP_TMP=1 keeps the directory for debugging.
trap '[ -n "${HSMCA_KEEP_TMP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
passed=0  # counters: test scripts must not reuse these names
failed=0

ok()   { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; return 0; }

# expect CODE NAME -- command...: run, capture stdout+stderr in $out, check
# the exit code.
expect() {
  local want=$1 name=$2
  shift 3
  out=$("$@" 2>&1 </dev/null)
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name"; else fail "$name (exit $rc, wanted $want)" "$out"; fi
}

# contains NAME TEXT: $out contains TEXT.
contains() {
  if grep -qF -- "$2" <<<"$out"; then ok "$1"; else fail "$1: no '$2' in output" "$out"; fi
}

# new_softhsm: fresh tokens directory + SOFTHSM2_CONF, two rehearsal tokens.
new_softhsm() {
  HSMCA_BIN=$hsmca "$HSMCA_SOURCE_DIR/hsm/make-tokens.sh" "$T/hsm" >/dev/null
  export SOFTHSM2_CONF=$T/hsm/softhsm2.conf
  PINS=$T/hsm/pins
}

# flip_byte FILE FROM_END: invert every bit of the byte FROM_END bytes
# before the end (1 = the last byte). Writing a fixed value instead would
# leave the file unchanged whenever the byte already had that value.
flip_byte() {
  local size off b
  size=$(stat -c %s "$1")
  off=$((size - $2))
  b=$(xxd -p -s "$off" -l 1 "$1")
  printf "\\x$(printf %02x $((0x$b ^ 0xff)))" | dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
