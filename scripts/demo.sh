#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build, then
# create rehearsal SoftHSM tokens in a state directory this script owns and
# run the rehearsal key ceremony in them (root, subordinate, OCSP responder,
# root CRL, transcript), then issue a precertificate, get SCTs from two test
# logs and issue the final certificate, revoke it and sign OCSP answers and a
# CRL; then run `hsmca serve` in the background and do the same over HTTP
# (the issuance API, test CT logs, OCSP, CRL, AIA), stopping it at the end.
# openssl, certtool, verify-transcript and hsmca verify (OpenSSL's CT
# validation) check what it made.
#
#   scripts/demo.sh [STATE_DIR]      default: .state/demo in the repository
#
# The state directory is recreated on each run (only if it holds the marker
# file this script leaves there, so it never deletes a directory it did not
# make).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/deps.sh
scripts/build.sh "$root/build"
hsmca=$root/build/hsmca

state=${1:-$root/.state/demo}
marker=.hsmca-demo-state
if [ -e "$state" ]; then
  if [ -f "$state/$marker" ]; then
    rm -rf "$state"
  else
    echo "demo: $state exists and was not made by this script; choose another directory" >&2
    exit 1
  fi
fi
mkdir -p "$state"
touch "$state/$marker"
state=$(cd "$state" && pwd)

echo
echo "== rehearsal tokens"
HSMCA_BIN=$hsmca hsm/make-tokens.sh "$state/hsm"
export SOFTHSM2_CONF=$state/hsm/softhsm2.conf
pins=$state/hsm/pins
root_tok=hsmca-offline-root
online_tok=hsmca-online-issuing

echo
echo "== rehearsal key ceremony (hsm/ceremonies/rehearsal.yaml)"
export HSMCA_HSM_DIR=$state/hsm
out=$state/ceremony
"$hsmca" ceremony run hsm/ceremonies/rehearsal.yaml --hsm hsm/ceremonies/softhsm.hsm.yaml --out "$out" \
  | tee "$state/ceremony.log"
head=$(sed -n 's/^transcript head: //p' "$state/ceremony.log")

echo
"$hsmca" hsm tokens
for tok in $root_tok $online_tok; do
  echo
  "$hsmca" hsm keys --token $tok --pin-file "$pins/$tok.user.pin"
done

echo
echo "== independent checks"
openssl verify -x509_strict -CAfile "$out/root.pem" -untrusted "$out/subordinate.pem" \
  "$out/subordinate.pem" "$out/ocsp-responder.pem"
cat "$out/ocsp-responder.pem" "$out/subordinate.pem" "$out/root.pem" \
  | certtool --verify-chain 2>/dev/null | grep -E '^Chain verification output'
printf 'root CRL: '
openssl crl -inform DER -in "$out/root.crl" -CAfile "$out/root.pem" -noout
"$hsmca" ceremony verify-transcript "$out/transcript.log" --files "$out" --head "$head"

echo
echo "== issuance: precertificate -> SCTs from two test logs -> final certificate"
export HSMCA_STATE=$state/ca
iss=$state/issued
mkdir -p "$iss"
"$hsmca" issuer add sub --cert "$out/subordinate.pem" --token $online_tok --key hsmca-issuing-key \
  --pin-file "$pins/$online_tok.user.pin" --base-url http://127.0.0.1:8080 \
  --ocsp-cert "$out/ocsp-responder.pem" --ocsp-key hsmca-ocsp-key
for l in log1 log2; do
  "$hsmca" ctlog keygen --out-key "$iss/$l.key" --out-pub "$iss/$l.pub" --operator "demo operator $l" \
    | sed "s/^/$l /"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$iss/leaf.key" 2>/dev/null
openssl req -new -key "$iss/leaf.key" -subj "/CN=www.example.com" -out "$iss/leaf.csr"
"$hsmca" issue precert --issuer sub --csr "$iss/leaf.csr" --dns www.example.com --dns example.com \
  --out "$iss/precert.pem"
for l in log1 log2; do
  "$hsmca" ctlog sct --key "$iss/$l.key" --precert "$iss/precert.pem" \
    --issuer-cert "$out/subordinate.pem" --out "$iss/$l.sct.json"
done
"$hsmca" issue final --issuer sub --precert "$iss/precert.pem" \
  --sct "$iss/log1.sct.json" --sct "$iss/log2.sct.json" \
  --log-key "$iss/log1.pub" --log-key "$iss/log2.pub" --out "$iss/final.pem"
"$hsmca" verify --precert "$iss/precert.pem" --final "$iss/final.pem" \
  --issuer-cert "$out/subordinate.pem" --root "$out/root.pem" \
  --log-key "$iss/log1.pub" --log-key "$iss/log2.pub"
openssl verify -CAfile "$out/root.pem" -untrusted "$out/subordinate.pem" "$iss/final.pem"
"$hsmca" issuer list

echo
echo "== revocation: OCSP answers before and after revoking, and the CRL"
# A second precertificate whose final is never issued: its serial is
# assigned all the same (MRSP 5.4), so OCSP must answer it good.
"$hsmca" issue precert --issuer sub --csr "$iss/leaf.csr" --dns only-a-precert.example.com \
  --out "$iss/precert-only.pem" >/dev/null
final_serial=$(openssl x509 -in "$iss/final.pem" -noout -serial | cut -d= -f2)
pre_serial=$(openssl x509 -in "$iss/precert-only.pem" -noout -serial | cut -d= -f2)
never_serial=0badc0ffee
ocsp_check() { # $1: what, $2: serial (hex) -- openssl builds the request and checks the answer
  openssl ocsp -issuer "$out/subordinate.pem" -serial "0x$2" -reqout "$iss/req.der" 2>/dev/null
  rm -f "$iss/resp.der"
  "$hsmca" ocsp respond --request "$iss/req.der" --out "$iss/resp.der" 2>/dev/null
  printf '%-30s ' "$1:"
  openssl ocsp -respin "$iss/resp.der" -issuer "$out/subordinate.pem" -serial "0x$2" \
    -VAfile "$out/ocsp-responder.pem" -no_nonce 2>/dev/null | sed -n "s/^0x$2: //p" | tr -d '\n'
  echo
}
ocsp_check "final certificate" "$final_serial"
ocsp_check "precertificate only" "$pre_serial"
ocsp_check "never issued" "$never_serial"
"$hsmca" revoke --issuer sub --serial "$final_serial" --reason keyCompromise
ocsp_check "final certificate, revoked" "$final_serial"
openssl ocsp -respin "$iss/resp.der" -resp_text -noverify 2>/dev/null | grep -E 'Revocation (Time|Reason)'
"$hsmca" crl --issuer sub --out "$iss/sub.crl"
cat "$out/subordinate.pem" "$out/root.pem" > "$iss/chain.pem"
openssl crl -inform DER -in "$iss/sub.crl" -CAfile "$iss/chain.pem" -noout -text 2>&1 \
  | grep -E 'verify OK|CRL Number|^ +[0-9]+$|Serial Number|Revocation Date|Key Compromise'

echo
echo "== hsmca serve: the same over HTTP (issuance API, three test CT logs, OCSP, CRL, AIA)"
py=/usr/bin/python3   # Debian's python3 (python3-cryptography is there too)
web=$state/web
mkdir -p "$web"
"$hsmca" ctlog keygen --out-key "$iss/log3.key" --out-pub "$iss/log3.pub" --operator "demo operator log3" \
  | sed "s/^/log3 /"
# The ceremony put http://127.0.0.1:8080 in the certificates' AIA and CRLDP;
# serve there unless that port is taken, then anywhere free.
port=8080
if ! "$py" -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",8080))' 2>/dev/null; then
  port=0
  echo "port 8080 is taken: serving on a free port (the certificates' URLs will not resolve)"
fi
"$hsmca" serve --listen "127.0.0.1:$port" --port-file "$web/port" \
  --ct-log "log1=$iss/log1.key,operator=demo operator log1" \
  --ct-log "log2=$iss/log2.key,operator=demo operator log2" \
  --ct-log "log3=$iss/log3.key,operator=demo operator log3" \
  --ct-root "$out/root.pem" --file "/ca/root.der=$out/root.pem" --file "/crl/root.crl=$out/root.crl" \
  >"$web/serve.log" 2>&1 &
serve_pid=$!
stop_serve() { kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true; }
trap stop_serve EXIT
for _ in $(seq 1 100); do [ -s "$web/port" ] && break; sleep 0.1; done
[ -s "$web/port" ] || { cat "$web/serve.log"; echo "demo: hsmca serve did not start" >&2; exit 1; }
base=http://127.0.0.1:$(cat "$web/port")
head -1 "$web/serve.log"
curl -fsS "$base/ca/root.der" -o "$web/root.der"
curl -fsS "$base/ca/sub.der" -o "$web/sub.der"
openssl x509 -inform DER -in "$web/root.der" -out "$web/root.pem"
openssl x509 -inform DER -in "$web/sub.der" -out "$web/sub.pem"
for l in log1 log2 log3; do curl -fsS "$base/ct/$l/key.pem" -o "$web/$l.pem"; done
api() { # $1: path, $2: JSON body -> the answer on stdout; fails on an HTTP error
  curl -fsS -H 'Content-Type: application/json' "$base/api/v1/$1" -d "$2"
}
json_get() { "$py" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]], end="")' "$1"; }
csr_json=$("$py" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$iss/leaf.csr")
# Precertificate, SCTs from the three test logs (the tls-server profile's
# 200 days need 3 from 2 operators, CONFORMANCE.md section 11), final.
api certificates "{\"issuer\":\"sub\",\"csr\":$csr_json,\"dns\":[\"api.example.com\"],
  \"logs\":[\"$base/ct/log1\",\"$base/ct/log2\",\"$base/ct/log3\"]}" >"$web/cert.json"
json_get precert <"$web/cert.json" >"$web/precert.pem"
json_get certificate <"$web/cert.json" >"$web/final.pem"
api_serial=$(json_get serial <"$web/cert.json")
echo "API: final certificate $api_serial with $("$py" -c 'import json,sys; print(len(json.load(sys.stdin)["scts"]))' <"$web/cert.json") SCTs"
openssl verify -CAfile "$web/root.pem" -untrusted "$web/sub.pem" "$web/final.pem"
"$hsmca" verify --precert "$web/precert.pem" --final "$web/final.pem" --issuer-cert "$web/sub.pem" \
  --root "$web/root.pem" --log-key "$web/log1.pem" --log-key "$web/log2.pem" --log-key "$web/log3.pem"
api_pre=$(api precert "{\"issuer\":\"sub\",\"csr\":$csr_json,\"dns\":[\"pre.example.com\"]}" | json_get serial)
ocsp_url() { # $1: what, $2: serial -- openssl ocsp as the client, over HTTP
  printf '%-30s ' "$1:"
  openssl ocsp -issuer "$web/sub.pem" -serial "0x$2" -url "$base/ocsp/sub" \
    -VAfile "$out/ocsp-responder.pem" 2>/dev/null | sed -n "s/^0x$2: //p" | tr -d '\n'
  echo
}
ocsp_url "final certificate" "$api_serial"
ocsp_url "precertificate only" "$api_pre"
ocsp_url "never issued" "$never_serial"
api revoke "{\"issuer\":\"sub\",\"serial\":\"$api_serial\",\"reason\":\"keyCompromise\"}" >/dev/null
ocsp_url "final certificate, revoked" "$api_serial"
curl -fsS "$base/crl/sub.crl" -o "$web/sub.crl"
cat "$web/sub.pem" "$web/root.pem" >"$web/chain.pem"
printf 'CRL from %s: ' "$base/crl/sub.crl"
openssl crl -inform DER -in "$web/sub.crl" -CAfile "$web/chain.pem" -noout 2>&1
echo "  number $(openssl crl -inform DER -in "$web/sub.crl" -noout -crlnumber | cut -d= -f2), revoked:" \
  $(openssl crl -inform DER -in "$web/sub.crl" -noout -text | sed -n 's/^ *Serial Number: //p')
stop_serve
trap - EXIT
tail -1 "$web/serve.log"

echo
echo "== made in $state"
echo "  hsm/softhsm2.conf         SoftHSM configuration (export SOFTHSM2_CONF=$state/hsm/softhsm2.conf)"
echo "  hsm/tokens/, hsm/pins/    the two rehearsal tokens and their PINs (0600)"
echo "  ceremony/root.pem         offline root (P-384), its key in token $root_tok"
echo "  ceremony/subordinate.pem  online TLS issuing CA (P-256), key in $online_tok"
echo "  ceremony/ocsp-responder.pem  delegated OCSP responder (P-256), key in $online_tok"
echo "  ceremony/root.crl         the root's first CRL"
echo "  ceremony/transcript.log   hash-chained transcript (head $head)"
echo "  ca/hsmca.db               the store: issuer 'sub', its serials, precerts, finals, SCTs"
echo "  issued/precert.pem        a precertificate (critical CT poison)"
echo "  issued/final.pem          its final certificate: same serial, two embedded SCTs"
echo "  issued/log*.pub, *.key    the two test CT logs' keys (software P-256)"
echo "  issued/precert-only.pem   a precertificate whose final was never issued (OCSP: good)"
echo "  issued/sub.crl            the issuing CA's CRL, listing the revoked final certificate"
echo "  web/                      what came over HTTP from hsmca serve: root, subordinate and log"
echo "                            keys downloaded, a final from the API (3 SCTs), the CRL, serve.log"
