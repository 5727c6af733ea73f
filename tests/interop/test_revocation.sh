#!/usr/bin/env bash
# Revocation end to end (issue #5): hsmca revoke, hsmca ocsp respond|batch,
# hsmca crl and hsmca issuer policy, on fresh SoftHSM2 tokens and a fresh
# SQLite state. Every answer is checked with tools we did not write:
# `openssl ocsp` (requests, signature and chain verification, status lines),
# `openssl crl` / `openssl verify -crl_check` / `openssl asn1parse`,
# python3-cryptography (tests/interop/check_ocsp.py), and sqlite3 for "changes
# nothing".
#
# Time: every hsmca call runs at the fixed --now below, so times in responses
# and CRLs are exact and the BR's date-dependent rules do not move under the
# test. openssl checks OCSP times against the real clock (OCSP_check_validity,
# and certificate validity in the chain); -attime covers only the chain, and
# a large -validity_period would blind the nextUpdate check. So openssl ocsp
# runs under faketime (a scripts/deps.sh dependency, as in test_ceremony.sh)
# 30 s after --now: its default 5-minute tolerance then checks thisUpdate and
# nextUpdate for real, and one check at nextUpdate + 1 day shows it does.
# `openssl verify -crl_check` takes -attime (it covers CRL times too).
. "$(dirname "$0")/lib.sh"
new_softhsm
export HSMCA_HSM_DIR=$T/hsm
NOW=2026-11-28T12:00:00Z
AT=$(date -d "$NOW" +%s)
src=$HSMCA_SOURCE_DIR
S=$T/state       # the main store: issuer 'sub' with its delegated responder, and 'root'
S2=$T/state2     # a second store: the same CA as 'sub', without a delegated responder
O=hsmca-online-issuing
opin=$PINS/$O.user.pin
py=/usr/bin/python3   # Debian's python3 with python3-cryptography
chk=$src/tests/interop/check_ocsp.py
db=$S/hsmca.db
h() { "$hsmca" --now "$NOW" --state "$S" "$@"; }
h2() { "$hsmca" --now "$NOW" --state "$S2" "$@"; }
# openssl with its clock 30 s after --now (see above); `ft_at EPOCH cmd...`
# for another instant.
ft_at() { local when; when=$(date -u -d "@$1" '+%Y-%m-%d %H:%M:%S'); shift; TZ=UTC faketime "$when" "$@"; }
ft() { ft_at "${FT_AT:-$((AT + 30))}" "$@"; }
gmt() { date -u -d "@$1" '+%b %e %H:%M:%S %Y GMT'; }  # ASN1_TIME_print's format
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
command -v faketime >/dev/null || { echo "faketime is missing (scripts/deps.sh)"; exit 1; }

# ---------------------------------------------------------------- hierarchy
# The ceremony two days earlier: K and Q below are issued the day before
# NOW, so that they can be revoked then (a revocation is never earlier than
# the precertificate).
"$hsmca" --now 2026-11-26T12:00:00Z ceremony run "$src/hsm/ceremonies/rehearsal.yaml" \
  --hsm "$src/hsm/ceremonies/softhsm.hsm.yaml" --out "$T/ca" >/dev/null || { echo "ceremony failed"; exit 1; }
C=$T/ca
SUB=$C/subordinate.pem
ROOT=$C/root.pem
RESP=$C/ocsp-responder.pem
cat "$SUB" "$ROOT" > "$T/chain.pem"
expect 0 "issuer add sub (delegated responder)" -- h issuer add sub --cert "$SUB" --token $O --key hsmca-issuing-key \
  --pin-file "$opin" --base-url http://127.0.0.1:8080 --ocsp-cert "$RESP" --ocsp-key hsmca-ocsp-key
# The root as a second issuer of the same store, without a delegated
# responder: CertIDs of two issuers in one request, and a CA whose keyUsage
# does not allow it to sign OCSP itself.
expect 0 "issuer add root (no responder)" -- h issuer add root --cert "$ROOT" --token hsmca-offline-root --key hsmca-root-key \
  --pin-file "$PINS/hsmca-offline-root.user.pin" --base-url http://127.0.0.1:8080
# The CA-signed responder: the same issuing CA (digitalSignature, BR
# 7.1.2.10.7) registered in a second store without --ocsp-cert (a store
# holds a CA certificate once).
expect 0 "second store: sub without a delegated responder" -- h2 issuer add sub --cert "$SUB" --token $O --key hsmca-issuing-key \
  --pin-file "$opin" --base-url http://127.0.0.1:8080
h ctlog keygen --out-key "$T/log1.key" --out-pub "$T/log1.pub" --operator op1 >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
openssl req -new -key "$T/leaf.key" -subj "/CN=ignored.example" -out "$T/leaf.csr" 2>/dev/null

# precert VAR NAME [hsmca-fn]: a precert for NAME.example.com in $T/NAME.pem;
# its serial (lower-case hex, as `issue precert` prints it) in VAR.
precert() {
  local fn=${3:-h}
  expect 0 "issue precert $2" -- $fn issue precert --issuer sub --csr "$T/leaf.csr" --dns "$2.example.com" --out "$T/$2.pem"
  printf -v "$1" '%s' "$(sed -n 's/^serial: //p' <<<"$out")"
}
# final NAME [hsmca-fn]: its final certificate in $T/NAME-final.pem.
final() {
  local fn=${2:-h}
  $fn ctlog sct --key "$T/log1.key" --precert "$T/$1.pem" --issuer-cert "$SUB" --out "$T/$1.sct" >/dev/null
  expect 0 "issue final $1" -- $fn issue final --issuer sub --precert "$T/$1.pem" --sct "$T/$1.sct" \
    --log-key "$T/log1.pub" --out "$T/$1-final.pem"
}
# What the store looks like, for "changes nothing".
snap() {
  sqlite3 "$db" "SELECT count(*) FROM events;
    SELECT issuer_id, hex(serial), state, coalesce(precert_at, ''), coalesce(final_at, '') FROM serials ORDER BY 1, 2;
    SELECT issuer_id, hex(serial), revoked_at, coalesce(reason, 'null') FROM revocations ORDER BY 1, 2;
    SELECT issuer_id, scope, last_number FROM crl_numbers ORDER BY 1, 2;
    SELECT id, ocsp_precert_policy, ocsp_unassigned_policy FROM issuers ORDER BY 1;"
}
# unchanged NAME BEFORE: the store is as snap printed BEFORE.
unchanged() { [ "$(snap)" = "$2" ] && ok "$1: the store is unchanged" || fail "$1: the store changed" "$(diff <(echo "$2") <(snap))"; }

# ---------------------------------------------------------------- OCSP helpers
# req NAME openssl-ocsp-args...: openssl builds $T/NAME.req (e.g. -issuer F -serial 0xS).
req() { local n=$1; shift; openssl ocsp "$@" -reqout "$T/$n.req" >/dev/null 2>&1 || fail "openssl ocsp -reqout $n.req ($*)"; }
# respond CODE NAME [hsmca args]: hsmca answers $T/NAME.req into $T/NAME.resp.
respond() { local want=$1 n=$2; shift 2; rm -f "$T/$n.resp"; expect "$want" "ocsp respond $n" -- h ocsp respond --request "$T/$n.req" --out "$T/$n.resp" "$@"; }
# overify NAME RESP ISSUER TRUST... -- SERIALS...: openssl ocsp verifies RESP
# (TRUST: -VAfile F, or -CAfile F -verify_other G) with every serial's status
# printed into $out for ostat.
overify() {
  local n=$1 resp=$2 iss=$3; shift 3
  local trust=() serials=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do trust+=("$1"); shift; done
  shift
  for s in "$@"; do serials+=(-serial "0x$s"); done
  expect 0 "openssl ocsp verifies $n (${trust[*]##*/})" -- ft openssl ocsp -respin "$resp" -issuer "$iss" -no_nonce "${trust[@]}" "${serials[@]}"
  contains "$n: Response verify OK (${trust[*]##*/})" "Response verify OK"
  if grep -q "Status times invalid" <<<"$out"; then fail "$n: openssl finds the times invalid" "$out"; else ok "$n: openssl accepts thisUpdate/nextUpdate"; fi
}
# ostat NAME SERIAL STATUS [REASON|-] [EPOCH]: openssl's block for 0xSERIAL in $out.
ostat() {
  local n=$1 s=$2 want=$3 reason=${4:-} when=${5:-} blk
  blk=$(awk -v s="0x$s:" '$1 == s {p = 1; print; next} /^0x/ {p = 0} p' <<<"$out")
  if ! grep -q "^0x$s: $want\$" <<<"$blk"; then fail "$n: openssl: 0x$s is not $want" "$out"; return; fi
  if [ "$want" = revoked ]; then
    if [ "$reason" = - ]; then
      grep -q "Reason:" <<<"$blk" && { fail "$n: openssl: 0x$s has a reason" "$blk"; return; }
    else
      grep -qx "	Reason: $reason" <<<"$blk" || { fail "$n: openssl: 0x$s reason is not $reason" "$blk"; return; }
    fi
    grep -qx "	Revocation Time: $(gmt "$when")" <<<"$blk" || { fail "$n: openssl: 0x$s revocation time is not $(gmt "$when")" "$blk"; return; }
  fi
  ok "$n: openssl: 0x$s $want${reason:+ $reason}"
}
# pyresp NAME RESP args...: check_ocsp.py response.
pyresp() { local n=$1 r=$2; shift 2; expect 0 "python: $n" -- $py "$chk" response "$r" "$@"; }
D=(--signer "$RESP" --delegated --issuer "$SUB")       # sub's delegated responder
CA=(--signer "$SUB" --ca-signed --issuer "$SUB")       # sub signing itself (store 2)
# oerr NAME RESP STATUS-NAME STATUS-NUMBER: an unsigned error response.
oerr() {
  expect 0 "python: $1 is a bare $3 response" -- $py "$chk" response "$2" --status "$3"
  expect 1 "openssl: $1 is an error response" -- openssl ocsp -respin "$2" -resp_text -noverify
  contains "openssl: $1 says $3 ($4)" "Responder Error: $(tr 'A-Z' 'a-z' <<<"$3") ($4)"
}

# ---------------------------------------------------------------- the empty CRL (before any revocation)
expect 0 "crl: first CRL" -- h crl --issuer sub --out "$T/c1.crl"
contains "crl: number 1 reported" "CRL number 1"
expect 0 "openssl crl -verify c1" -- openssl crl -inform DER -in "$T/c1.crl" -CAfile "$T/chain.pem" -verify -noout
contains "openssl: c1 signature OK" "verify OK"
expect 0 "openssl crl -text c1" -- openssl crl -inform DER -in "$T/c1.crl" -noout -text
contains "c1 is v2" "Version 2 (0x1)"
contains "c1 has no entries" "No Revoked Certificates."
contains "c1 has an AKI" "X509v3 Authority Key Identifier"
contains "c1 AKI = sub SKI" "$(openssl x509 -in "$SUB" -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' ')"
grep -q "Issuing Distribution Point" <<<"$out" && fail "c1 has an IDP" "$out" || ok "c1 has no IDP"
grep -A1 "X509v3 CRL Number" <<<"$out" | grep -qx " *1" && ok "c1: openssl shows CRL number 1" || fail "c1 CRL number" "$out"
# RFC 5280 5.1.2.6: no revokedCertificates at all. asn1parse lists the
# TBSCertList's fields at depth 2: version, signature, issuer, two times,
# then straight to [0] crlExtensions, no SEQUENCE of entries.
tbs_fields() {
  openssl asn1parse -inform DER -in "$1" | awk '/:d=1 / {n++} n == 1 && /:d=2 / {
    i = index($0, "cons: "); if (i == 0) i = index($0, "prim: ")
    t = substr($0, i + 6); sub(/ *:.*$/, "", t); sub(/ *$/, "", t); printf "%s,", t }'
}
[ "$(tbs_fields "$T/c1.crl")" = "INTEGER,SEQUENCE,SEQUENCE,UTCTIME,UTCTIME,cont [ 0 ]," ] && ok "asn1parse: c1 has no revokedCertificates field" \
  || fail "asn1parse: c1 fields $(tbs_fields "$T/c1.crl")"
expect 0 "python: c1 (empty, number 1, 7 days, AKI, no IDP, signed by sub)" -- \
  $py "$chk" crl "$T/c1.crl" --issuer "$SUB" --number 1 --now "$NOW" --validity 604800 --empty

# ---------------------------------------------------------------- issuance
precert F f-good;     final f-good        # final issued -> good
precert P p-later                          # precert only now, final later
hw() { "$hsmca" --now 2026-11-28T11:00:00Z --state "$S" "$@"; }
precert W w-precert hw                     # precert only, forever (signed an hour earlier)
hk() { "$hsmca" --now 2026-11-27T08:00:00Z --state "$S" "$@"; }
precert K k-keycomp hk;  final k-keycomp hk  # final (the day before), revoked keyCompromise
precert U u-unspec;   final u-unspec       # final, revoked unspecified
precert Y y-affil;    final y-affil        # final, revoked affiliationChanged
precert Q q-precert hk                     # precert only (the day before), revoked superseded
precert X x-precert hw                     # precert only (an hour before), revoked privilegeWithdrawn
N=0123456789abcdef0123                     # never issued
# A serial left reserved by a crash before signing.
expect 99 "crash after-reserve" -- env HSMCA_FAULT=after-reserve "$hsmca" --now "$NOW" --state "$S" \
  issue precert --issuer sub --csr "$T/leaf.csr" --dns crash.example.com --out "$T/crash.pem"
R=$(sqlite3 "$db" "SELECT lower(hex(serial)) FROM serials WHERE state = 'reserved'")
[ -n "$R" ] && [ "$(wc -l <<<"$R")" = 1 ] && ok "sqlite3: one reserved serial ($R)" || fail "reserved serials: '$R'"
[ -n "$F" ] && [ -n "$W" ] && [ -n "$Q" ] || { fail "no serials"; finish; exit 1; }

# ---------------------------------------------------------------- before revocation
# The precert-only serial P is good before its final exists ...
req p1 -issuer "$SUB" -serial "0x$P" -serial "0x$F" -serial "0x$R" -serial "0x$N"
respond 0 p1
contains "respond summary" "2 good, 0 revoked, 2 unknown"
overify "precert-only, final, reserved, never" "$T/p1.resp" "$SUB" -VAfile "$RESP" -- "$P" "$F" "$R" "$N"
ostat "before final" "$P" good; ostat "final" "$F" good; ostat "reserved" "$R" unknown; ostat "never issued" "$N" unknown
pyresp "precert-only good before its final" "$T/p1.resp" "${D[@]}" --hash sha1 --request "$T/p1.req" --now "$NOW" --validity 345600 \
  --expect "$P=good" --expect "$F=good" --expect "$R=unknown" --expect "$N=unknown"
# ... and after it.
final p-later
req p2 -issuer "$SUB" -serial "0x$P"
respond 0 p2
overify "after its final" "$T/p2.resp" "$SUB" -VAfile "$RESP" -- "$P"
ostat "after final" "$P" good
pyresp "precert-only serial still good after its final" "$T/p2.resp" "${D[@]}" --request "$T/p2.req" --now "$NOW" --expect "$P=good"

# ---------------------------------------------------------------- hsmca revoke
KT=$((AT - 27 * 3600))   # 2026-11-27T09:00:00Z
QT=$((AT - 5 * 3600 - 1800))
before=$(snap)
expect 2 "revoke without --serial" -- h revoke --issuer sub
expect 1 "revoke an unknown serial" -- h revoke --issuer sub --serial 0a0b0c0d --reason keyCompromise
contains "unknown serial explained" "the issuer never issued it"
expect 1 "revoke the reserved serial" -- h revoke --issuer sub --serial "$R"
contains "reserved serial explained" "reserved but nothing was issued under it"
expect 1 "revoke with certificateHold" -- h revoke --issuer sub --serial "$K" --reason certificateHold
contains "certificateHold refused naming BR 7.2.2" "certificateHold is forbidden (BR 7.2.2)"
expect 1 "revoke with an unknown reason" -- h revoke --issuer sub --serial "$K" --reason bogusReason
contains "unknown reason named" "unknown revocation reason 'bogusReason'"
expect 1 "revoke with a numeric reason" -- h revoke --issuer sub --serial "$K" --reason 1
expect 2 "revoke with a malformed serial" -- h revoke --issuer sub --serial xyz1
contains "malformed serial named" "'xyz1' is not hex"
expect 2 "revoke with an odd-length serial" -- h revoke --issuer sub --serial 123
contains "odd serial named" "not an even number of hex digits"
expect 1 "revoke at a future time" -- h revoke --issuer sub --serial "$K" --time 2026-11-28T12:00:01Z
contains "future time explained" "in the future"
expect 2 "revoke with an unparsable time" -- h revoke --issuer sub --serial "$K" --time yesterday
expect 1 "revoke before the precertificate was signed" -- h revoke --issuer sub --serial "$K" --time 2026-11-27T07:59:59Z
contains "early time explained" "before the precertificate was signed (1 s earlier)"
expect 1 "revoke at an unknown issuer" -- h revoke --issuer nosuch --serial "$K"
contains "unknown issuer named" "nosuch"
expect 1 "revoke a serial of another issuer" -- h revoke --issuer root --serial "$K"
unchanged "refused revocations" "$before"
expect 0 "revoke K keyCompromise" -- h revoke --issuer sub --serial "$K" --reason keyCompromise --time 2026-11-27T09:00:00Z
contains "revoke reports time and reason" "at 2026-11-27T09:00:00Z, reason keyCompromise"
expect 0 "revoke U (default reason and time)" -- h revoke --issuer sub --serial "$U"
contains "default reason is unspecified" "reason unspecified"
expect 0 "revoke Y affiliationChanged (0x prefix, upper case)" -- h revoke --issuer sub --serial "0x${Y^^}" --reason affiliationChanged --time 2026-11-28T12:00:00Z
expect 0 "revoke precert-only Q superseded" -- h revoke --issuer sub --serial "$Q" --reason superseded --time "$(date -u -d "@$QT" +%Y-%m-%dT%H:%M:%SZ)"
expect 0 "revoke precert-only X privilegeWithdrawn" -- h revoke --issuer sub --serial "$X" --reason privilegeWithdrawn --time 2026-11-28T11:59:59Z
XT=$((AT - 1))
before=$(snap)
expect 1 "a second revocation is refused" -- h revoke --issuer sub --serial "$K" --reason superseded --time 2026-11-28T10:00:00Z
contains "second revocation explained" "already revoked"
unchanged "second revocation" "$before"
[ "$(sqlite3 "$db" "SELECT revoked_at || ' ' || reason FROM revocations WHERE hex(serial) = upper('$K')")" = "$KT 1" ] \
  && ok "sqlite3: the first revocation's time and reason are kept" || fail "K's revocation changed"
expect 0 "cert show names the revocation" -- h cert show --issuer sub --serial "$K"

# ---------------------------------------------------------------- every status in one request
ALL=("$F" "$P" "$W" "$K" "$U" "$Y" "$Q" "$X" "$R" "$N")
args=(); for s in "${ALL[@]}"; do args+=(-serial "0x$s"); done
req all -issuer "$SUB" "${args[@]}"
respond 0 all
contains "summary counts" "10 answers (3 good, 5 revoked, 2 unknown)"
# OpenSSL 3.0's OCSP_crl_reason_str knows reasons 0-8 only and prints
# privilegeWithdrawn (9) as "(UNKNOWN)"; check_ocsp.py checks the value.
PW="(UNKNOWN)"
check_all() { # NAME RESP
  ostat "$1" "$F" good; ostat "$1" "$P" good; ostat "$1" "$W" good
  ostat "$1" "$K" revoked keyCompromise "$KT"; ostat "$1" "$U" revoked - "$AT"
  ostat "$1" "$Y" revoked affiliationChanged "$AT"; ostat "$1" "$Q" revoked superseded "$QT"
  ostat "$1" "$X" revoked "$PW" "$XT"; ostat "$1" "$R" unknown; ostat "$1" "$N" unknown
}
EXPECT_ALL=(--expect "$F=good" --expect "$P=good" --expect "$W=good" --expect "$K=revoked@$KT/keyCompromise"
  --expect "$U=revoked@$AT/none" --expect "$Y=revoked@$AT/affiliationChanged" --expect "$Q=revoked@$QT/superseded"
  --expect "$X=revoked@$XT/privilegeWithdrawn" --expect "$R=unknown" --expect "$N=unknown")
overify "all statuses" "$T/all.resp" "$SUB" -VAfile "$RESP" -- "${ALL[@]}"
check_all "VAfile"
overify "all statuses" "$T/all.resp" "$SUB" -CAfile "$ROOT" -verify_other "$SUB" -- "${ALL[@]}"
check_all "CAfile"
pyresp "all statuses (delegated, SHA-1, nonce echoed)" "$T/all.resp" "${D[@]}" --hash sha1 --request "$T/all.req" \
  --now "$NOW" --validity 345600 --next-update 2026-12-02T11:59:59Z "${EXPECT_ALL[@]}"
$py "$chk" response "$T/all.resp" --print > "$T/all.ocsp.txt" 2>&1
# openssl catches a wrong trust anchor and a stale response.
expect 1 "openssl rejects the delegated response trusted only on the root as VA" -- \
  ft openssl ocsp -respin "$T/all.resp" -issuer "$SUB" -no_nonce -VAfile "$ROOT" -serial "0x$F"
expect 0 "openssl at nextUpdate + 1 day" -- ft_at $((AT + 5 * 86400)) openssl ocsp -respin "$T/all.resp" -issuer "$SUB" -no_nonce -VAfile "$RESP" -serial "0x$F"
contains "openssl: the response has expired by then" "Status times invalid"
# SHA-256 CertIDs, no nonce.
req all256 -issuer "$SUB" -sha256 "${args[@]}" -no_nonce
respond 0 all256
overify "SHA-256 CertIDs" "$T/all256.resp" "$SUB" -VAfile "$RESP" -sha256 -- "${ALL[@]}"
check_all "SHA-256"
pyresp "SHA-256 CertIDs echoed, no nonce requested, none sent" "$T/all256.resp" "${D[@]}" --hash sha256 --request "$T/all256.req" --now "$NOW" "${EXPECT_ALL[@]}"
expect 0 "openssl -resp_text: no nonce in the response" -- openssl ocsp -respin "$T/all256.resp" -resp_text -noverify
grep -q "OCSP Nonce" <<<"$out" && fail "a nonce in all256.resp" "$out" || ok "openssl: no nonce in the response"
# Single-serial requests for each case (what clients send).
for c in "F good" "W good" "K revoked keyCompromise $KT" "U revoked - $AT" "Q revoked superseded $QT" "R unknown" "N unknown"; do
  set -- $c; v=${!1}
  req "one-$1" -issuer "$SUB" -serial "0x$v"
  respond 0 "one-$1"
  overify "single $1" "$T/one-$1.resp" "$SUB" -VAfile "$RESP" -- "$v"
  ostat "single $1" "$v" "$2" "${3:-}" "${4:-}"
done
pyresp "single K: revoked, keyCompromise" "$T/one-K.resp" "${D[@]}" --request "$T/one-K.req" --now "$NOW" --expect "$K=revoked@$KT/keyCompromise"
pyresp "single U: revoked, no reason" "$T/one-U.resp" "${D[@]}" --request "$T/one-U.req" --now "$NOW" --expect "$U=revoked@$AT/none"
pyresp "single Q: precert-only revoked" "$T/one-Q.resp" "${D[@]}" --request "$T/one-Q.req" --now "$NOW" --expect "$Q=revoked@$QT/superseded"
pyresp "single R: reserved is unknown" "$T/one-R.resp" "${D[@]}" --request "$T/one-R.req" --now "$NOW" --expect "$R=unknown"
# The checker itself notices a wrong reason, a reason that is not there, a
# wrong time and a wrong status.
expect 1 "python control: K's reason is not superseded" -- $py "$chk" response "$T/one-K.resp" --expect "$K=revoked@$KT/superseded"
expect 1 "python control: U has no reason to compare" -- $py "$chk" response "$T/one-U.resp" --expect "$U=revoked@$AT/unspecified"
expect 1 "python control: Q's time is not a second later" -- $py "$chk" response "$T/one-Q.resp" --expect "$Q=revoked@$((QT + 1))/superseded"
expect 1 "python control: R is not good" -- $py "$chk" response "$T/one-R.resp" --expect "$R=good"
before=$(snap)
respond 0 all
unchanged "a successful OCSP response" "$before"

# ---------------------------------------------------------------- nonces (RFC 9654)
expect 0 "openssl -resp_text shows the nonce" -- openssl ocsp -respin "$T/all.resp" -resp_text -noverify
contains "the nonce extension is in the response" "OCSP Nonce"
expect 0 "openssl checks the nonce against its own request" -- ft openssl ocsp -reqin "$T/all.req" -respin "$T/all.resp" -VAfile "$RESP"
contains "openssl: verify OK with the request's nonce" "Response verify OK"
grep -qi "nonce" <<<"$out" && fail "openssl complains about the nonce" "$out" || ok "openssl: the nonce matches"
for n in 1 16 32 128; do
  expect 0 "python builds a $n-octet nonce request" -- $py "$chk" request --issuer "$SUB" --serial "$F" --nonce-len $n --out "$T/nonce$n.req"
  expect 0 "openssl parses the $n-octet nonce request" -- openssl ocsp -reqin "$T/nonce$n.req" -req_text
  contains "openssl sees the $n-octet nonce" "OCSP Nonce"
  respond 0 "nonce$n"
  pyresp "$n-octet nonce echoed byte for byte" "$T/nonce$n.resp" "${D[@]}" --request "$T/nonce$n.req" --now "$NOW" --expect "$F=good"
  expect 0 "openssl: $n-octet nonce verified against the request" -- ft openssl ocsp -reqin "$T/nonce$n.req" -respin "$T/nonce$n.resp" -VAfile "$RESP"
  grep -qi "nonce" <<<"$out" && fail "openssl: $n-octet nonce mismatch" "$out" || ok "openssl: $n-octet nonce matches"
done
req nonce-none -issuer "$SUB" -serial "0x$F" -no_nonce
respond 0 nonce-none
pyresp "no nonce requested, none in the response" "$T/nonce-none.resp" "${D[@]}" --request "$T/nonce-none.req" --no-nonce --expect "$F=good"

# ---------------------------------------------------------------- malformed and refused requests
# bad NAME CODE STATUS-NAME [WHY]: hsmca answers $T/NAME.req with an unsigned
# error response, exits 1, says why on stderr, changes nothing.
bad() {
  local n=$1 code=$2 name=$3 why=${4:-} before
  before=$(snap)
  respond 1 "$n"
  contains "$n: stderr names $name" "OCSP $name"
  [ -z "$why" ] || contains "$n: stderr says why" "$why"
  oerr "$n" "$T/$n.resp" "$name" "$code"
  unchanged "$n" "$before"
}
head -c 300 /dev/urandom > "$T/garbage.req"
bad garbage 1 malformedRequest
sz=$(stat -c %s "$T/one-F.req")
head -c $((sz - 7)) "$T/one-F.req" > "$T/truncated.req"
bad truncated 1 malformedRequest
{ cat "$T/one-F.req"; printf '\0\0'; } > "$T/trailing.req"
bad trailing 1 malformedRequest
: > "$T/empty.req"
bad empty 1 malformedRequest
head -c 70000 /dev/zero > "$T/zeros.req"
bad zeros 1 malformedRequest
# A well-formed request, only too large: a private extension of 66000 octets.
$py "$chk" request --issuer "$SUB" --serial "$F" --pad 66000 --out "$T/oversized.req"
[ "$(stat -c %s "$T/oversized.req")" -gt 65536 ] && ok "the oversized request is over 64 KiB" || fail "oversized.req is too small"
expect 0 "openssl parses the oversized request" -- openssl ocsp -reqin "$T/oversized.req" -req_text
bad oversized 1 malformedRequest "at most 65536"
# The boundary: a request of exactly 65536 octets is answered, 65537 is not.
sized() { # NAME SIZE
  local pad=65000 got i
  for i in 1 2 3; do
    $py "$chk" request --issuer "$SUB" --serial "$F" --pad $pad --out "$T/$1.req"
    got=$(stat -c %s "$T/$1.req"); pad=$((pad + $2 - got))
  done
  [ "$got" = "$2" ] && ok "a request of exactly $2 octets" || fail "$1.req is $got octets, not $2"
}
sized max 65536
respond 0 max
contains "a 65536-octet request is answered" "1 good"
sized max1 65537
bad max1 1 malformedRequest "the request is 65537 octets"
$py "$chk" request --issuer "$SUB" --serial "$F" --pad 60000 --out "$T/large-ok.req"
respond 0 large-ok
contains "a 60 KB request is still answered" "1 good"
# At most 64 CertIDs per request (HSMCA_OCSP_CERTIDS_MAX).
args=(); for i in $(seq 1 63); do args+=(-serial "0x$(printf '%x' $((0x10000 + i)))"); done
req ids64 -issuer "$SUB" -serial "0x$F" "${args[@]}"
respond 0 ids64
contains "64 CertIDs answered" "64 answers (1 good, 0 revoked, 63 unknown)"
pyresp "64 CertIDs echoed in order" "$T/ids64.resp" "${D[@]}" --request "$T/ids64.req"
req ids65 -issuer "$SUB" -serial "0x$F" -serial 0x20000 "${args[@]}"
bad ids65 1 malformedRequest "asks about 65 certificates"
req md5 -issuer "$SUB" -md5 -serial "0x$F"
bad md5 1 malformedRequest "1.2.840.113549.2.5"
req sha384 -issuer "$SUB" -sha384 -serial "0x$F"
bad sha384 1 malformedRequest
$py "$chk" request --issuer "$SUB" --serial "$F" --nonce "" --out "$T/nonce0.req"
bad nonce0 1 malformedRequest "the nonce is 0 octets"
$py "$chk" request --issuer "$SUB" --serial "$F" --nonce-len 129 --out "$T/nonce129.req"
bad nonce129 1 malformedRequest "the nonce is 129 octets"
$py "$chk" request --issuer "$SUB" --serial "$F" --nonce-len 16 --nonce-not-octet-string --out "$T/nonce-int.req"
bad nonce-int 1 malformedRequest "does not hold one OCTET STRING"
req two-issuers -issuer "$SUB" -serial "0x$F" -issuer "$ROOT" -serial "0x$N"
bad two-issuers 6 unauthorized "names another issuer than CertID 1"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/stranger.key" \
  -subj "/C=XX/O=Stranger/CN=Stranger CA" -days 30 -out "$T/stranger.pem" 2>/dev/null
req stranger -issuer "$T/stranger.pem" -serial "0x$F"
bad stranger 6 unauthorized "does not serve"
# Same name as sub, another key: the key hash decides.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/twin.key" \
  -subj "$(openssl x509 -in "$SUB" -noout -subject -nameopt compat | sed 's/^subject=//')" -days 30 -out "$T/twin.pem" 2>/dev/null
req twin -issuer "$T/twin.pem" -serial "0x$F"
bad twin 6 unauthorized "does not serve"
# The root may not sign OCSP itself (keyUsage keyCertSign, cRLSign: BR
# 7.1.2.10.7 needs digitalSignature): internalError, nothing signed.
req root-never -issuer "$ROOT" -serial "0x$N"
bad root-never 2 internalError "lacks digitalSignature"
echo x > "$T/exists.resp"
expect 1 "ocsp respond never overwrites --out" -- h ocsp respond --request "$T/one-F.req" --out "$T/exists.resp"
[ "$(cat "$T/exists.resp")" = x ] && ok "exists.resp untouched" || fail "exists.resp overwritten"
expect 2 "ocsp respond without --request" -- h ocsp respond --out "$T/x.resp"
expect 1 "ocsp respond with a missing request file" -- h ocsp respond --request "$T/nosuch.req" --out "$T/x.resp"

# ---------------------------------------------------------------- validity window (BR 4.9.9, MRSP 6)
respond 0 one-F --validity 8h
pyresp "--validity 8h: interval exactly 8 h" "$T/one-F.resp" "${D[@]}" --now "$NOW" --validity 28800 --expect "$F=good"
respond 0 one-F --validity 10d
pyresp "--validity 10d: interval exactly 10 d" "$T/one-F.resp" "${D[@]}" --now "$NOW" --validity 864000 --expect "$F=good"
expect 2 "--validity 7h refused" -- h ocsp respond --request "$T/one-F.req" --out "$T/v7h.resp" --validity 7h
expect 2 "--validity 11d refused" -- h ocsp respond --request "$T/one-F.req" --out "$T/v11d.resp" --validity 11d
[ ! -e "$T/v7h.resp" ] && [ ! -e "$T/v11d.resp" ] && ok "refused validities wrote nothing" || fail "a response was written"
# Near the responder certificate's end: nextUpdate is its notAfter.
RNA=$(date -u -d "$(openssl x509 -in "$RESP" -noout -enddate | cut -d= -f2)" +%s)
LATE=$((RNA - 2 * 86400))
rm -f "$T/late.resp"
expect 0 "respond 2 days before the responder expires" -- "$hsmca" --now "$(iso $LATE)" --state "$S" ocsp respond --request "$T/one-F.req" --out "$T/late.resp"
pyresp "nextUpdate clipped to the responder's notAfter" "$T/late.resp" "${D[@]}" --now "$LATE" --next-update "$RNA" --expect "$F=good"
expect 0 "openssl accepts the clipped response then" -- ft_at $((LATE + 30)) openssl ocsp -respin "$T/late.resp" -issuer "$SUB" -no_nonce -VAfile "$RESP" -serial "0x$F"
contains "openssl: clipped response verifies" "Response verify OK"
rm -f "$T/toolate.resp"
expect 1 "respond 1 hour before the responder expires" -- "$hsmca" --now "$(iso $((RNA - 3600)))" --state "$S" ocsp respond --request "$T/one-F.req" --out "$T/toolate.resp"
contains "too-late refusal explained" "renew it"
oerr "too late" "$T/toolate.resp" internalError 2

# ---------------------------------------------------------------- policy switch
policy() { expect 0 "issuer policy sub $*" -- h issuer policy sub "$@"; }
pol_req() { req pol -issuer "$SUB" -serial "0x$F" -serial "0x$K" -serial "0x$W" -serial "0x$R" -serial "0x$N"; respond "$1" pol; }
expect 0 "issuer policy shows the defaults" -- h issuer policy sub
contains "default precert-only good" "precert-only: good"
contains "default unassigned unknown" "unassigned: unknown"
expect 2 "issuer policy with a bad answer" -- h issuer policy sub --precert-only maybe
WT=$((AT - 3600))   # when W was signed
policy --precert-only unknown
contains "precert-only unknown warned" "warning"
pol_req 0
overify "policy precert-only unknown" "$T/pol.resp" "$SUB" -VAfile "$RESP" -- "$F" "$K" "$W"
ostat "precert-only unknown" "$W" unknown; ostat "precert-only unknown" "$F" good; ostat "precert-only unknown" "$K" revoked keyCompromise "$KT"
pyresp "policy precert-only unknown" "$T/pol.resp" "${D[@]}" --request "$T/pol.req" --now "$NOW" \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$W=unknown" --expect "$R=unknown" --expect "$N=unknown"
policy --precert-only revoked
pol_req 0
overify "policy precert-only revoked" "$T/pol.resp" "$SUB" -VAfile "$RESP" -- "$F" "$K" "$W"
ostat "precert-only revoked" "$W" revoked - "$WT"
pyresp "policy precert-only revoked: at the precert's time, no reason" "$T/pol.resp" "${D[@]}" --request "$T/pol.req" --now "$NOW" \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$W=revoked@$WT/none" --expect "$R=unknown" --expect "$N=unknown"
policy --precert-only unauthorized
pol_req 1
oerr "policy precert-only unauthorized" "$T/pol.resp" unauthorized 6
req pol-final -issuer "$SUB" -serial "0x$F" -serial "0x$K" -serial "0x$N"
respond 0 pol-final
pyresp "precert-only unauthorized leaves finals, revoked and unassigned alone" "$T/pol-final.resp" "${D[@]}" --request "$T/pol-final.req" \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$N=unknown"
policy --precert-only good --unassigned good
contains "unassigned good warned" "BR 4.9.9 forbids this"
pol_req 0
overify "policy unassigned good" "$T/pol.resp" "$SUB" -VAfile "$RESP" -- "$W" "$R" "$N"
ostat "unassigned good" "$R" good; ostat "unassigned good" "$N" good; ostat "unassigned good" "$W" good
pyresp "policy unassigned good" "$T/pol.resp" "${D[@]}" --request "$T/pol.req" \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$W=good" --expect "$R=good" --expect "$N=good"
policy --unassigned revoked
contains "unassigned revoked warned" "certificateHold"
pol_req 0
overify "policy unassigned revoked" "$T/pol.resp" "$SUB" -VAfile "$RESP" -- "$R" "$N" "$K"
ostat "unassigned revoked" "$N" revoked certificateHold 0; ostat "unassigned revoked" "$R" revoked certificateHold 0
ostat "unassigned revoked" "$K" revoked keyCompromise "$KT"
pyresp "policy unassigned revoked: 1970, certificateHold, extended-revoke" "$T/pol.resp" "${D[@]}" --request "$T/pol.req" --extended-revoke \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$W=good" --expect "$R=revoked@0/certificateHold" --expect "$N=revoked@0/certificateHold"
# RFC 6960 4.4.8: id-pkix-ocsp-extended-revoke = 1.3.6.1.5.5.7.48.1.9 (OpenSSL
# calls it "valid"), not 48.1.8 (extendedStatus).
expect 0 "openssl -resp_text: extended-revoke extension" -- openssl ocsp -respin "$T/pol.resp" -resp_text -noverify
contains "openssl names the extension 'valid' (48.1.9)" "        valid: "
grep -q "Extended OCSP Status" <<<"$out" && fail "extendedStatus (48.1.8) instead of extended-revoke" "$out" || ok "openssl: not extendedStatus (48.1.8)"
policy --unassigned unauthorized
pol_req 1
oerr "policy unassigned unauthorized" "$T/pol.resp" unauthorized 6
req pol-assigned -issuer "$SUB" -serial "0x$F" -serial "0x$W" -serial "0x$Q"
respond 0 pol-assigned
pyresp "unassigned unauthorized leaves assigned serials alone" "$T/pol-assigned.resp" "${D[@]}" --request "$T/pol-assigned.req" \
  --expect "$F=good" --expect "$W=good" --expect "$Q=revoked@$QT/superseded"
policy --precert-only good --unassigned unknown
contains "back to precert-only good" "precert-only: good"
contains "back to unassigned unknown" "unassigned: unknown"
grep -q warning <<<"$out" && fail "a warning for the defaults" "$out" || ok "no warning for the defaults"
pol_req 0
pyresp "defaults restored" "$T/pol.resp" "${D[@]}" --request "$T/pol.req" \
  --expect "$F=good" --expect "$K=revoked@$KT/keyCompromise" --expect "$W=good" --expect "$R=unknown" --expect "$N=unknown"
[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE kind = 'ocsp-policy'")" -ge 6 ] && ok "sqlite3: policy changes are events" || fail "no ocsp-policy events"

# ---------------------------------------------------------------- CA-signed responder (store 2)
precert F2 s2-good h2;  final s2-good h2
precert W2 s2-precert h2
h2k() { "$hsmca" --now 2026-11-27T08:00:00Z --state "$S2" "$@"; }
precert K2 s2-revoked h2k; final s2-revoked h2k
expect 0 "store 2: revoke K2 cessationOfOperation" -- h2 revoke --issuer sub --serial "$K2" --reason cessationOfOperation --time 2026-11-28T08:00:00Z
K2T=$((AT - 4 * 3600))
ALL2=("$F2" "$W2" "$K2" "$N")
args=(); for s in "${ALL2[@]}"; do args+=(-serial "0x$s"); done
req ca -issuer "$SUB" "${args[@]}"
rm -f "$T/ca.resp"
expect 0 "store 2: ocsp respond (CA-signed)" -- h2 ocsp respond --request "$T/ca.req" --out "$T/ca.resp"
check_ca() {
  ostat "$1" "$F2" good; ostat "$1" "$W2" good; ostat "$1" "$K2" revoked cessationOfOperation "$K2T"; ostat "$1" "$N" unknown
}
overify "CA-signed" "$T/ca.resp" "$SUB" -VAfile "$SUB" -- "${ALL2[@]}"
check_ca "CA-signed VAfile"
overify "CA-signed" "$T/ca.resp" "$SUB" -CAfile "$ROOT" -verify_other "$SUB" -- "${ALL2[@]}"
check_ca "CA-signed CAfile"
# (Without -issuer: openssl ocsp retries with the -issuer certificates as
# trusted signers, which would accept any response the CA signed.)
expect 1 "openssl: the CA-signed response does not verify as the delegated responder's" -- \
  ft openssl ocsp -respin "$T/ca.resp" -no_nonce -VAfile "$RESP"
expect 1 "openssl: the delegated response does not verify as the CA's" -- \
  ft openssl ocsp -respin "$T/all.resp" -no_nonce -VAfile "$SUB"
pyresp "CA-signed: no certs, responder ID = sub's key hash, every status" "$T/ca.resp" "${CA[@]}" --hash sha1 --request "$T/ca.req" \
  --now "$NOW" --validity 345600 --expect "$F2=good" --expect "$W2=good" --expect "$K2=revoked@$K2T/cessationOfOperation" --expect "$N=unknown"
expect 1 "python: the CA-signed response is not a delegated one" -- $py "$chk" response "$T/ca.resp" "${D[@]}"
expect 0 "openssl -resp_text: CA-signed response has no certificate" -- openssl ocsp -respin "$T/ca.resp" -resp_text -noverify
grep -q "BEGIN CERTIFICATE\|^Certificate:" <<<"$out" && fail "a certificate in the CA-signed response" "$out" || ok "openssl: no certificate in the CA-signed response"
contains "responder id is sub's SKI" "Responder Id: $(openssl x509 -in "$SUB" -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' :')"
req ca256 -issuer "$SUB" -sha256 -serial "0x$K2" -serial "0x$N" -no_nonce
rm -f "$T/ca256.resp"
expect 0 "store 2: SHA-256 request" -- h2 ocsp respond --request "$T/ca256.req" --out "$T/ca256.resp"
overify "CA-signed SHA-256" "$T/ca256.resp" "$SUB" -VAfile "$SUB" -sha256 -- "$K2" "$N"
pyresp "CA-signed SHA-256" "$T/ca256.resp" "${CA[@]}" --hash sha256 --request "$T/ca256.req" --expect "$K2=revoked@$K2T/cessationOfOperation" --expect "$N=unknown"
rm -rf "$T/batch2"
expect 0 "store 2: ocsp batch (CA-signed)" -- h2 ocsp batch --issuer sub --dir "$T/batch2"
[ "$(ls "$T/batch2" | sort | tr '\n' ' ')" = "$(printf '%s.der\n' "$F2" "$W2" "$K2" | sort | tr '\n' ' ')" ] && ok "store 2: one file per assigned serial" || fail "batch2: $(ls "$T/batch2")"
pyresp "store 2 batch: revoked K2, CA-signed" "$T/batch2/$K2.der" "${CA[@]}" --no-nonce --now "$NOW" --expect "$K2=revoked@$K2T/cessationOfOperation"

# ---------------------------------------------------------------- ocsp batch (delegated)
rm -rf "$T/batch"
expect 0 "ocsp batch" -- h ocsp batch --issuer sub --dir "$T/batch"
contains "batch counts" "8 OCSP responses for issuer 'sub'"
contains "batch status counts" "3 good, 5 revoked, 0 unknown"
want_files=$(for s in "$F" "$P" "$W" "$K" "$U" "$Y" "$Q" "$X"; do echo "$s.der"; done | sort)
[ "$(ls "$T/batch" | sort)" = "$want_files" ] && ok "batch: exactly one file per assigned serial (none for reserved or never-issued)" \
  || fail "batch files" "$(diff <(echo "$want_files") <(ls "$T/batch" | sort))"
bcheck() { # SERIAL STATUS [REASON EPOCH] PYEXPECT
  overify "batch $1" "$T/batch/$1.der" "$SUB" -VAfile "$RESP" ${HASH:+-$HASH} -- "$1"
  ostat "batch" "$1" "$2" "${3:-}" "${4:-}"
  pyresp "batch $1" "$T/batch/$1.der" "${D[@]}" --hash "${HASH:-sha1}" --no-nonce --now "${BNOW:-$NOW}" --validity 345600 --expect "$5"
}
batch_all() {
  bcheck "$F" good "" "" "$F=good"; bcheck "$P" good "" "" "$P=good"; bcheck "$W" good "" "" "$W=good"
  bcheck "$K" revoked keyCompromise "$KT" "$K=revoked@$KT/keyCompromise"; bcheck "$U" revoked - "$AT" "$U=revoked@$AT/none"
  bcheck "$Y" revoked affiliationChanged "$AT" "$Y=revoked@$AT/affiliationChanged"
  bcheck "$Q" revoked superseded "$QT" "$Q=revoked@$QT/superseded"; bcheck "$X" revoked "$PW" "$XT" "$X=revoked@$XT/privilegeWithdrawn"
}
batch_all
# Again, an hour later and with SHA-256 CertIDs: every file is replaced.
ino=$(stat -c %i "$T/batch/$F.der")
BNOW=$((AT + 3600))
expect 0 "ocsp batch again (an hour later, SHA-256)" -- "$hsmca" --now "$(iso $BNOW)" --state "$S" ocsp batch --issuer sub --dir "$T/batch" --hash sha256
[ "$(ls "$T/batch" | sort)" = "$want_files" ] && ok "batch again: the same files, no leftovers" || fail "batch files after re-run" "$(ls -a "$T/batch")"
[ "$(stat -c %i "$T/batch/$F.der")" != "$ino" ] && ok "batch again: files replaced (new inode)" || fail "batch file not replaced"
# Re-checked at the second run's time: openssl's clock moves with it.
HASH=sha256 FT_AT=$((BNOW + 30))
batch_all
unset HASH BNOW FT_AT
expect 1 "ocsp batch for an unknown issuer" -- h ocsp batch --issuer nosuch --dir "$T/batch-x"
expect 2 "ocsp batch with --hash md5" -- h ocsp batch --issuer sub --dir "$T/batch-x" --hash md5
expect 2 "ocsp batch without --dir" -- h ocsp batch --issuer sub

# ---------------------------------------------------------------- CRLs after revocation
expect 0 "crl: second CRL" -- h crl --issuer sub --out "$T/c2.crl"
contains "crl: number 2 reported" "CRL number 2"
expect 0 "openssl crl -verify c2" -- openssl crl -inform DER -in "$T/c2.crl" -CAfile "$T/chain.pem" -verify -noout
contains "openssl: c2 signature OK" "verify OK"
expect 1 "openssl crl -verify c2 fails against the root alone" -- openssl crl -inform DER -in "$T/c2.crl" -CAfile "$ROOT" -verify -noout
expect 0 "openssl crl -text c2" -- openssl crl -inform DER -in "$T/c2.crl" -noout -text
c2text=$out
contains "c2 is v2" "Version 2 (0x1)"
grep -A1 "X509v3 CRL Number" <<<"$out" | grep -qx " *2" && ok "c2: openssl shows CRL number 2" || fail "c2 CRL number" "$out"
grep -q "Issuing Distribution Point" <<<"$out" && fail "c2 has an IDP" "$out" || ok "c2 has no IDP"
[ "$(grep -c "Serial Number:" <<<"$out")" = 5 ] && ok "c2 lists 5 serials" || fail "c2 entries" "$out"
# crlentry SERIAL REASON-TEXT|- EPOCH: openssl's entry for SERIAL in c2.
crlentry() {
  local blk
  blk=$(awk -v s="$(tr a-f A-F <<<"${1#00}")" '/Serial Number:/ {p = ($3 == s)} p' <<<"$c2text")
  if [ -z "$blk" ]; then fail "c2: no entry for $1" "$c2text"; return; fi
  grep -q "Revocation Date: $(gmt "$3")" <<<"$blk" || { fail "c2: $1 revocation date is not $(gmt "$3")" "$blk"; return; }
  if [ "$2" = - ]; then
    grep -q "Reason Code" <<<"$blk" && { fail "c2: $1 has a reason code" "$blk"; return; }
  else
    grep -q "^ *$2\$" <<<"$blk" || { fail "c2: $1 reason is not $2" "$blk"; return; }
  fi
  ok "openssl crl: $1 revoked $(gmt "$3") ${2/-/no reason}"
}
crlentry "$K" "Key Compromise" "$KT"; crlentry "$U" - "$AT"; crlentry "$Y" "Affiliation Changed" "$AT"
crlentry "$Q" "Superseded" "$QT"; crlentry "$X" "Privilege Withdrawn" "$XT"
[ "$(tbs_fields "$T/c2.crl")" = "INTEGER,SEQUENCE,SEQUENCE,UTCTIME,UTCTIME,SEQUENCE,cont [ 0 ]," ] && ok "asn1parse: c2 has a revokedCertificates field" \
  || fail "asn1parse: c2 fields $(tbs_fields "$T/c2.crl")"
expect 0 "python: c2 (number 2, 7 days, AKI, entries, reasons)" -- $py "$chk" crl "$T/c2.crl" --issuer "$SUB" --number 2 --now "$NOW" --validity 604800 --print
c2py=$out
expect 1 "python control: c2 is not an empty CRL" -- $py "$chk" crl "$T/c2.crl" --empty
expect 1 "python control: c2 is not signed by the root" -- $py "$chk" crl "$T/c2.crl" --issuer "$ROOT"
# revoke -> OCSP -> CRL agree: every revoked answer of the all-statuses
# response is a CRL entry with the same time and reason, and nothing else is.
grep ' revoked ' "$T/all.ocsp.txt" | sort > "$T/ocsp-revoked.txt"
sort <<<"$c2py" > "$T/crl-revoked.txt"
[ -s "$T/ocsp-revoked.txt" ] && cmp -s "$T/ocsp-revoked.txt" "$T/crl-revoked.txt" && ok "python: OCSP revoked answers = CRL entries (serial, time, reason)" \
  || fail "OCSP and CRL disagree" "$(diff "$T/ocsp-revoked.txt" "$T/crl-revoked.txt")"
for s in "$K" "$U" "$Y" "$Q" "$X"; do
  ot=$(awk -v s="0x$s:" '$1 == s {p = 1; next} /^0x/ {p = 0} p && /Revocation Time/ {sub(/.*Time: /, ""); print}' <<<"$(ft openssl ocsp -respin "$T/all.resp" -issuer "$SUB" -no_nonce -VAfile "$RESP" -serial "0x$s" 2>/dev/null)")
  ct=$(awk -v s="$(tr a-f A-F <<<"${s#00}")" '/Serial Number:/ {p = ($3 == s)} p && /Revocation Date/ {sub(/.*Date: /, ""); print}' <<<"$c2text")
  [ -n "$ot" ] && [ "$ot" = "$ct" ] && ok "openssl: OCSP and CRL revocation time of $s agree ($ot)" || fail "times of $s: OCSP '$ot' CRL '$ct'"
done
# openssl's own revocation check of the certificates against the CRL.
VT=$((AT + 60))
expect 2 "openssl verify -crl_check: K's final is revoked" -- openssl verify -attime $VT -crl_check -CRLfile "$T/c2.crl" -CAfile "$ROOT" -untrusted "$SUB" "$T/k-keycomp-final.pem"
contains "openssl: certificate revoked" "certificate revoked"
expect 2 "openssl verify -crl_check: precert-only Q is revoked" -- openssl verify -attime $VT -ignore_critical -crl_check -CRLfile "$T/c2.crl" -CAfile "$ROOT" -untrusted "$SUB" "$T/q-precert.pem"
contains "openssl: precert revoked" "certificate revoked"
expect 0 "openssl verify -crl_check: F's final is not revoked" -- openssl verify -attime $VT -crl_check -CRLfile "$T/c2.crl" -CAfile "$ROOT" -untrusted "$SUB" "$T/f-good-final.pem"
expect 0 "openssl verify -crl_check: W (precert-only, good) is not revoked" -- openssl verify -attime $VT -ignore_critical -crl_check -CRLfile "$T/c2.crl" -CAfile "$ROOT" -untrusted "$SUB" "$T/w-precert.pem"
expect 2 "openssl verify -crl_check after the CRL's nextUpdate" -- openssl verify -attime $((AT + 8 * 86400)) -crl_check -CRLfile "$T/c2.crl" -CAfile "$ROOT" -untrusted "$SUB" "$T/f-good-final.pem"
contains "openssl: CRL has expired then" "CRL has expired"
# More CRLs: numbers keep increasing; refused runs use none.
expect 2 "crl --validity 11d refused" -- h crl --issuer sub --validity 11d --out "$T/c-11d.crl"
contains "11d refusal names BR 4.9.7" "BR 4.9.7"
[ ! -e "$T/c-11d.crl" ] && ok "no CRL written for 11d" || fail "c-11d.crl written"
expect 1 "crl --out never overwrites" -- h crl --issuer sub --out "$T/c1.crl"
cmp -s "$T/c1.crl" <(sqlite3 "$db" "SELECT hex(der) FROM crls WHERE number = 1 AND issuer_id = 1" | xxd -r -p) && ok "c1.crl untouched (= the stored CRL 1)" || fail "c1.crl changed"
expect 1 "crl for an unknown issuer" -- h crl --issuer nosuch --out "$T/c-x.crl"
expect 0 "crl --pem --validity 10d" -- h crl --issuer sub --pem --validity 10d --out "$T/c3.pem"
contains "crl: number 3 (refused runs used no number)" "CRL number 3"
expect 0 "openssl reads the PEM CRL" -- openssl crl -in "$T/c3.pem" -CAfile "$T/chain.pem" -verify -noout
contains "openssl: PEM CRL signature OK" "verify OK"
expect 0 "python: c3 (PEM, number 3, exactly 10 days)" -- $py "$chk" crl "$T/c3.pem" --issuer "$SUB" --number 3 --now "$NOW" --validity 864000
expect 0 "crl to stdout" -- sh -c "'$hsmca' --now '$NOW' --state '$S' crl --issuer sub > '$T/c4.crl'"
expect 0 "python: c4 from stdout (number 4)" -- $py "$chk" crl "$T/c4.crl" --issuer "$SUB" --number 4
[ "$(sqlite3 "$db" "SELECT group_concat(number) FROM (SELECT number FROM crls WHERE issuer_id = 1 ORDER BY number)")" = "1,2,3,4" ] \
  && ok "sqlite3: CRLs 1..4 recorded" || fail "recorded CRLs: $(sqlite3 "$db" "SELECT group_concat(number) FROM crls")"
expect 0 "store 2: CRL (CA-signed store)" -- h2 crl --issuer sub --out "$T/s2.crl"
expect 0 "python: store 2 CRL lists K2" -- $py "$chk" crl "$T/s2.crl" --issuer "$SUB" --number 1 --print
contains "store 2 CRL entry" "$K2 revoked $K2T cessationOfOperation"
expect 0 "sqlite3: integrity_check ok" -- sh -c "sqlite3 '$db' 'PRAGMA integrity_check' | grep -qx ok"

finish
