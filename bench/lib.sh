# shellcheck shell=bash disable=SC2154  # root and work come from the caller
# Shared by bench/ocsp.sh and bench/api.sh (sourced, not run): packages, the
# hsmca binary, bounded waits, stopping our own processes, and the SoftHSM
# hierarchy of bench/hierarchy.yaml.
#
# The caller sets `root` (the repository) and `work` (its temporary
# directory) before bench_hierarchy.

need_packages() { # like scripts/deps.sh: install only what is missing
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "bench: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "bench: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# HSMCA_BIN, else build-hd/hsmca (configured and built here when missing).
bench_hsmca() {
  if [ -z "${HSMCA_BIN:-}" ]; then
    HSMCA_BIN=$root/build-hd/hsmca
    if [ ! -x "$HSMCA_BIN" ]; then
      cmake -S "$root" -B "$root/build-hd" >/dev/null
      cmake --build "$root/build-hd" -j"$(nproc)" --target hsmca_cli >/dev/null
    fi
  fi
  [ -x "$HSMCA_BIN" ] || { echo "bench: $HSMCA_BIN is not an executable (HSMCA_BIN)" >&2; exit 1; }
  export HSMCA_BIN
}

stop_pid() { # TERM, up to 5 s, then KILL; only our own children
  local p=$1 i
  kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }
  kill -TERM "$p" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

wait_for() { # what, seconds, command...: poll every 0.1 s, bounded
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: $what not ready after ${limit} s" >&2
  return 1
}

issuer_name() {
  case $1 in p256) echo ecdsa-p256 ;; rsa2048) echo rsa-2048 ;; esac
}
key_desc() { case $1 in p256) echo "ECDSA P-256" ;; rsa2048) echo "RSA-2048" ;; esac; }

# Tokens (hsm/make-tokens.sh), the ceremony bench/hierarchy.yaml, and both
# issuers registered in $work/state. Exports SOFTHSM2_CONF, HSMCA_HSM_DIR,
# HSMCA_STATE; sets ca (the ceremony's outputs) and pin (the online token's
# user PIN file).
bench_hierarchy() {
  local k
  # The benchmark's own tokens, PINs and state; nothing from the caller's shell.
  unset HSMCA_PIN HSMCA_SO_PIN HSMCA_NOW HSMCA_PKCS11_MODULE HSMCA_STATE HSMCA_LOG
  HSMCA_BIN=$HSMCA_BIN "$root/hsm/make-tokens.sh" "$work/hsm" >/dev/null
  export SOFTHSM2_CONF=$work/hsm/softhsm2.conf HSMCA_HSM_DIR=$work/hsm
  export HSMCA_STATE=$work/state
  pin=$work/hsm/pins/hsmca-online-issuing.user.pin
  ca=$work/ca
  "$HSMCA_BIN" ceremony run "$root/bench/hierarchy.yaml" \
    --hsm "$root/hsm/ceremonies/softhsm.hsm.yaml" --out "$ca" >/dev/null
  for k in p256 rsa2048; do
    "$HSMCA_BIN" issuer add "$(issuer_name "$k")" --cert "$ca/$k-sub.pem" \
      --token hsmca-online-issuing --key "bench-$k-issuing-key" --pin-file "$pin" \
      --base-url http://127.0.0.1:8080 --ocsp-cert "$ca/$k-ocsp.pem" \
      --ocsp-key "bench-$k-ocsp-key" >/dev/null
  done
}

# Start `hsmca serve` for one issuer on a free loopback port: sets
# serve_pid and serve_port, appends the PID to the caller's `pids`. Extra
# arguments go to serve. One issuer per process: two issuers whose keys
# share a token cannot be served by one process today (docs/performance.md).
start_serve() { # key logfile [serve args...]
  local k=$1 log=$2 portfile
  shift 2
  portfile=$log.port
  rm -f "$portfile"
  "$HSMCA_BIN" --log error serve --issuer "$(issuer_name "$k")" --listen 127.0.0.1:0 \
    --port-file "$portfile" --pin-file "$pin" "$@" >"$log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  if ! wait_for "hsmca serve" 20 test -s "$portfile"; then
    cat "$log" >&2
    exit 1
  fi
  # shellcheck disable=SC2034  # for the caller
  serve_port=$(cat "$portfile")
}

cpu_busy() { # percent of all CPUs busy over 2 s (from /proc/stat), before we start
  local a b
  a=$(head -1 /proc/stat)
  sleep 2
  b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", (t > 0 ? 100 * (t - idle) / t : 0) }'
}

machine_lines() {
  echo "machine: $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "others:  $(cpu_busy)% of the CPUs busy with other work just before starting" \
       "(load average $(cut -d' ' -f1 /proc/loadavg)); other work skews the figures"
}
