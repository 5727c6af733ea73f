#!/usr/bin/env bash
# `hsmca serve` end to end (issue #6): OCSP (GET and POST), CRLs, AIA, the
# JSON issuance API, the RFC 6962 test logs and their knobs, bad input, the
# API token, graceful shutdown and a bounded concurrency run, on fresh
# SoftHSM2 tokens and a fresh SQLite state. Every answer is checked with
# tools we did not write: `openssl ocsp -url` (POST, with and without a
# nonce), curl (GET, headers, raw bodies), `openssl verify`/`crl`, OpenSSL's
# SCT validation (inside `hsmca verify`), python3-cryptography
# (tests/interop/ct_check.py, tests/interop/serve_client.py), jq and sqlite3.
#
# The server listens on 127.0.0.1 only, on a port of its choosing
# (--port-file); it is always stopped by its PID (trap on EXIT), and every
# wait is bounded.
#
# Time: hsmca runs at the fixed --now below (the tls-server profile's 199
# days are only allowed before 2027-03-15, and answers are then exact), so
# the server's clock stands still. openssl checks OCSP times against the
# real clock, so `openssl ocsp` runs under faketime 30 s after --now (as in
# test_revocation.sh); `openssl verify` takes -attime.
#
# HSMCA_TEST_SCALE (default 1) multiplies the concurrency run (8 clients x
# 25 precertificates, 8 x 200 OCSP requests).
. "$(dirname "$0")/lib.sh"
new_softhsm
export HSMCA_HSM_DIR=$T/hsm
NOW=2026-11-28T12:00:00Z
AT=$(date -d "$NOW" +%s)
src=$HSMCA_SOURCE_DIR
S=$T/state
O=hsmca-online-issuing
opin=$PINS/$O.user.pin
py=/usr/bin/python3   # Debian's python3 with python3-cryptography
client=$src/tests/interop/serve_client.py
db=$S/hsmca.db
scale=${HSMCA_TEST_SCALE:-1}
h() { "$hsmca" --now "$NOW" --state "$S" "$@"; }
counts() { h issuer list | awk -v n="$1" '$1==n {print $(NF-2), $(NF-1), $NF}'; }
ft() { TZ=UTC faketime "$(date -u -d "@$((AT + 30))" '+%Y-%m-%d %H:%M:%S')" "$@"; }
for tool in faketime curl jq sqlite3; do
  command -v $tool >/dev/null || { echo "$tool is missing (scripts/deps.sh)"; exit 1; }
done

# ---------------------------------------------------------------- the server process
# srv_pid is the hsmca process itself (started directly, not through h(), so
# that $! is its PID). The EXIT trap replaces lib.sh's: stop it, then clean.
srv_pid=
srv_log=
srv_rc=
stop_server() { # SIGTERM, wait at most 10 s, then SIGKILL; exit status in srv_rc
  srv_rc=
  [ -n "$srv_pid" ] || return 0
  kill -TERM "$srv_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$srv_pid" 2>/dev/null; then
    kill -KILL "$srv_pid" 2>/dev/null
    echo "server $srv_pid did not stop within 10 s: killed"
  fi
  wait "$srv_pid" 2>/dev/null
  srv_rc=$?
  srv_pid=
}
trap 'stop_server; [ -n "${HSMCA_KEEP_TMP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT

# start_server LOG ARGS...: serve in the background; port in $port, base URL
# in $B. Polls the port file and /healthz for at most 10 s.
start_server() {
  srv_log=$1
  shift
  rm -f "$T/port"
  # --log info: the CT client's retries and the test logs' delays are in it.
  "$hsmca" --now "$NOW" --state "$S" --log info serve --listen 127.0.0.1:0 --port-file "$T/port" "$@" \
    >"$srv_log" 2>&1 </dev/null &
  srv_pid=$!
  port=
  for _ in $(seq 100); do
    kill -0 "$srv_pid" 2>/dev/null || break
    if [ -s "$T/port" ]; then
      port=$(cat "$T/port")
      curl -sf -m 2 "http://127.0.0.1:$port/healthz" >/dev/null && break
    fi
    sleep 0.1
  done
  B=http://127.0.0.1:$port
  LOG1=$B/ct/log1 LOG2=$B/ct/log2 LOG3=$B/ct/log3
  if [ -n "$port" ] && curl -sf -m 2 "$B/healthz" >/dev/null; then
    ok "server up on 127.0.0.1:$port (pid $srv_pid)"
  else
    fail "server did not come up within 10 s" "$(cat "$srv_log")"
    stop_server
    finish
    exit 1
  fi
}
# sanitizer_clean NAME: the server log has no ASan/LSan/UBSan report.
sanitizer_clean() {
  if grep -qE 'Sanitizer|runtime error:' "$srv_log"; then fail "$1" "$(grep -A30 -E 'Sanitizer|runtime error:' "$srv_log" | head -60)"; else ok "$1"; fi
}

# ---------------------------------------------------------------- HTTP helpers
# req METHOD PATH [curl args...]: status in $code, body in $body and
# $T/body, headers in $T/hdr.
req() {
  local m=$1 p=$2
  shift 2
  code=$(curl -s -m 60 -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$B$p")
  body=$(tr -d '\000' <"$T/body")
}
# jpost PATH JSON [curl args...]: POST a JSON document.
jpost() { local p=$1 j=$2; shift 2; req POST "$p" -H 'Content-Type: application/json' --data-binary "$j" "$@"; }
# jpostf PATH FILE [curl args...]: POST a JSON file.
jpostf() { local p=$1 f=$2; shift 2; req POST "$p" -H 'Content-Type: application/json' --data-binary "@$f" "$@"; }
hdr() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', wanted '$3'" "$body"; fi; }
# has NAME TEXT: the last answer's body contains TEXT (contains checks $out).
has() { if grep -qF -- "$2" <<<"$body"; then ok "$1"; else fail "$1: no '$2' in the answer" "$body"; fi; }
# want_err NAME HTTP CODE [TEXT]: the last request was answered HTTP with the
# JSON error {"error": {"code": CODE, "message": ...TEXT...}}.
want_err() {
  local name=$1 http=$2 ecode=$3 text=${4:-}
  local got_code got_msg
  got_code=$(jq -r '.error.code' <<<"$body" 2>/dev/null)
  got_msg=$(jq -r '.error.message' <<<"$body" 2>/dev/null)
  if [ "$code" = "$http" ] && [ "$got_code" = "$ecode" ] && grep -qF -- "$text" <<<"$got_msg" &&
     [[ "$(hdr Content-Type)" == application/json* ]]; then
    ok "$name ($http $ecode)"
  else
    fail "$name: HTTP $code code '$got_code', wanted $http '$ecode' with '$text'" "$body"
  fi
}
want_code() { if [ "$code" = "$2" ]; then ok "$1 ($2)"; else fail "$1: HTTP $code, wanted $2" "$body"; fi; }
healthy() { # NAME: the server still answers
  if [ "$(curl -s -m 5 "$B/healthz")" = ok ] && kill -0 "$srv_pid" 2>/dev/null; then ok "$1"; else fail "$1" "$(tail -20 "$srv_log")"; fi
}
# The serials the API assigned and finished, for the store checks at the end.
assigned() { echo "$1" >>"$T/assigned"; }
finished() { echo "$1" >>"$T/finished"; }
: >"$T/assigned"
: >"$T/finished"
der() { openssl x509 -in "$1" -outform DER; }
b64der() { der "$1" | base64 -w0; }
spki_b64() { openssl pkey -pubin -in "$1" -outform DER | base64 -w0; }
logid_b64() { openssl pkey -pubin -in "$1" -outform DER | openssl dgst -sha256 -binary | base64 -w0; }

# ---------------------------------------------------------------- hierarchy
"$hsmca" --now "$NOW" ceremony run "$src/hsm/ceremonies/rehearsal.yaml" \
  --hsm "$src/hsm/ceremonies/softhsm.hsm.yaml" --out "$T/ca" >/dev/null || { echo "ceremony failed"; exit 1; }
C=$T/ca
SUB=$C/subordinate.pem
ROOT=$C/root.pem
RESP=$C/ocsp-responder.pem
cat "$SUB" "$ROOT" >"$T/chain.pem"
expect 0 "issuer add sub (delegated responder)" -- h issuer add sub --cert "$SUB" --token $O --key hsmca-issuing-key \
  --pin-file "$opin" --base-url http://127.0.0.1:8080 --ocsp-cert "$RESP" --ocsp-key hsmca-ocsp-key
for l in log1 log2 log3; do
  expect 0 "ctlog keygen $l" -- "$hsmca" ctlog keygen --out-key "$T/$l.key" --out-pub "$T/$l.pub" --operator "OP-$l"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
openssl req -new -key "$T/leaf.key" -subj "/CN=ignored.example" -out "$T/leaf.csr" 2>/dev/null
# precert_json FILE DNS: a /api/v1/precert body.
precert_json() { jq -n --rawfile csr "$T/leaf.csr" --arg d "$2" '{issuer: "sub", csr: $csr, dns: [$d]}' >"$1"; }

# ---------------------------------------------------------------- refusals at start
expect 2 "serve refuses 0.0.0.0 without an API token" -- h serve --listen 0.0.0.0:0 --port-file "$T/port-any"
contains "refusal says why" "without an API token"
[ ! -e "$T/port-any" ] && ok "refused server never wrote a port file" || fail "port file written for 0.0.0.0"
expect 2 "serve refuses an unknown test log knob" -- h serve --listen 127.0.0.1:0 --ct-log "log1=$T/log1.key,bogus"
contains "unknown knob named" "unknown knob 'bogus'"

# ---------------------------------------------------------------- start
LOGS=(--ct-log "log1=$T/log1.key,operator=OP1" --ct-log "log2=$T/log2.key,operator=OP2"
      --ct-log "log3=$T/log3.key,operator=OP3")
start_server "$T/serve1.log" "${LOGS[@]}" --ct-root "$ROOT" \
  --file "/ca/root.der=$ROOT" --file "/crl/root.crl=$C/root.crl"
grep -qF "listening on http://127.0.0.1:$port (1 issuer, 3 test logs)" "$srv_log" && ok "serve says where it listens" || fail "no listening line" "$(cat "$srv_log")"
ALL_LOGS=$(jq -nc --arg a "$LOG1" --arg b "$LOG2" --arg c "$LOG3" '[$a, $b, $c]')

# ---------------------------------------------------------------- AIA and CRL files
req GET /ca/sub.der
want_code "GET /ca/sub.der" 200
cmp -s "$T/body" <(der "$SUB") && ok "/ca/sub.der is the subordinate's DER" || fail "/ca/sub.der differs"
is "/ca/sub.der content type" "$(hdr Content-Type)" application/pkix-cert
req GET /ca/root.der
cp "$T/body" "$T/root-dl.der"
cmp -s "$T/body" <(der "$ROOT") && ok "/ca/root.der is the root's DER (--file, PEM served as DER)" || fail "/ca/root.der differs"
req GET /crl/root.crl
cmp -s "$T/body" "$C/root.crl" && ok "/crl/root.crl is the ceremony's root CRL" || fail "/crl/root.crl differs"
is "/crl/root.crl content type" "$(hdr Content-Type)" application/pkix-crl
expect 0 "openssl crl: the root CRL verifies with the downloaded root" -- \
  sh -c "openssl crl -inform DER -in '$T/body' -CAfile '$ROOT' -noout -verify"
contains "root CRL: verify OK" "verify OK"
req GET /ca/nope.der
want_code "unknown CA certificate" 404
req GET /crl/nope.crl
want_code "unknown CRL" 404
req POST /ca/sub.der --data-binary x
want_code "POST /ca/sub.der" 405
is "405 names the allowed method" "$(hdr Allow)" GET
# The downloaded chain, for every openssl verify below.
openssl x509 -inform DER -in "$T/root-dl.der" -out "$T/root-dl.pem"
curl -s "$B/ca/sub.der" | openssl x509 -inform DER -out "$T/sub-dl.pem"

# ---------------------------------------------------------------- CT log endpoints
req GET /ct/log_list.json
want_code "GET /ct/log_list.json" 200
cp "$T/body" "$T/log_list.json"
for i in 1 2 3; do
  l=log$i
  got=$(jq -c --arg d "hsmca test log $l" '.operators[] | select(.logs[0].description == $d) | [.name, .logs[0].key, .logs[0].log_id, .logs[0].url]' "$T/log_list.json")
  want=$(jq -nc --arg o "OP$i" --arg k "$(spki_b64 "$T/$l.pub")" --arg id "$(logid_b64 "$T/$l.pub")" --arg u "/ct/$l/" '[$o, $k, $id, $u]')
  is "log_list.json: $l has operator, key, log id (SHA-256 of the keygen SPKI) and URL" "$got" "$want"
  req GET "/ct/$l/key.pem"
  if cmp -s <(openssl pkey -pubin -in "$T/body" -outform DER) <(openssl pkey -pubin -in "$T/$l.pub" -outform DER); then
    ok "/ct/$l/key.pem is the ctlog keygen public key"
  else
    fail "/ct/$l/key.pem differs from $l.pub" "$body"
  fi
done
req GET /ct/log1/ct/v1/get-roots
want_code "get-roots" 200
is "get-roots lists the --ct-root" "$(jq -r '.certificates | length, .[0]' <<<"$body" | tr '\n' ' ')" "1 $(b64der "$ROOT") "
req POST /ct/log1/ct/v1/get-roots -H 'Content-Type: application/json' -d '{}'
want_code "POST get-roots" 405
req GET /ct/log1/ct/v1/add-pre-chain
want_code "GET add-pre-chain" 405
req GET /ct/nolog/ct/v1/get-roots
want_code "unknown test log" 404
req POST /ct/log1/ct/v1/add-pre-chain -H 'Content-Type: application/json' \
  --data-binary "$(jq -nc --arg a "$(b64der "$SUB")" --arg b "$(b64der "$ROOT")" '{chain: [$a, $b]}')"
want_code "add-pre-chain of a certificate without poison" 400
has "the log says why" "not a precertificate"
# A chain that does not end at the accepted root: a self-signed stranger.
openssl req -x509 -new -key "$T/leaf.key" -subj "/CN=stranger" -days 30 -out "$T/stranger.pem" 2>/dev/null
req POST /ct/log1/ct/v1/add-chain -H 'Content-Type: application/json' \
  --data-binary "$(jq -nc --arg a "$(b64der "$T/stranger.pem")" '{chain: [$a]}')"
want_code "add-chain outside the accepted root" 400
has "the log names the root rule" "does not end at a root"
req POST /ct/log1/ct/v1/add-pre-chain -H 'Content-Type: application/json' -d '{"chain": "x"}'
want_code "add-pre-chain without a chain array" 400

# ---------------------------------------------------------------- precert -> own SCTs -> final
precert_json "$T/p1.json" www.example.com
jpostf /api/v1/precert "$T/p1.json"
want_code "POST /api/v1/precert" 201
s1=$(jq -r .serial <<<"$body")
jq -r .precert <<<"$body" >"$T/p1.pem"
jq -r '.chain[0]' <<<"$body" >"$T/p1-chain.pem"
assigned "$s1"
is "precert answer: serial is the certificate's" "$(openssl x509 -in "$T/p1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" "$s1"
cmp -s <(der "$T/p1-chain.pem") <(der "$SUB") && ok "precert answer: chain is the subordinate" || fail "precert chain differs"
expect 0 "openssl: the API precert has a critical poison" -- sh -c "openssl x509 -in '$T/p1.pem' -noout -text | grep -q 'CT Precertificate Poison: critical'"
# RFC 6962 §4.1 add-pre-chain, by hand, to two test logs.
jq -nc --arg a "$(b64der "$T/p1.pem")" --arg b "$(b64der "$SUB")" '{chain: [$a, $b]}' >"$T/p1-chain.json"
for l in log1 log2; do
  req POST "/ct/$l/ct/v1/add-pre-chain" -H 'Content-Type: application/json' --data-binary "@$T/p1-chain.json"
  want_code "curl add-pre-chain to $l" 200
  cp "$T/body" "$T/p1-$l.sct.json"
  is "$l's SCT: v1, its log id, timestamp = --now" "$(jq -r '[.sct_version, .id, .timestamp] | @tsv' "$T/body")" \
    "$(printf '0\t%s\t%s' "$(logid_b64 "$T/$l.pub")" "${AT}000")"
done
jq -n --arg s "$s1" --slurpfile a "$T/p1-log1.sct.json" --slurpfile b "$T/p1-log2.sct.json" \
  '{issuer: "sub", serial: $s, scts: [$a[0], $b[0]]}' >"$T/f1.json"
jpostf /api/v1/final "$T/f1.json"
want_code "POST /api/v1/final with the two add-pre-chain answers" 201
jq -r .certificate <<<"$body" >"$T/f1.pem"
finished "$s1"
is "final answer: same serial" "$(jq -r .serial <<<"$body")" "$s1"
expect 0 "openssl verify: the final's chain with the downloaded root and subordinate" -- \
  openssl verify -x509_strict -attime "$AT" -CAfile "$T/root-dl.pem" -untrusted "$T/sub-dl.pem" "$T/f1.pem"
expect 0 "python: the final corresponds to the precert and its SCTs verify (ct_check.py)" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$SUB" --log-key "$T/log1.pub" --log-key "$T/log2.pub" \
  --sct "$(logid_b64 "$T/log1.pub" | base64 -d | xxd -p -c 64):${AT}000" --sct "$(logid_b64 "$T/log2.pub" | base64 -d | xxd -p -c 64):${AT}000" \
  "$T/p1.pem" "$T/f1.pem"
expect 0 "hsmca verify: OpenSSL's SCT validation of the final" -- \
  h verify --precert "$T/p1.pem" --final "$T/f1.pem" --issuer-cert "$SUB" --root "$ROOT" --log-key "$T/log1.pub" --log-key "$T/log2.pub" --log-key "$T/log3.pub"
contains "OpenSSL validated both SCTs" "OpenSSL CT validation: 2 of 2 embedded SCTs valid"
jpostf /api/v1/final "$T/f1.json"
want_err "a second final for the serial" 409 exists "already has its final certificate"
# An SCT over another precert does not verify for this one.
precert_json "$T/p2.json" pre-only.example.com
jpostf /api/v1/precert "$T/p2.json"
want_code "POST /api/v1/precert (stays precert-only)" 201
s2=$(jq -r .serial <<<"$body")
jq -r .precert <<<"$body" >"$T/p2.pem"
assigned "$s2"
jq -n --arg s "$s2" --slurpfile a "$T/p1-log1.sct.json" '{issuer: "sub", serial: $s, scts: [$a[0]]}' >"$T/f2-bad.json"
jpostf /api/v1/final "$T/f2-bad.json"
want_err "an SCT over another precert" 422 verify
jpost /api/v1/final "$(jq -nc --arg s "$s2" '{issuer: "sub", serial: $s, scts: ["AAAA"]}')"
want_err "a malformed SCT" 400 input "scts[0]"
req GET "/api/v1/certificates/sub/$s2"
is "lookup of the precert-only serial: state, OCSP status" "$(jq -r '[.state, .ocsp_status, .certificate, .revoked] | @tsv' <<<"$body")" "$(printf 'precert\tgood\t\t')"

# ---------------------------------------------------------------- OCSP: a policy change by another process
# The policy lives in the server's memory: the store watcher reloads it and
# must drop every pre-signed answer it covers, including one signed after
# the change was committed but before the reload (docs/serve.md). Each step
# asks about a fresh precert-only serial, so that its first answer is
# signed, not taken from the cache, right after the change.
# pol_status REQ: the status the server gives now for REQ (plain, cacheable).
pol_status() {
  curl -s -m 10 -X POST -H 'Content-Type: application/ocsp-request' --data-binary "@$1" \
    -o "$T/pol.der" "$B/ocsp/sub"
  openssl ocsp -respin "$T/pol.der" -resp_text -noverify 2>/dev/null | awk '/Cert Status:/ {print $3; exit}'
}
# wait_status REQ WANT: poll (at most 5 s) until the server answers WANT.
wait_status() {
  local st=
  for _ in $(seq 50); do st=$(pol_status "$1"); [ "$st" = "$2" ] && break; sleep 0.1; done
  echo "$st"
}
step=0
for want in unknown good unknown good; do
  step=$((step + 1))
  precert_json "$T/pol$step.json" "policy$step.example.com"
  jpostf /api/v1/precert "$T/pol$step.json"
  ps=$(jq -r .serial <<<"$body")
  assigned "$ps"
  openssl ocsp -issuer "$SUB" -serial "0x$ps" -no_nonce -reqout "$T/pol$step.req" >/dev/null 2>&1
  h issuer policy sub --precert-only "$want" >/dev/null 2>&1
  pol_status "$T/pol$step.req" >/dev/null   # signed before the reload, maybe
  is "policy: precert-only -> $want from another process (step $step)" "$(wait_status "$T/pol$step.req" "$want")" "$want"
  sleep 1                                   # the watcher has run since (every 0.5 s)
  is "policy: still $want a second later (step $step)" "$(pol_status "$T/pol$step.req")" "$want"
done

# ---------------------------------------------------------------- OCSP: good, precert-only, revoked, unknown
precert_json "$T/p3.json" revoke-me.example.com
jpostf /api/v1/precert "$T/p3.json"
s3=$(jq -r .serial <<<"$body")
jq -r .precert <<<"$body" >"$T/p3.pem"
assigned "$s3"
jpost /api/v1/revoke "$(jq -nc --arg s "$s3" '{issuer: "sub", serial: $s, reason: "superseded"}')"
want_code "POST /api/v1/revoke (a precert-only serial)" 200
unknown=0x0a0b0c0d0e0f10111213
ocsp_url() { ft openssl ocsp -issuer "$SUB" -url "$B/ocsp/sub" -VAfile "$RESP" "$@"; }
# ocsp_case NAME WANT WHO ARGS...: POST with a nonce, POST without (twice:
# the same pre-signed bytes), and GET of the same request with its caching
# headers and a 304; WHO is what openssl prints before ": status".
ocsp_case() {
  local name=$1 want=$2 who=$3
  shift 3
  expect 0 "openssl ocsp -url (nonce): $name" -- ocsp_url "$@" -resp_text -respout "$T/r-nonce.der"
  contains "$name (nonce): Response verify OK" "Response verify OK"
  contains "$name (nonce): $want" "$who: $want"
  contains "$name (nonce): the nonce is echoed" "OCSP Nonce"
  if grep -q WARNING <<<"$out"; then fail "$name (nonce): openssl warns" "$out"; else ok "$name (nonce): no openssl warning"; fi
  expect 0 "openssl ocsp -url -no_nonce: $name" -- ocsp_url "$@" -no_nonce -respout "$T/r-a.der" -reqout "$T/q.der"
  contains "$name (no nonce): Response verify OK" "Response verify OK"
  contains "$name (no nonce): $want" "$who: $want"
  ocsp_url "$@" -no_nonce -respout "$T/r-b.der" >/dev/null 2>&1
  cmp -s "$T/r-a.der" "$T/r-b.der" && ok "$name (no nonce): pre-signed, byte-identical answers" || fail "$name: two no-nonce answers differ"
  cmp -s "$T/r-a.der" "$T/r-nonce.der" && fail "$name: the nonce answer is the cached one" || ok "$name: the nonce answer was signed fresh"
  local enc
  enc=$(base64 -w0 "$T/q.der" | jq -sRr @uri)
  req GET "/ocsp/sub/$enc"
  want_code "GET /ocsp/sub/<urlencoded base64> (RFC 6960 A.1): $name" 200
  cmp -s "$T/body" "$T/r-a.der" && ok "$name: GET gets the same pre-signed answer as POST" || fail "$name: GET answer differs from POST"
  expect 0 "openssl ocsp -respin (GET answer): $name" -- ft openssl ocsp -respin "$T/body" -issuer "$SUB" -VAfile "$RESP" "$@"
  contains "$name (GET): Response verify OK" "Response verify OK"
  contains "$name (GET): $want" "$who: $want"
  local cc lm ex et
  cc=$(hdr Cache-Control) lm=$(hdr Last-Modified) ex=$(hdr Expires) et=$(hdr ETag)
  is "$name (GET): Content-Type" "$(hdr Content-Type)" application/ocsp-response
  # RFC 5019 §6.2; the window is the default 4 days, thisUpdate = --now.
  is "$name (GET): Cache-Control max-age to nextUpdate" "$cc" "max-age=345599, public, no-transform, must-revalidate"
  is "$name (GET): Last-Modified = thisUpdate" "$lm" "$(date -u -d "@$AT" '+%a, %d %b %Y %H:%M:%S GMT')"
  is "$name (GET): Expires = nextUpdate" "$ex" "$(date -u -d "@$((AT + 345599))" '+%a, %d %b %Y %H:%M:%S GMT')"
  [[ "$et" =~ ^\"[0-9a-f]{32}\"$ ]] && ok "$name (GET): strong ETag" || fail "$name: ETag '$et'"
  req GET "/ocsp/sub/$enc" -H "If-None-Match: $et"
  want_code "$name (GET): If-None-Match with the ETag" 304
  req GET "/ocsp/sub/$enc" -H 'If-None-Match: "0000"'
  want_code "$name (GET): If-None-Match with another ETag" 200
  req GET "/ocsp/$enc"
  cmp -s "$T/body" "$T/r-a.der" && ok "$name: GET /ocsp/<base64> (no issuer segment) too" || fail "$name: /ocsp/<base64> differs"
}
ocsp_case "final certificate is good" good "$T/f1.pem" -cert "$T/f1.pem"
ocsp_case "precert-only serial is good (MRSP 5.4)" good "$T/p2.pem" -cert "$T/p2.pem"
ocsp_case "revoked precert-only serial" revoked "$T/p3.pem" -cert "$T/p3.pem"
contains "revoked: the reason" "Reason: superseded"
ocsp_case "unassigned serial is unknown" unknown "$unknown" -serial "$unknown"
# A GET of a request with a nonce: signed for it, not cacheable, nonce echoed.
ft openssl ocsp -issuer "$SUB" -cert "$T/p2.pem" -reqout "$T/q-nonce.der" >/dev/null 2>&1
req GET "/ocsp/sub/$(base64 -w0 "$T/q-nonce.der" | jq -sRr @uri)"
is "GET with a nonce: not cacheable" "$(hdr Cache-Control) [$(hdr ETag)]" "no-cache, no-store []"
# (-reqin only: openssl ignores -reqin once -cert has built a request.)
expect 0 "openssl ocsp -reqin -respin: the GET answer verifies and echoes the nonce" -- \
  ft openssl ocsp -reqin "$T/q-nonce.der" -respin "$T/body" -VAfile "$RESP"
contains "GET with a nonce: verify OK" "Response verify OK"
if grep -qiE "nonce|warning" <<<"$out"; then fail "GET with a nonce: openssl complains" "$out"; else ok "GET with a nonce: openssl's nonce check passes"; fi
expect 0 "GET with a nonce: status" -- ft openssl ocsp -respin "$T/body" -issuer "$SUB" -cert "$T/p2.pem" -no_nonce -VAfile "$RESP"
contains "GET with a nonce: good" "$T/p2.pem: good"
# Two CertIDs in one request, and a SHA-256 CertID (CONFORMANCE §12).
expect 0 "openssl ocsp -url: two CertIDs in one request" -- ocsp_url -cert "$T/f1.pem" -cert "$T/p2.pem" -serial "$unknown"
contains "two CertIDs: verify OK" "Response verify OK"
contains "two CertIDs: the final" "$T/f1.pem: good"
contains "two CertIDs: the precert" "$T/p2.pem: good"
contains "two CertIDs: the unassigned serial" "$unknown: unknown"
expect 0 "openssl ocsp -url: a SHA-256 CertID" -- ocsp_url -sha256 -cert "$T/p2.pem"
contains "SHA-256 CertID: verify OK" "Response verify OK"
contains "SHA-256 CertID: good" "$T/p2.pem: good"
# A CertID of an issuer this server does not serve (the offline root).
expect 1 "openssl ocsp -url: a CertID under the unserved root" -- ft openssl ocsp -issuer "$ROOT" -serial 0x01 -url "$B/ocsp/sub" -VAfile "$RESP"
contains "unserved issuer: unauthorized (RFC 9919 2.2.3)" "Responder Error: unauthorized (6)"
# GET of the final's request, kept for the revocation below.
ft openssl ocsp -issuer "$SUB" -cert "$T/f1.pem" -no_nonce -reqout "$T/q-f1.der" >/dev/null 2>&1
f1_get=/ocsp/sub/$(base64 -w0 "$T/q-f1.der" | jq -sRr @uri)
req GET "$f1_get"
f1_etag=$(hdr ETag)

# ---------------------------------------------------------------- revocation through the API: OCSP and CRL at once
req GET /crl/sub.crl
want_code "GET /crl/sub.crl" 200
is "CRL content type" "$(hdr Content-Type)" application/pkix-crl
is "CRL Last-Modified = thisUpdate, Expires = nextUpdate (7 days)" "$(hdr Last-Modified) / $(hdr Expires)" \
  "$(date -u -d "@$AT" '+%a, %d %b %Y %H:%M:%S GMT') / $(date -u -d "@$((AT + 7 * 86400))" '+%a, %d %b %Y %H:%M:%S GMT')"
cp "$T/body" "$T/crl-a.der"
expect 0 "openssl crl -verify (CAfile chain)" -- openssl crl -inform DER -in "$T/crl-a.der" -CAfile "$T/chain.pem" -noout -verify
contains "CRL: verify OK" "verify OK"
crl_number() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2; }
n_a=$(crl_number "$T/crl-a.der")
req GET /crl/sub.crl
cmp -s "$T/body" "$T/crl-a.der" && ok "CRL unchanged without a revocation" || fail "CRL re-signed without a revocation"
expect 0 "openssl: the revoked precert-only serial is on the CRL (MRSP 5.4)" -- \
  sh -c "openssl crl -inform DER -in '$T/crl-a.der' -noout -text | grep -qi 'Serial Number: ${s3#00}'"
jpost /api/v1/revoke "$(jq -nc --arg s "$s1" '{issuer: "sub", serial: $s, reason: "keyCompromise"}')"
want_code "POST /api/v1/revoke the final" 200
is "revoke answer" "$(jq -r '[.serial, .reason, .revoked_at] | @tsv' <<<"$body")" "$(printf '%s\tkeyCompromise\t%s' "$s1" "$NOW")"
expect 0 "openssl ocsp -url -no_nonce right after: revoked (no stale cache)" -- ocsp_url -cert "$T/f1.pem" -no_nonce
contains "revoked at once: verify OK" "Response verify OK"
contains "revoked at once" "$T/f1.pem: revoked"
contains "revoked at once: reason" "Reason: keyCompromise"
req GET "$f1_get" -H "If-None-Match: $f1_etag"
want_code "GET with the old ETag after the revocation" 200
expect 0 "openssl ocsp -respin (GET after revocation): revoked" -- ft openssl ocsp -respin "$T/body" -issuer "$SUB" -cert "$T/f1.pem" -VAfile "$RESP"
contains "GET after revocation: revoked" "$T/f1.pem: revoked"
req GET /crl/sub.crl
cp "$T/body" "$T/crl-b.der"
n_b=$(crl_number "$T/crl-b.der")
[ $((16#${n_b#0x})) -gt $((16#${n_a#0x})) ] && ok "CRL number increased after the revocation ($n_a -> $n_b)" || fail "CRL number $n_a -> $n_b"
expect 0 "openssl crl -verify of the new CRL" -- openssl crl -inform DER -in "$T/crl-b.der" -CAfile "$T/chain.pem" -noout -verify
contains "new CRL: verify OK" "verify OK"
expect 0 "the new CRL lists the revoked final with its reason" -- \
  sh -c "openssl crl -inform DER -in '$T/crl-b.der' -noout -text | grep -A6 -i 'Serial Number: ${s1#00}' | grep -q 'Key Compromise'"
openssl crl -inform DER -in "$T/crl-b.der" -out "$T/crl-b.pem"
expect 2 "openssl verify -crl_check: the final is revoked" -- \
  openssl verify -crl_check -attime "$AT" -CAfile "$ROOT" -untrusted "$SUB" -CRLfile "$T/crl-b.pem" "$T/f1.pem"
contains "openssl says revoked" "certificate revoked"
req GET "/api/v1/certificates/sub/$s1"
is "lookup after revocation: state, ocsp_status, reason" "$(jq -r '[.state, .ocsp_status, .revoked.reason, .revoked.at] | @tsv' <<<"$body")" "$(printf 'final\trevoked\tkeyCompromise\t%s' "$NOW")"
cmp -s <(jq -r .certificate <<<"$body") "$T/f1.pem" && ok "lookup returns the final certificate" || fail "lookup certificate differs"
jpost /api/v1/revoke "$(jq -nc --arg s "$s1" '{issuer: "sub", serial: $s}')"
want_err "revoking twice" 409 exists "already revoked"
jpost /api/v1/revoke '{"issuer": "sub", "serial": "0a0b0c0d"}'
want_err "revoking a serial never issued" 404 not-found
jpost /api/v1/revoke "$(jq -nc --arg s "$s2" '{issuer: "sub", serial: $s, reason: "certificateHold"}')"
want_err "certificateHold is refused (BR 7.2.2)" 400 input

# ---------------------------------------------------------------- POST /api/v1/certificates: the server's CT client
# certs_json FILE DNS [jq additions]
certs_json() {
  jq -n --rawfile csr "$T/leaf.csr" --arg d "$2" --argjson l "$ALL_LOGS" \
    "{issuer: \"sub\", csr: \$csr, dns: [\$d], logs: \$l} ${3:+| . + $3}" >"$1"
}
# issue_certs NAME DNS [jq additions]: POST /api/v1/certificates; on 201 the
# final in $T/<DNS>.pem and the precert in $T/<DNS>-pre.pem.
issue_certs() {
  certs_json "$T/c.json" "$2" "${3:-}"
  jpostf /api/v1/certificates "$T/c.json" "${@:4}"
  if [ "$code" = 201 ]; then
    jq -r .certificate <<<"$body" >"$T/$2.pem"
    jq -r .precert <<<"$body" >"$T/$2-pre.pem"
    assigned "$(jq -r .serial <<<"$body")"
    finished "$(jq -r .serial <<<"$body")"
  else
    # The precert stays issued; the error names it.
    local s
    s=$(jq -r .error.message <<<"$body" | sed -n 's/^precertificate \([0-9a-f]*\) was issued.*/\1/p')
    [ -n "$s" ] && assigned "$s"
  fi
}
issue_certs "3 logs" auto.example.com
want_code "POST /api/v1/certificates with 3 logs" 201
is "3 SCTs for 199 days (CONFORMANCE §11)" "$(jq '.scts | length' <<<"$body")" 3
c1=$(jq -r .serial <<<"$body")
expect 0 "hsmca verify: OpenSSL validates all 3 SCTs of an API final" -- \
  h verify --precert "$T/auto.example.com-pre.pem" --final "$T/auto.example.com.pem" --issuer-cert "$SUB" --root "$ROOT" \
  --log-key "$T/log1.pub" --log-key "$T/log2.pub" --log-key "$T/log3.pub"
contains "OpenSSL: 3 of 3" "OpenSSL CT validation: 3 of 3 embedded SCTs valid"
expect 0 "python: ct_check.py on the API final" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$SUB" --log-key "$T/log1.pub" --log-key "$T/log2.pub" --log-key "$T/log3.pub" \
  "$T/auto.example.com-pre.pem" "$T/auto.example.com.pem"
# python3-cryptography reads the SCT list extension: one precert-entry SCT
# per log, timestamps = --now.
cat >"$T/scts.py" <<'EOF'
import base64, hashlib, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID
c = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
e = c.extensions.get_extension_for_oid(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS)
assert not e.critical
ids = set()
for s in e.value:
    assert s.version == x509.certificate_transparency.Version.v1
    assert s.entry_type == x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE
    assert int(s.timestamp.timestamp()) == int(sys.argv[2]), s.timestamp
    ids.add(s.log_id)
want = set()
for f in sys.argv[3:]:
    k = serialization.load_pem_public_key(open(f, 'rb').read())
    want.add(hashlib.sha256(k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest())
assert ids == want and len(e.value) == len(want), (ids, want)
print("ok")
EOF
expect 0 "python: the SCT list has one precert SCT from each of the 3 logs" -- $py "$T/scts.py" "$T/auto.example.com.pem" "$AT" "$T/log1.pub" "$T/log2.pub" "$T/log3.pub"
expect 0 "openssl verify the API final" -- openssl verify -x509_strict -attime "$AT" -CAfile "$T/root-dl.pem" -untrusted "$T/sub-dl.pem" "$T/auto.example.com.pem"
req GET "/api/v1/certificates/sub/$c1"
is "lookup: final, good" "$(jq -r '[.state, .ocsp_status] | @tsv' <<<"$body")" "$(printf 'final\tgood')"
expect 0 "openssl ocsp: the API final is good" -- ocsp_url -cert "$T/auto.example.com.pem"
contains "API final: good" "$T/auto.example.com.pem: good"

# ---------------------------------------------------------------- the CLI's CT client: hsmca issue cert
serials() { sqlite3 "$db" "SELECT count(*) FROM serials"; }
keys=(--log-key "$T/log1.pub" --log-key "$T/log2.pub" --log-key "$T/log3.pub")
expect 0 "hsmca issue cert: precert, SCTs from the 3 test logs over HTTP, final" -- \
  h issue cert --issuer sub --csr "$T/leaf.csr" --dns cli.example.com \
  --log "$LOG1" --log "$LOG2" --log "$LOG3" "${keys[@]}" --out "$T/cli.pem" --precert-out "$T/cli-pre.pem"
contains "issue cert: 3 SCTs" "final certificate issued with 3 SCTs"
cli_serial=$(sed -n 's/^final certificate issued with 3 SCTs, serial: //p' <<<"$out")
assigned "$cli_serial"
finished "$cli_serial"
expect 0 "openssl verify the issue cert final" -- openssl verify -x509_strict -attime "$AT" -CAfile "$ROOT" -untrusted "$SUB" "$T/cli.pem"
expect 0 "hsmca verify: OpenSSL validates the issue cert final's SCTs" -- \
  h verify --precert "$T/cli-pre.pem" --final "$T/cli.pem" --issuer-cert "$SUB" --root "$ROOT" "${keys[@]}"
contains "issue cert: OpenSSL 3 of 3" "OpenSSL CT validation: 3 of 3 embedded SCTs valid"
# Refused before a serial is used: a policy that cannot be met, a bad URL,
# and (API) a log URL that is not one of the server's.
before=$(serials)
expect 2 "issue cert: more operators than SCTs" -- h issue cert --issuer sub --csr "$T/leaf.csr" --dns x.example.com \
  --log "$LOG1" --log "$LOG2" --min-scts 2 --min-operators 3 "${keys[@]}" --out "$T/never1.pem"
contains "issue cert: says why" "3 operators cannot be met with 2 SCTs"
expect 2 "issue cert: a log URL that is not http(s)" -- h issue cert --issuer sub --csr "$T/leaf.csr" --dns x.example.com \
  --log ftp://127.0.0.1/ct/log1 --log "$LOG2" "${keys[@]}" --out "$T/never2.pem"
contains "issue cert: names the URL" "ftp://127.0.0.1/ct/log1"
certs_json "$T/c.json" x.example.com '{logs: ["http://192.0.2.1/ct/x", "http://192.0.2.1/ct/y"]}'
jpostf /api/v1/certificates "$T/c.json"
want_err "API: a log URL not allowed" 400 input "not one of this server's test logs"
is "nothing issued by the refused requests" "$(serials)" "$before"
[ ! -e "$T/never1.pem" ] && [ ! -e "$T/never2.pem" ] && ok "no output file from the refused requests" || fail "a refused issue cert wrote its output"

# ---------------------------------------------------------------- test log knobs
knobs() { jq -c '[.reject, .delay_ms, .fail_fraction, .wrong_key]' <<<"$body"; }
put_knobs() { local l=$1 j=$2; shift 2; req PUT "/api/v1/ct-logs/$l" -H 'Content-Type: application/json' --data-binary "$j" "$@"; }
req GET /api/v1/ct-logs/log3
is "GET ct-logs/log3: name, operator, default knobs" "$(jq -c '[.name, .operator, .reject, .delay_ms, .fail_fraction, .wrong_key]' <<<"$body")" '["log3","OP3",false,0,0,false]'

# reject: skipped, named in the error; the precert stays issued.
put_knobs log3 '{"reject": true}'
is "PUT reject" "$code $(knobs)" '200 [true,0,0,false]'
req GET /api/v1/ct-logs/log3
is "GET shows reject" "$(knobs)" '[true,0,0,false]'
issue_certs "reject" reject.example.com
want_err "a rejecting log leaves 2 of the 3 SCTs needed" 409 state "was issued, but no final certificate"
msg=$(jq -r .error.message <<<"$body")
grep -qF "$LOG3" <<<"$msg" && grep -qF "knob reject" <<<"$msg" && ok "the error names the rejecting log and why" || fail "reject error" "$msg"
rs=$(sed -n 's/^precertificate \([0-9a-f]*\) was issued.*/\1/p' <<<"$msg")
[ -n "$rs" ] && ok "the error names the precert serial ($rs)" || fail "no serial in the error" "$msg"
req GET "/api/v1/certificates/sub/$rs"
is "that precert is issued and answered good" "$(jq -r '[.state, .ocsp_status] | @tsv' <<<"$body")" "$(printf 'precert\tgood')"
# ... and can be finished with /api/v1/final (docs/serve.md).
jq -r .precert <<<"$body" >"$T/rs.pem"
req POST /ct/log1/ct/v1/add-pre-chain -H 'Content-Type: application/json' \
  --data-binary "$(jq -nc --arg a "$(b64der "$T/rs.pem")" --arg b "$(b64der "$SUB")" '{chain: [$a, $b]}')"
jpost /api/v1/final "$(jq -n --arg s "$rs" --argjson a "$body" '{issuer: "sub", serial: $s, scts: [$a]}')"
want_code "the named precert is finished with /api/v1/final" 201
finished "$rs"
req POST /ct/log3/ct/v1/add-pre-chain -H 'Content-Type: application/json' --data-binary "@$T/p1-chain.json"
want_code "a rejecting log answers add-pre-chain 400" 400
issue_certs "min_scts 2" min2.example.com '{min_scts: 2}'
want_code "min_scts 2 with the rejecting log" 201
is "2 SCTs (log1, log2)" "$(jq -c '[.scts[].id]' <<<"$body")" "$(jq -nc --arg a "$(logid_b64 "$T/log1.pub")" --arg b "$(logid_b64 "$T/log2.pub")" '[$a, $b]')"

# wrong_key: the SCT claims log3's id but does not verify; skipped and named.
put_knobs log3 '{"reject": false, "wrong_key": true}'
is "PUT wrong_key (reject back off)" "$code $(knobs)" '200 [false,0,0,true]'
req POST /ct/log3/ct/v1/add-pre-chain -H 'Content-Type: application/json' --data-binary "@$T/p1-chain.json"
is "wrong-key SCT carries log3's id" "$code $(jq -r .id <<<"$body")" "200 $(logid_b64 "$T/log3.pub")"
precert_json "$T/wk.json" wrong-key.example.com
jpostf /api/v1/precert "$T/wk.json"
ws=$(jq -r .serial <<<"$body")
jq -r .precert <<<"$body" >"$T/wk.pem"
assigned "$ws"
req POST /ct/log3/ct/v1/add-pre-chain -H 'Content-Type: application/json' \
  --data-binary "$(jq -nc --arg a "$(b64der "$T/wk.pem")" --arg b "$(b64der "$SUB")" '{chain: [$a, $b]}')"
jpost /api/v1/final "$(jq -n --arg s "$ws" --argjson a "$body" '{issuer: "sub", serial: $s, scts: [$a]}')"
want_err "/api/v1/final refuses the wrong-key SCT" 422 verify
issue_certs "wrong key" wrongkey2.example.com
want_err "a wrong-key log leaves 2 of 3" 409 state "was issued"
msg=$(jq -r .error.message <<<"$body")
grep -qF "$LOG3" <<<"$msg" && grep -qF "does not verify" <<<"$msg" && ok "the error names the wrong-key log and why" || fail "wrong-key error" "$msg"

# fail_fraction: deterministic 503s (every second call from the second);
# the client retries 5xx.
put_knobs log3 '{"wrong_key": false, "fail_fraction": 0.5}'
is "PUT fail_fraction 0.5" "$code $(knobs)" '200 [false,0,0.5,false]'
seq_codes=
for _ in 1 2 3 4; do
  req POST /ct/log3/ct/v1/add-pre-chain -H 'Content-Type: application/json' --data-binary "@$T/p1-chain.json"
  seq_codes="$seq_codes $code"
done
is "fail_fraction 0.5: calls answer 200 503 200 503" "$seq_codes" " 200 503 200 503"
put_knobs log3 '{"fail_fraction": 0.5}'   # restarts the count
issue_certs "fail_fraction, first" ff1.example.com
want_code "fail_fraction 0.5: first issuance (log3's call 1 succeeds)" 201
issue_certs "fail_fraction, second" ff2.example.com
want_code "fail_fraction 0.5: second issuance (log3's call 2 fails, the retry succeeds)" 201
is "...with 3 SCTs" "$(jq '.scts | length' <<<"$body")" 3
grep -F "CT log $LOG3, attempt 1: HTTP 503" "$srv_log" | grep -qF "retrying in 250 ms" \
  && ok "the client retried log3 after its 250 ms backoff (server log)" \
  || fail "no retry with backoff in the server log" "$(grep -F "$LOG3" "$srv_log" | tail -5)"
put_knobs log3 '{"fail_fraction": 1}'
issue_certs "fail_fraction 1" ff3.example.com
want_err "a log that always fails" 409 state "was issued"
msg=$(jq -r .error.message <<<"$body")
grep -qF "after 3 attempts: HTTP 503" <<<"$msg" && grep -qF "$LOG3" <<<"$msg" && ok "the always-failing log was tried 3 times and is named" || fail "fail error" "$msg"

# delay_ms: slow, still used.
put_knobs log3 '{"fail_fraction": 0, "delay_ms": 600}'
is "PUT delay_ms" "$code $(knobs)" '200 [false,600,0,false]'
issue_certs "delay" slow.example.com
want_code "a delayed log still works" 201
is "...with 3 SCTs" "$(jq '.scts | length' <<<"$body")" 3
grep -qF "test log 'log3': answering add-pre-chain after 600 ms (knob delay_ms)" "$srv_log" \
  && ok "log3 applied its delay (server log)" || fail "no delay in the server log" "$(grep -F log3 "$srv_log" | tail -5)"

# Back to defaults; bad knob values change nothing.
put_knobs log3 '{"reject": false, "delay_ms": 0, "fail_fraction": 0, "wrong_key": false}'
is "PUT defaults" "$code $(knobs)" '200 [false,0,0,false]'
put_knobs log3 '{"fail_fraction": 2}'
want_err "fail_fraction 2" 400 input
put_knobs log3 '{"delay_ms": -1}'
want_err "delay_ms -1" 400 input
put_knobs log3 '{"reject": "yes"}'
want_err "reject as a string" 400 input
put_knobs log3 '{"colour": 1}'
want_err "an unknown knob" 400 input "unknown member"
put_knobs nolog '{"reject": true}'
want_err "PUT an unknown log" 404 not-found
req GET /api/v1/ct-logs/log3
is "knobs unchanged by the bad PUTs" "$(knobs)" '[false,0,0,false]'
issue_certs "defaults again" back.example.com
want_code "issuance with the logs back to defaults" 201

# ---------------------------------------------------------------- bad input
# raw_http FORMAT [SECONDS]: send printf-format bytes on a new connection;
# the first answer line in $rawline, and rawclosed=1 when the server closed
# the connection within SECONDS (default 5), 0 when it was still open.
raw_http() {
  rawline=
  rawclosed=0
  exec 3<>"/dev/tcp/127.0.0.1/$port" || { rawline="connect failed"; return; }
  printf "$1" >&3
  timeout "${2:-5}" cat <&3 >"$T/raw" && rawclosed=1
  rawline=$(head -n1 "$T/raw" | tr -d '\r')
  exec 3<&- 3>&-
}
raw_http 'GARBAGE\r\n\r\n'
is "raw garbage: closed without an answer" "$rawclosed:$rawline" "1:"
raw_http '\x01\x02\xff\xfe\x16\x03\x01\r\n\r\n'
is "binary junk: closed without an answer" "$rawclosed:$rawline" "1:"
raw_http 'GET\r\n\r\n'
is "a request line without a path: closed" "$rawclosed:$rawline" "1:"
raw_http 'GET / \r\n\r\n'
is "a request line without a version: 400" "$rawclosed:$rawline" "1:HTTP/1.1 400 Bad Request"
raw_http 'GET /healthz HTTP/9.9\r\n\r\n'
is "unknown HTTP version: 505" "$rawclosed:$rawline" "1:HTTP/1.1 505 HTTP Version Not Supported"
raw_http 'POST /ocsp/sub HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'
is "negative Content-Length: 400" "$rawclosed:$rawline" "1:HTTP/1.1 400 Bad Request"
raw_http 'POST /ocsp/sub HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/ocsp-request\r\n\r\nzz\r\n'
is "bad chunked encoding: 400" "$rawclosed:$rawline" "1:HTTP/1.1 400 Bad Request"
raw_http 'GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'
is "a header line without a colon: 400" "$rawclosed:$rawline" "1:HTTP/1.1 400 Bad Request"
# A TLS ClientHello (no line end) is left to the idle timeout; meanwhile
# the server serves others.
exec 4<>"/dev/tcp/127.0.0.1/$port"
printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' >&4
healthy "a half-open TLS hello does not block other clients"
exec 4<&- 4>&-
healthy "the server keeps serving after malformed HTTP"

# ocsp_error NAME WANT: the last answer is an unsigned OCSP error WANT.
ocsp_error() {
  if [ "$code" = 200 ] && [ "$(hdr Content-Type)" = application/ocsp-response ] &&
     openssl ocsp -respin "$T/body" -resp_text -noverify 2>&1 | grep -q "Responder Error: $2"; then
    ok "$1 -> OCSP $2"
  else
    fail "$1: HTTP $code, wanted an OCSP $2" "$(openssl ocsp -respin "$T/body" -resp_text -noverify 2>&1 | head -3)"
  fi
}
req GET '/ocsp/sub/%25%25not-base64!!'
ocsp_error "GET with bad base64" malformedrequest
req GET '/ocsp/sub/MFEw'
ocsp_error "GET with base64 of no request" malformedrequest
req POST /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary 'this is not DER'
ocsp_error "POST of bad DER" malformedrequest
head -c 60 "$T/q-f1.der" >"$T/q-cut.der"
req POST /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary "@$T/q-cut.der"
ocsp_error "POST of a truncated request" malformedrequest
req POST /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary ''
ocsp_error "POST of an empty body" malformedrequest
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big"
req POST /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary "@$T/big"
want_code "OCSP POST over 1 MiB" 413
head -c 70000 /dev/zero >"$T/70k"
req POST /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary "@$T/70k"
want_code "OCSP POST over 64 KiB" 413
req POST /api/v1/precert -H 'Content-Type: application/json' --data-binary "@$T/big"
want_err "API body over 1 MiB" 413 too-large
req PUT /ocsp/sub -H 'Content-Type: application/ocsp-request' --data-binary "@$T/q-f1.der"
want_code "PUT /ocsp/sub" 405
is "405 Allow for OCSP" "$(hdr Allow)" "GET, POST"
req DELETE /api/v1/precert
want_err "DELETE /api/v1/precert" 405 method
req GET /api/v1/precert
want_err "GET /api/v1/precert" 405 method
req POST /ocsp/sub -H 'Content-Type: text/plain' --data-binary "@$T/q-f1.der"
want_code "OCSP POST as text/plain" 415
req POST /api/v1/precert -H 'Content-Type: text/plain' --data-binary "@$T/p1.json"
want_err "API POST as text/plain" 415 media-type
req POST /api/v1/precert -H 'Content-Type:' --data-binary "@$T/p1.json"
want_err "API POST without a Content-Type" 415 media-type
jpost /api/v1/precert "$(jq -c '.issuer = "nope"' "$T/p1.json")"
want_err "unknown issuer in JSON" 404 not-found "'nope'"
req GET /no/such/path
want_code "unknown path" 404
jpost /api/v1/nothing '{}'
want_err "unknown API call" 404 not-found
req GET /api/v2/precert
want_err "unknown API version" 404 not-found
jpost /api/v1/precert 'not json'
want_err "API body not JSON" 400 input "not JSON"
jpost /api/v1/precert '[1, 2]'
want_err "API body a JSON array" 400 input "not a JSON object"
jpost /api/v1/precert '{"issuer": "sub", "issuer": "sub"}'
want_err "API body with a duplicate member" 400 input
jpost /api/v1/precert "$(jq -c '. + {colour: "blue"}' "$T/p1.json")"
want_err "unknown member" 400 input 'unknown member "colour"'
jpost /api/v1/precert "$(jq -c 'del(.issuer)' "$T/p1.json")"
want_err "missing member" 400 input 'member "issuer" is required'
jpost /api/v1/precert "$(jq -c '.dns = []' "$T/p1.json")"
want_err "no names" 400 input "at least one name"
jpost /api/v1/precert "$(jq -c '.csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"' "$T/p1.json")"
want_err "a CSR that is not one" 400 input
jpost /api/v1/precert "$(jq -c '.dns = ["printer.local"]' "$T/p1.json")"
want_err "an internal name (lint refuses before signing)" 422 verify "printer.local"
jpost /api/v1/certificates "$(jq -c '. + {logs: []}' "$T/p1.json")"
want_err "/certificates without logs" 400 input
jpost /api/v1/certificates "$(jq -c --argjson l "$ALL_LOGS" '. + {logs: $l, min_scts: 0}' "$T/p1.json")"
want_err "/certificates with min_scts 0" 400 input
jpost /api/v1/final '{"issuer": "sub", "serial": "zz", "scts": ["AAAA"]}'
want_err "final with a non-hex serial" 400 input
req GET /api/v1/certificates/sub/0102030405
want_err "lookup of a serial never issued" 404 not-found "0102030405"
req GET /api/v1/certificates/nope/0102030405
want_err "lookup under an unknown issuer" 404 not-found
req GET /api/v1/certificates/sub/xyz
want_err "lookup with a bad serial" 400 input
healthy "the server keeps serving after the bad requests"
expect 0 "and still answers OCSP" -- ocsp_url -cert "$T/p2.pem"
contains "still good" "$T/p2.pem: good"

# ---------------------------------------------------------------- concurrency (bounded)
nc=8
each=$((25 * scale))
mkdir -p "$T/load"
before=$(counts sub)
expect 0 "$nc clients x $each API precertificates at once" -- \
  $py "$client" precerts "$B" sub "$T/leaf.csr" "$nc" "$each" "$T/load"
grep -E '^[0-9a-f]+$' <<<"$out" >"$T/load.serials"
cat "$T/load.serials" >>"$T/assigned"
n=$(sort -u "$T/load.serials" | wc -l)
is "all $((nc * each)) serials distinct" "$n" "$((nc * each))"
read -r _ pa _ <<<"$before"
read -r ra pb _ <<<"$(counts sub)"
is "store: exactly $((nc * each)) more precerts, nothing reserved" "$((pb - pa)) $ra" "$((nc * each)) 0"
sqlite3 "$db" "select lower(hex(serial)) from serials where state = 'precert'" | sort >"$T/db-precert"
if [ -z "$(comm -23 <(sort -u "$T/load.serials") "$T/db-precert")" ]; then ok "sqlite3: every returned serial is a precert row"; else fail "serials missing in the store"; fi
vout=$(openssl verify -ignore_critical -attime "$AT" -CAfile "$ROOT" -untrusted "$SUB" "$T"/load/*.pem 2>&1)
is "openssl verify: every concurrent precert is valid" "$(grep -c ': OK$' <<<"$vout")" "$((nc * each))"
# OCSP load on the same serial set: some good, two revoked, one unknown.
mapfile -t lsr < <(head -n 6 "$T/load.serials")
specs=()
for s in "${lsr[@]:0:4}"; do
  openssl ocsp -issuer "$SUB" -cert "$T/load/$s.pem" -no_nonce -reqout "$T/load/$s.req" >/dev/null 2>&1
  specs+=("$T/load/$s.req=good")
done
for s in "${lsr[@]:4:2}"; do
  jpost /api/v1/revoke "$(jq -nc --arg s "$s" '{issuer: "sub", serial: $s, reason: "cessationOfOperation"}')"
  want_code "revoke $s for the OCSP load" 200
  openssl ocsp -issuer "$SUB" -cert "$T/load/$s.pem" -no_nonce -reqout "$T/load/$s.req" >/dev/null 2>&1
  specs+=("$T/load/$s.req=revoked")
done
openssl ocsp -issuer "$SUB" -serial "$unknown" -no_nonce -reqout "$T/load/unknown.req" >/dev/null 2>&1
specs+=("$T/load/unknown.req=unknown")
sleep 1   # the store watcher's invalidations for the burst above are done (it ticks every 0.5 s)
# One request each first: the cache is filled before the load, so the
# count below is not about how many clients missed it at the same moment
# (each of those signs; that race is not what this checks).
for spec in "${specs[@]}"; do
  curl -s -m 10 -X POST -H 'Content-Type: application/ocsp-request' --data-binary "@${spec%=*}" \
    -o /dev/null "$B/ocsp/sub"
done
no=$((200 * scale))
expect 0 "$nc clients x $no OCSP POSTs (python urllib), every answer verified" -- \
  $py "$client" ocsp "$B/ocsp/sub" "$RESP" "$nc" "$no" "${specs[@]}"
contains "all $((nc * no)) verified" "verified $((nc * no)) of $((nc * no))"
d=$(sed -n 's/.*at most \([0-9]*\) distinct.*/\1/p' <<<"$out")
[ -n "$d" ] && [ "$d" -le 2 ] && ok "answered from the pre-signed cache ($d distinct answer(s) per request)" || fail "too many distinct answers: $d" "$out"
healthy "the server is fine after the load"

# ---------------------------------------------------------------- graceful shutdown
kill -TERM "$srv_pid"
for _ in $(seq 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$srv_pid" 2>/dev/null; then
  fail "SIGTERM: still running after 10 s"
  stop_server
else
  wait "$srv_pid"
  srv_rc=$?
  srv_pid=
  is "SIGTERM: exit status 0 within 10 s" "$srv_rc" 0
fi
grep -q '^hsmca serve: stopped$' "$srv_log" && ok "SIGTERM: prints stopped" || fail "no 'stopped'" "$(tail -5 "$srv_log")"
sanitizer_clean "no sanitizer report from the first server"
curl -s -m 2 "$B/healthz" >/dev/null && fail "still answering after SIGTERM" || ok "nothing listens after SIGTERM"
# store_consistent NAME: integrity, and the store holds exactly what the API
# said it issued.
store_consistent() {
  local want_assigned want_final
  expect 0 "$1: sqlite3 integrity_check" -- sh -c "sqlite3 '$db' 'PRAGMA integrity_check' | grep -qx ok"
  want_assigned=$(sort -u "$T/assigned" | wc -l)
  want_final=$(sort -u "$T/finished" | wc -l)
  is "$1: issuer list counts = what the API issued" "$(counts sub)" "0 $((want_assigned - want_final)) $want_final"
  if cmp -s <(sort -u "$T/assigned") <(sqlite3 "$db" "select lower(hex(serial)) from serials" | sort); then
    ok "$1: sqlite3 holds exactly the serials the API returned"
  else
    fail "$1: serial sets differ" "$(diff <(sort -u "$T/assigned") <(sqlite3 "$db" "select lower(hex(serial)) from serials" | sort) | head)"
  fi
  if cmp -s <(sort -u "$T/finished") <(sqlite3 "$db" "select lower(hex(serial)) from serials where state = 'final'" | sort); then
    ok "$1: sqlite3's finals are exactly the API's"
  else
    fail "$1: final sets differ"
  fi
}
store_consistent "after SIGTERM"

# ---------------------------------------------------------------- API token
printf 'tok-%s\n' "$(openssl rand -hex 16)" >"$T/token"
chmod 600 "$T/token"
tok=$(head -n1 "$T/token")
# log3 now shares log2's operator: SCTs from the two are one operator.
start_server "$T/serve2.log" --ct-log "log1=$T/log1.key,operator=OP1" --ct-log "log2=$T/log2.key,operator=OP2" \
  --ct-log "log3=$T/log3.key,operator=OP2" --ct-root "$ROOT" --api-token-file "$T/token"
grep -qF "$tok" "$srv_log" && fail "the token is in the server's output" || ok "the token is not in the server's output"
# After a restart the CRL is current: it lists every revocation, including
# those after the last CRL the first server signed (the load's two).
req GET /crl/sub.crl
want_code "GET /crl/sub.crl after the restart" 200
openssl crl -inform DER -in "$T/body" -noout -text >"$T/crl-c.txt"
missing=
for s in $(sqlite3 "$db" "select lower(hex(serial)) from revocations"); do
  # openssl prints the INTEGER's value: no leading 00 octet
  grep -qi "Serial Number: ${s#00}" "$T/crl-c.txt" || missing="$missing $s"
done
is "the CRL after the restart lists every revoked serial in the store" "${missing:-none}" none
expect 0 "openssl crl -verify after the restart" -- openssl crl -inform DER -in "$T/body" -CAfile "$T/chain.pem" -noout -verify
contains "CRL after the restart: verify OK" "verify OK"
precert_json "$T/t.json" token.example.com
jpostf /api/v1/precert "$T/t.json"
want_err "POST without Authorization" 401 unauthorized
is "401 asks for a bearer token" "$(hdr WWW-Authenticate)" 'Bearer realm="hsmca"'
unauth='{"error":{"code":"unauthorized","message":"this call needs Authorization: Bearer <token>"}}'
is "401 body is exactly its JSON, nothing after it" "$(wc -c <"$T/body") $body" "${#unauth} $unauth"
jpostf /api/v1/precert "$T/t.json" -H "Authorization: Bearer wrong-$tok"
want_err "POST with a wrong token" 401 unauthorized
jpostf /api/v1/precert "$T/t.json" -H "Authorization: Bearer ${tok}x"
want_err "POST with the token plus a byte" 401 unauthorized
jpostf /api/v1/precert "$T/t.json" -H "Authorization: Bearer ${tok%?}"
want_err "POST with the token minus a byte" 401 unauthorized
jpostf /api/v1/precert "$T/t.json" -H "Authorization: Basic $tok"
want_err "POST with another scheme" 401 unauthorized
jpostf /api/v1/precert "$T/t.json" -H "Authorization: Bearer $tok"
want_code "POST with the right bearer token" 201
ts=$(jq -r .serial <<<"$body")
assigned "$ts"
put_knobs log1 '{"delay_ms": 1}'
want_err "PUT a knob without the token" 401 unauthorized
req GET "/api/v1/certificates/sub/$ts"
is "GET lookup stays open" "$code $(jq -r .state <<<"$body")" "200 precert"
req GET /api/v1/ct-logs/log1
want_code "GET ct-logs stays open" 200
req POST /ct/log1/ct/v1/add-pre-chain -H 'Content-Type: application/json' --data-binary "@$T/p1-chain.json"
want_code "the test logs need no token" 200
expect 0 "OCSP needs no token" -- ocsp_url -cert "$T/p2.pem"
contains "OCSP with a token server: good" "$T/p2.pem: good"

# Operator diversity (CONFORMANCE §11: at least 2 operators).
auth=(-H "Authorization: Bearer $tok")
ALL_LOGS=$(jq -nc --arg b "$LOG2" --arg c "$LOG3" '[$b, $c]')
issue_certs "one operator" one-op.example.com '{min_scts: 2}' "${auth[@]}"
want_err "2 SCTs from logs of one operator" 409 state "only 2 verified SCTs from 1 operator"
ALL_LOGS=$(jq -nc --arg b "$LOG2" --arg c "$LOG3" --arg a "$LOG1" '[$b, $c, $a]')
issue_certs "a second operator" two-op.example.com '{min_scts: 2}' "${auth[@]}"
want_code "a third log of another operator completes the policy" 201
is "...3 SCTs, the last from OP1's log" "$(jq -r '[(.scts | length), .scts[2].id] | @tsv' <<<"$body")" "$(printf '3\t%s' "$(logid_b64 "$T/log1.pub")")"
issue_certs "min_operators 1" min-op1.example.com '{min_scts: 2, min_operators: 1}' "${auth[@]}"
want_code "min_operators 1 accepts one operator" 201

# Graceful shutdown with a request in flight: it is answered, then the
# server exits 0.
put_knobs log1 '{"delay_ms": 2000}' -H "Authorization: Bearer $tok"
is "PUT with the token" "$code $(knobs)" '200 [false,2000,0,false]'
jq -n --rawfile csr "$T/leaf.csr" --arg l "$LOG1" '{issuer: "sub", csr: $csr, dns: ["inflight.example.com"], logs: [$l], min_scts: 1, min_operators: 1}' >"$T/inflight.json"
n0=$(sqlite3 "$db" "select count(*) from serials")
curl -s -m 30 -o "$T/inflight.out" -w '%{http_code}' -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" \
  --data-binary "@$T/inflight.json" "$B/api/v1/certificates" >"$T/inflight.code" 2>&1 &
curl_pid=$!
# SIGTERM once its precert is in the store (it then waits ~2 s for log1).
for _ in $(seq 100); do [ "$(sqlite3 "$db" "select count(*) from serials")" -gt "$n0" ] && break; sleep 0.1; done
sleep 0.5
kill -TERM "$srv_pid"
for _ in $(seq 150); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$srv_pid" 2>/dev/null; then
  fail "SIGTERM with a request in flight: still running after 15 s"
  stop_server
else
  wait "$srv_pid"
  srv_rc=$?
  srv_pid=
  is "SIGTERM with a request in flight: exit 0" "$srv_rc" 0
fi
wait "$curl_pid"
is "the request in flight was answered (201), not cut off" "$(cat "$T/inflight.code")" 201
if [ "$(cat "$T/inflight.code")" = 201 ]; then
  assigned "$(jq -r .serial "$T/inflight.out")"
  finished "$(jq -r .serial "$T/inflight.out")"
else
  sqlite3 "$db" "select lower(hex(serial)) from serials" | sort | comm -13 <(sort -u "$T/assigned") - >>"$T/assigned"
  sqlite3 "$db" "select lower(hex(serial)) from serials where state = 'final'" >"$T/finished"
fi
grep -q '^hsmca serve: stopped$' "$srv_log" && ok "second server prints stopped" || fail "no 'stopped'" "$(tail -5 "$srv_log")"
sanitizer_clean "no sanitizer report from the second server"
store_consistent "after the second SIGTERM"

finish
