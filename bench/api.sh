#!/usr/bin/env bash
# Issuance through the HTTP API benchmark (issue #6): POST
# /api/v1/certificates to `hsmca serve`, which issues the precertificate,
# gets an SCT from each of its three RFC 6962 test logs over HTTP (libcurl,
# to itself), verifies them and issues the final certificate, from 1 and
# several concurrent clients.
#
#   bench/api.sh
#
# Environment (all optional):
#   HSMCA_BIN        the hsmca binary (default: build-hd/hsmca, built here
#                    with cmake when missing)
#   BENCH_CLIENTS    concurrent clients (default "1 2 4 8")
#   BENCH_REQUESTS   issuances per figure (default 200)
#   BENCH_SECONDS    at most this long per figure (default 30)
#   BENCH_KEYS       issuer key types (default "p256 rsa2048")
#
# One run: scripts/deps.sh, then in a temporary directory a fresh SoftHSM
# hierarchy (hsm/make-tokens.sh and the ceremony bench/hierarchy.yaml: every
# key in the token), both issuers registered, three test log keys (software
# P-256, three operators). Per issuer, `hsmca serve --issuer NAME --ct-log
# ...` on 127.0.0.1, and bench/api_client.py (threads, one keep-alive
# connection each) sends the requests: a subscriber P-256 public key, one
# DNS name, the three log URLs and the default CT policy (a 199-day
# certificate needs 3 SCTs from 2 operators or more). Each answer must be
# 201 with the final certificate and 3 SCTs. The state directory is on the
# temporary directory's file system (printed): every commit is fsync'd.
# Prints issuances/s, latency, and the server's CPU time per issuance; at
# the end the store must hold as many finals as were counted.
#
# DESIGN.md: speed is measured, not asserted. Every process started here is
# stopped by its PID on exit (trap), every wait is bounded, and the
# temporary directory is removed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

clients=${BENCH_CLIENTS:-"1 2 4 8"}
requests=${BENCH_REQUESTS:-200}
max_seconds=${BENCH_SECONDS:-30}
keys=${BENCH_KEYS:-"p256 rsa2048"}
for k in $keys; do
  case $k in p256|rsa2048) ;; *) echo "bench: BENCH_KEYS: unknown key type '$k'" >&2; exit 2 ;; esac
done

. "$root/bench/lib.sh"
scripts/deps.sh >/dev/null
need_packages python3 curl
bench_hsmca
hsmca=$HSMCA_BIN

work=$(mktemp -d "${TMPDIR:-/tmp}/hsmca-bench-api.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine_lines
echo "system:  Debian $(cat /etc/debian_version), $(softhsm2-util --version 2>/dev/null | sed 's/^/SoftHSM /')," \
     "$(openssl version | cut -d' ' -f1-2)"
echo "state:   $(df -T "$work" | awk 'NR==2 {print $2}') file system (commits are fsync'd)"
echo "load:    clients $clients; $requests issuances per figure (at most ${max_seconds} s)"

bench_hierarchy
for l in 1 2 3; do
  "$hsmca" ctlog keygen --out-key "$work/log$l.key" --out-pub "$work/log$l.pub" \
    --operator "bench operator $l" >/dev/null
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/leaf.key" 2>/dev/null
openssl pkey -in "$work/leaf.key" -pubout -out "$work/leaf.pub"

cpu_ticks() { # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

issued_total=0
finals_of() { # issuer name -> finals in the store (hsmca issuer list: ... RESERVED PRECERT FINAL)
  "$hsmca" issuer list | awk -v n="$1" '$1 == n {print $NF}'
}

for k in $keys; do
  name=$(issuer_name "$k")
  echo
  echo "== $(key_desc "$k") issuer '$name' (key in the token), 3 test logs (software P-256)"
  start_serve "$k" "$work/serve-$k.log" \
    --ct-log "log1=$work/log1.key,operator=op1" \
    --ct-log "log2=$work/log2.key,operator=op2" \
    --ct-log "log3=$work/log3.key,operator=op3"
  url=http://127.0.0.1:$serve_port
  logs=(--log "$url/ct/log1" --log "$url/ct/log2" --log "$url/ct/log3")
  before=$(finals_of "$name")
  # Warm-up (first token use, first connections), then check one answer
  # with openssl: the chain verifies and 3 SCTs are embedded.
  python3 bench/api_client.py --url "$url" --issuer "$name" --pubkey "$work/leaf.pub" "${logs[@]}" \
    --expect-scts 3 --clients 1 --requests 3 --max-seconds 60 --tag warm >/dev/null
  curl -sf -H 'Content-Type: application/json' \
    -d "$(python3 -c 'import json, sys; print(json.dumps({"issuer": sys.argv[1], "public_key": open(sys.argv[2]).read(), "dns": ["check.bench.example.com"], "logs": sys.argv[3:]}))' \
          "$name" "$work/leaf.pub" "$url/ct/log1" "$url/ct/log2" "$url/ct/log3")" \
    "$url/api/v1/certificates" >"$work/check-$k.json"
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["certificate"], end="")' \
    "$work/check-$k.json" >"$work/check-$k.pem"
  openssl verify -CAfile "$ca/root.pem" -untrusted "$ca/$k-sub.pem" "$work/check-$k.pem" >/dev/null
  n_scts=$(openssl x509 -in "$work/check-$k.pem" -noout -text | grep -c 'Signed Certificate Timestamp:' || true)
  echo "  check: a final from the API verifies to the root (openssl) and embeds $n_scts SCTs"
  issued_total=4

  printf '  %7s %7s %6s %9s %13s %8s %8s %8s %15s\n' clients issued failed seconds "issuances/s" \
    "p50 ms" "p90 ms" "max ms" "server CPU ms"
  for c in $clients; do
    t0=$(cpu_ticks "$serve_pid")
    line=$(python3 bench/api_client.py --url "$url" --issuer "$name" --pubkey "$work/leaf.pub" \
      "${logs[@]}" --expect-scts 3 --clients "$c" --requests "$requests" \
      --max-seconds "$max_seconds" --tag "c$c-")
    t1=$(cpu_ticks "$serve_pid")
    declare -A r=()
    for kv in $line; do r[${kv%%=*}]=${kv#*=}; done
    cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="${r[issued]}" \
      'BEGIN { if (n > 0) printf "%.1f", 1000 * t / hz / n; else print "-" }')
    printf '  %7s %7s %6s %9s %13s %8s %8s %8s %15s\n' "$c" "${r[issued]}" "${r[failed]}" \
      "${r[seconds]}" "${r[rate]}" "${r[p50_ms]}" "${r[p90_ms]}" "${r[max_ms]}" "$cpu"
    issued_total=$((issued_total + r[issued]))
  done
  after=$(finals_of "$name")
  echo "  store: $((after - before)) finals recorded for $issued_total issuances answered 201" \
       "(warm-up and check included)"
  stop_pid "$serve_pid"
done
