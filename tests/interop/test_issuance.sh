#!/usr/bin/env bash
# Precertificate -> SCTs -> final certificate end to end, on fresh SoftHSM2
# tokens and a fresh SQLite state directory. Checked with tools we did not
# write: openssl (x509 -text, verify, and its CT validation inside
# `hsmca verify`), python3-cryptography's tbs_precertificate_bytes, sqlite3.
. "$(dirname "$0")/lib.sh"
new_softhsm
export HSMCA_HSM_DIR=$T/hsm
NOW=2026-11-28T12:00:00Z
AT=$(date -d "$NOW" +%s)
src=$HSMCA_SOURCE_DIR
S=$T/state
O=hsmca-online-issuing
opin=$PINS/$O.user.pin
h() { "$hsmca" --now "$NOW" --state "$S" "$@"; }
py=/usr/bin/python3   # Debian's python3 with python3-cryptography
db=$S/hsmca.db
counts() { h issuer list | awk -v n="$1" '$1==n {print $(NF-2), $(NF-1), $NF}'; }

# ---------------------------------------------------------------- hierarchy
"$hsmca" --now "$NOW" ceremony run "$src/hsm/ceremonies/rehearsal.yaml" \
  --hsm "$src/hsm/ceremonies/softhsm.hsm.yaml" --out "$T/ca" >/dev/null || { echo "ceremony failed"; exit 1; }
C=$T/ca

# ---------------------------------------------------------------- issuer add
expect 0 "issue --help" -- "$hsmca" issue precert --help
contains "precert help" "--csr FILE"
expect 2 "issuer add without --state" -- env -u HSMCA_STATE "$hsmca" issuer add sub --cert "$C/subordinate.pem" --token $O --key hsmca-issuing-key --pin-file "$opin"
expect 1 "issuer add refuses a cert that is not the token key's" -- \
  h issuer add wrong --cert "$C/subordinate.pem" --token $O --key hsmca-ocsp-key --pin-file "$opin"
contains "key mismatch explained" "is not the public key of 'hsmca-ocsp-key'"
expect 1 "issuer add refuses a non-CA certificate" -- \
  h issuer add resp --cert "$C/ocsp-responder.pem" --token $O --key hsmca-ocsp-key --pin-file "$opin"
contains "non-CA explained" "not a CA certificate"
expect 0 "issuer add" -- h issuer add sub --cert "$C/subordinate.pem" --token $O --key hsmca-issuing-key \
  --pin-file "$opin" --base-url http://127.0.0.1:8080 --ocsp-cert "$C/ocsp-responder.pem" --ocsp-key hsmca-ocsp-key
expect 1 "issuer add refuses a duplicate name" -- h issuer add sub --cert "$C/subordinate.pem" --token $O --key hsmca-issuing-key --pin-file "$opin"
expect 0 "second issuer: the root" -- h issuer add root --cert "$C/root.pem" --token hsmca-offline-root --key hsmca-root-key \
  --pin-file "$PINS/hsmca-offline-root.user.pin" --base-url http://127.0.0.1:8080
expect 0 "issuer list" -- h issuer list
contains "issuer list names sub" "sub "
expect 0 "sqlite3 sees WAL mode" -- sh -c "sqlite3 '$db' 'PRAGMA journal_mode;' | grep -qx wal"
expect 0 "sqlite3 sees no PIN in the store" -- sh -c "! sqlite3 '$db' .dump | grep -qF '$(cat "$opin")'"

# ---------------------------------------------------------------- test logs and subscriber keys
for l in log1 log2 log3; do
  expect 0 "ctlog keygen $l" -- "$hsmca" ctlog keygen --out-key "$T/$l.key" --out-pub "$T/$l.pub" --operator "op-$l"
done
[ "$(stat -c %a "$T/log1.key")" = 600 ] && ok "log key is 0600" || fail "log key mode $(stat -c %a "$T/log1.key")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
openssl req -new -key "$T/leaf.key" -subj "/CN=ignored.example" -out "$T/leaf.csr" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.key" 2>/dev/null
openssl pkey -in "$T/rsa.key" -pubout -out "$T/rsa.pub"

# ---------------------------------------------------------------- precert
expect 0 "issue precert from a CSR" -- h issue precert --issuer sub --csr "$T/leaf.csr" \
  --dns www.example.com --dns example.com --ip 93.184.216.34 --out "$T/pre.pem"
serial=$(sed -n 's/^serial: //p' <<<"$out")
[ -n "$serial" ] && ok "precert serial printed ($serial)" || fail "no serial printed" "$out"
expect 0 "openssl: poison is critical" -- sh -c "openssl x509 -in '$T/pre.pem' -noout -text | grep -q 'CT Precertificate Poison: critical'"
expect 0 "openssl: precert has no SCT list" -- sh -c "! openssl x509 -in '$T/pre.pem' -noout -text | grep -q 'CT Precertificate SCTs'"
expect 0 "openssl: SAN as asked" -- sh -c "openssl x509 -in '$T/pre.pem' -noout -ext subjectAltName | grep -q 'DNS:www.example.com, DNS:example.com, IP Address:93.184.216.34'"
expect 0 "openssl: serial as printed" -- sh -c "openssl x509 -in '$T/pre.pem' -noout -serial | grep -qi '=$serial\$'"
expect 0 "openssl: precert key is the CSR's" -- bash -c "cmp <(openssl x509 -in '$T/pre.pem' -noout -pubkey) <(openssl pkey -in '$T/leaf.key' -pubout)"
expect 0 "openssl verify the precert's chain" -- openssl verify -ignore_critical -attime "$AT" -CAfile "$C/root.pem" -untrusted "$C/subordinate.pem" "$T/pre.pem"
expect 0 "python: precert profile" -- python3 "$src/tests/interop/check_profile.py" tls-server "$T/pre.pem" "$C/subordinate.pem"
[ "$(counts sub)" = "0 1 0" ] && ok "store: one precert" || fail "store counts $(counts sub)"
expect 0 "issue precert from an RSA public key" -- h issue precert --issuer sub --pubkey "$T/rsa.pub" --dns rsa.example.com --out "$T/pre-rsa.pem"

# ---------------------------------------------------------------- SCTs and final
expect 0 "ctlog sct (JSON)" -- h ctlog sct --key "$T/log1.key" --precert "$T/pre.pem" --issuer-cert "$C/subordinate.pem" --out "$T/sct1.json"
expect 0 "ctlog sct (TLS)" -- h ctlog sct --key "$T/log2.key" --precert "$T/pre.pem" --issuer-cert "$C/subordinate.pem" --format tls --out "$T/sct2.bin"
expect 0 "SCT JSON has the RFC 6962 fields" -- $py -c "import json,sys; d=json.load(open('$T/sct1.json')); assert set(d)=={'sct_version','id','timestamp','extensions','signature'}, d; assert d['timestamp']==${AT}000"
expect 0 "issue final" -- h issue final --issuer sub --precert "$T/pre.pem" --sct "$T/sct1.json" --sct "$T/sct2.bin" \
  --log-key "$T/log1.pub" --log-key "$T/log2.pub" --out "$T/final.pem"
expect 0 "openssl: final has the SCT list" -- sh -c "openssl x509 -in '$T/final.pem' -noout -text | grep -q 'CT Precertificate SCTs'"
expect 0 "openssl: final has no poison" -- sh -c "! openssl x509 -in '$T/final.pem' -noout -text | grep -q 'Poison'"
expect 0 "openssl: same serial" -- sh -c "[ \"\$(openssl x509 -in '$T/pre.pem' -noout -serial)\" = \"\$(openssl x509 -in '$T/final.pem' -noout -serial)\" ]"
expect 0 "openssl verify the final's chain" -- openssl verify -x509_strict -attime "$AT" -CAfile "$C/root.pem" -untrusted "$C/subordinate.pem" "$T/final.pem"
expect 0 "python: final profile" -- python3 "$src/tests/interop/check_profile.py" tls-server "$T/final.pem" "$C/subordinate.pem"
# RFC 6962 §3.2 via python3-cryptography: the final's TBS minus the SCT list
# is the precert's TBS minus the poison.
cat > "$T/corr.py" <<'EOF'
import sys
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
pre = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
fin = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
assert fin.extensions.get_extension_for_oid(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS).critical is False
poison = pre.extensions.get_extension_for_oid(ExtensionOID.PRECERT_POISON)
assert poison.critical, "poison must be critical"
# Rebuild the precert TBS without the poison, independently: drop the
# poison's DER from the extensions SEQUENCE and fix the lengths.
def hdr(b, i):
    t = b[i]; l = b[i+1]; i += 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i:i+n], 'big'); i += n
    return t, l, i
def enc(t, body):
    n = len(body)
    if n < 0x80: return bytes([t, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([t, 0x80 | len(lb)]) + lb + body
tbs = pre.tbs_certificate_bytes
t, l, i = hdr(tbs, 0); body = tbs[i:i+l]
parts = []; j = 0
while j < len(body):
    t2, l2, k = hdr(body, j); parts.append(body[j:k+l2]); j = k + l2
exts = parts[-1]; assert exts[0] == 0xa3
t3, l3, k3 = hdr(exts, 0); seq = exts[k3:]
t4, l4, k4 = hdr(seq, 0); items = seq[k4:]
kept = []; j = 0
POISON = bytes.fromhex('060a2b06010401d679020403')
while j < len(items):
    t5, l5, k5 = hdr(items, j); e = items[j:k5+l5]
    if POISON not in e[:16]: kept.append(e)
    j = k5 + l5
new_exts = enc(0xa3, enc(0x30, b''.join(kept)))
want = enc(0x30, b''.join(parts[:-1]) + new_exts)
assert fin.tbs_precertificate_bytes == want, "final does not correspond to the precertificate"
scts = fin.extensions.get_extension_for_oid(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS).value
assert len(scts) == int(sys.argv[3]), len(scts)
for s in scts:
    assert s.entry_type == x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE
print("ok")
EOF
expect 0 "python: tbs_precertificate_bytes(final) == precert TBS without poison" -- $py "$T/corr.py" "$T/pre.pem" "$T/final.pem" 2
expect 0 "python: SCT signatures verify over the precert entry (ct_check.py)" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$C/subordinate.pem" --log-key "$T/log1.pub" --log-key "$T/log2.pub" "$T/pre.pem" "$T/final.pem"
expect 1 "python: ct_check.py rejects the SCTs with other log keys" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$C/root.pem" --log-key "$T/log1.pub" --log-key "$T/log2.pub" "$T/pre.pem" "$T/final.pem"
expect 0 "hsmca verify (OpenSSL CT validation, chain, correspondence)" -- \
  h verify --precert "$T/pre.pem" --final "$T/final.pem" --issuer-cert "$C/subordinate.pem" --root "$C/root.pem" --log-key "$T/log1.pub" --log-key "$T/log2.pub"
contains "OpenSSL validated both SCTs" "OpenSSL CT validation: 2 of 2 embedded SCTs valid"
expect 1 "hsmca verify fails with the wrong log keys" -- \
  h verify --final "$T/final.pem" --issuer-cert "$C/subordinate.pem" --log-key "$T/log3.pub"
contains "OpenSSL rejects unknown-log SCTs" "OpenSSL rejects 2 SCT"
[ "$(counts sub)" = "0 1 1" ] && ok "store: one precert-only, one final" || fail "store counts $(counts sub)"
expect 0 "sqlite3: two SCT rows for the final" -- sh -c "[ \$(sqlite3 '$db' \"select count(*) from scts where serial = x'$serial'\") = 2 ]"

# ---------------------------------------------------------------- refusals at final
expect 1 "a second final is refused" -- h issue final --issuer sub --serial "$serial" --sct "$T/sct1.json" --log-key "$T/log1.pub" --out "$T/final2.pem"
contains "second final explained" "already has its final certificate"
[ ! -e "$T/final2.pem" ] && ok "no second final written" || fail "final2.pem exists"
expect 1 "unknown serial" -- h issue final --issuer sub --serial 0102030405 --sct "$T/sct1.json" --log-key "$T/log1.pub"
contains "unknown serial explained" "no precertificate with serial 0102030405"
expect 1 "precert of another issuer" -- h issue final --issuer root --precert "$T/pre-rsa.pem" --sct "$T/sct1.json" --log-key "$T/log1.pub"
contains "other issuer explained" "not issued by 'root'"
openssl x509 -in "$T/pre-rsa.pem" -outform DER -out "$T/pre-rsa.der"
flip_byte "$T/pre-rsa.der" 1
expect 1 "tampered precert" -- h issue final --issuer sub --precert "$T/pre-rsa.der" --sct "$T/sct1.json" --log-key "$T/log1.pub"
contains "tampered precert explained" "differs from the one issuer 'sub' issued"
h ctlog sct --key "$T/log1.key" --precert "$T/pre.pem" --issuer-cert "$C/subordinate.pem" --out "$T/sct-other.json" >/dev/null
expect 1 "an SCT over another precert" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-other.json" --log-key "$T/log1.pub"
contains "SCT over another precert: signature refused" "SCT 1 from log"
expect 1 "an SCT from an unknown log" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct1.json" --log-key "$T/log2.pub"
contains "unknown log explained" "not one of the 1 configured logs"
h ctlog sct --key "$T/log1.key" --precert "$T/pre-rsa.pem" --issuer-cert "$C/subordinate.pem" --format tls --out "$T/sct-rsa.bin" >/dev/null
cp "$T/sct-rsa.bin" "$T/sct-bad.bin"
flip_byte "$T/sct-bad.bin" 3
expect 1 "an SCT with a bad signature" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-bad.bin" --log-key "$T/log1.pub"
contains "bad SCT signature explained" "signature does not verify"
head -c 20 "$T/sct-rsa.bin" > "$T/sct-short.bin"
expect 1 "a truncated SCT" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-short.bin" --log-key "$T/log1.pub"
contains "truncated SCT named" "sct-short.bin"
echo '{"sct_version":0,"id":"AAAA","timestamp":1,"extensions":"","signature":""}' > "$T/sct-badjson.json"
expect 1 "a malformed SCT JSON" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-badjson.json" --log-key "$T/log1.pub"
contains "malformed SCT JSON named" "sct-badjson.json"
expect 1 "two SCTs from one log" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-rsa.bin" --sct "$T/sct-rsa.bin" --log-key "$T/log1.pub"
[ "$(counts sub)" = "0 1 1" ] && ok "refused finals changed nothing" || fail "store counts $(counts sub)"
expect 0 "the RSA precert is still finishable" -- h issue final --issuer sub --precert "$T/pre-rsa.pem" --sct "$T/sct-rsa.bin" --log-key "$T/log1.pub" --out "$T/final-rsa.pem"

# A foreign precert with our issuer's name and a serial whose top bit is set
# (DER 00 pad): reported as never issued, not mangled into a negative serial.
openssl ecparam -name prime256v1 -genkey -noout -out "$T/fake.key" 2>/dev/null
openssl req -x509 -new -key "$T/fake.key" -subj "$(openssl x509 -in "$C/subordinate.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" -days 30 -out "$T/fake-ca.pem" 2>/dev/null
openssl req -new -key "$T/fake.key" -subj "/CN=forged.example.com" -out "$T/fake.csr" 2>/dev/null
openssl x509 -req -in "$T/fake.csr" -CA "$T/fake-ca.pem" -CAkey "$T/fake.key" -set_serial 0x80112233445566778899 -days 10 -out "$T/fake-pre.pem" 2>/dev/null
expect 1 "foreign precert with a top-bit serial" -- h issue final --issuer sub --precert "$T/fake-pre.pem" --sct "$T/sct1.json" --log-key "$T/log1.pub"
contains "top-bit serial looked up with its 00 pad" "never issued serial 0080112233445566778899"

# ---------------------------------------------------------------- refusals at precert: no serial used
before=$(counts sub)
bad_pre() { # name expected-text args...
  local name=$1 want=$2; shift 2
  expect 1 "precert refused: $name" -- h issue precert --issuer sub "$@"
  contains "precert refused: $name: message" "$want"
}
openssl req -new -key "$T/leaf.key" -subj "/CN=x" -outform DER -out "$T/bad.csr" 2>/dev/null
flip_byte "$T/bad.csr" 2
bad_pre "CSR with a bad signature" "signature does not verify" --csr "$T/bad.csr" --dns a.example.com
echo "not a request" > "$T/junk.csr"
bad_pre "garbage CSR" "not a DER or PEM certificate request" --csr "$T/junk.csr" --dns a.example.com
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/weak.key" 2>/dev/null
openssl pkey -in "$T/weak.key" -pubout -out "$T/weak.pub"
bad_pre "RSA-1024 key" "1024" --pubkey "$T/weak.pub" --dns a.example.com
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$T/k1.key" 2>/dev/null
openssl pkey -in "$T/k1.key" -pubout -out "$T/k1.pub"
bad_pre "secp256k1 key" "secp256k1" --pubkey "$T/k1.pub" --dns a.example.com
# BR 6.1.1.3 (4): weak keys, made by a script of ours with python3-cryptography
$py "$src/tests/interop/weak_rsa.py" roca "$T/roca.pub"
bad_pre "ROCA key" "ROCA fingerprint" --pubkey "$T/roca.pub" --dns a.example.com
$py "$src/tests/interop/weak_rsa.py" fermat "$T/fermat.pub"
bad_pre "close primes" "Fermat's method in round 1" --pubkey "$T/fermat.pub" --dns a.example.com
bad_pre "no names" "at least one DNS name or IP address" --csr "$T/leaf.csr"
bad_pre "malformed DNS name" "bad..example.com" --csr "$T/leaf.csr" --dns bad..example.com
bad_pre "internal name" "printer.local" --csr "$T/leaf.csr" --dns printer.local
bad_pre "reserved IP" "10.1.2.3" --csr "$T/leaf.csr" --ip 10.1.2.3
bad_pre "bad IP text" "300.1.2.3" --csr "$T/leaf.csr" --ip 300.1.2.3
bad_pre "wildcard not leftmost" "a.*.example.com" --csr "$T/leaf.csr" --dns 'a.*.example.com'
bad_pre "wildcard on a TLD" "*.com" --csr "$T/leaf.csr" --dns '*.com'
bad_pre "profile of another kind" "subordinate" --csr "$T/leaf.csr" --dns a.example.com --profile subordinate
[ "$(counts sub)" = "$before" ] && ok "refused precerts used no serial" || fail "store counts $before -> $(counts sub)"
# The date-dependent validity limit (BR 6.3.2): 199 days is fine now, not
# after 2027-03-15 (100 days).
expect 1 "199-day precert refused on 2027-03-16" -- "$hsmca" --now 2027-03-16T00:00:00Z --state "$S" issue precert --issuer sub --csr "$T/leaf.csr" --dns a.example.com
contains "validity lint named" "validity"
echo x > "$T/exists.pem"
expect 1 "existing --out refused before anything" -- h issue precert --issuer sub --csr "$T/leaf.csr" --dns a.example.com --out "$T/exists.pem"
[ "$(counts sub)" = "$before" ] && ok "still no serial used" || fail "store counts $before -> $(counts sub)"

# ---------------------------------------------------------------- deliberate lint skips (loopback test certificates)
expect 1 "127.0.0.1 is refused by default" -- h issue precert --issuer sub --csr "$T/leaf.csr" --ip 127.0.0.1 --out "$T/lo.pem"
contains "loopback lint named" "cabf.leaf.san.reserved_ip"
expect 0 "127.0.0.1 with --skip-lint" -- h issue precert --issuer sub --csr "$T/leaf.csr" --ip 127.0.0.1 --skip-lint cabf.leaf.san.reserved_ip --out "$T/lo.pem"
h ctlog sct --key "$T/log1.key" --precert "$T/lo.pem" --issuer-cert "$C/subordinate.pem" --out "$T/lo.sct" >/dev/null
expect 1 "its final without the skip is refused" -- h issue final --issuer sub --precert "$T/lo.pem" --sct "$T/lo.sct" --log-key "$T/log1.pub"
contains "final lint named" "cabf.leaf.san.reserved_ip"
expect 0 "its final with the same skip" -- h issue final --issuer sub --precert "$T/lo.pem" --sct "$T/lo.sct" --log-key "$T/log1.pub" --skip-lint cabf.leaf.san.reserved_ip --out "$T/lo-final.pem"
expect 0 "openssl: the loopback final verifies for 127.0.0.1" -- openssl verify -attime "$AT" -CAfile "$C/root.pem" -untrusted "$C/subordinate.pem" -verify_ip 127.0.0.1 "$T/lo-final.pem"

# ---------------------------------------------------------------- crash consistency
crash() { # point -> exit 99 expected
  expect 99 "crash $1" -- env HSMCA_FAULT="$1" "$hsmca" --now "$NOW" --state "$S" "${@:2}"
}
c0=$(counts sub)
crash after-reserve issue precert --issuer sub --csr "$T/leaf.csr" --dns crash1.example.com --out "$T/c1.pem"
[ ! -e "$T/c1.pem" ] && ok "after-reserve: nothing returned" || fail "c1.pem written"
crash after-precert-sign issue precert --issuer sub --csr "$T/leaf.csr" --dns crash2.example.com --out "$T/c2.pem"
read -r r p f <<<"$(counts sub)"; read -r r0 p0 f0 <<<"$c0"
[ "$r" -eq $((r0 + 2)) ] && [ "$p" -eq "$p0" ] && ok "crashes before recording: 2 serials reserved, none assigned" || fail "counts $c0 -> $r $p $f"
crash after-precert-record issue precert --issuer sub --csr "$T/leaf.csr" --dns crash3.example.com --out "$T/c3.pem"
[ ! -e "$T/c3.pem" ] && ok "after-precert-record: file not written" || fail "c3.pem written"
read -r r p f <<<"$(counts sub)"
[ "$p" -eq $((p0 + 1)) ] && ok "after-precert-record: the precert is assigned" || fail "counts $r $p $f"
# It can be finished later: take it from the store with sqlite3.
cs=$(sqlite3 "$db" "select hex(serial) from serials where state='precert' and hex(precert_der) like '%'||hex('crash3.example.com')||'%'")
sqlite3 "$db" "select hex(precert_der) from serials where hex(serial)='$cs'" | xxd -r -p > "$T/c3.der"
# The same precert through the CLI: cert export recovers what the crash
# never wrote out.
expect 0 "cert show: precert state" -- h cert show --issuer sub --serial "$cs"
contains "cert show says precert" "state: precert"
expect 0 "cert export --precert" -- h cert export --issuer sub --serial "$cs" --precert --out "$T/c3-export.pem"
expect 0 "exported precert equals the stored bytes (openssl)" -- sh -c "openssl x509 -in '$T/c3-export.pem' -outform DER | cmp - '$T/c3.der'"
expect 1 "cert export of a final that does not exist yet" -- h cert export --issuer sub --serial "$cs"
contains "no final explained" "has no final certificate (state precert)"
expect 1 "cert export never overwrites" -- h cert export --issuer sub --serial "$cs" --precert --out "$T/c3-export.pem"
expect 1 "cert show of an unknown serial" -- h cert show --issuer sub --serial 0a0b0c
contains "unknown serial named" "never reserved serial 0a0b0c"
expect 2 "cert show with a bad serial" -- h cert show --issuer sub --serial xyz
expect 0 "the crashed precert verifies" -- openssl verify -ignore_critical -attime "$AT" -CAfile "$C/root.pem" -untrusted "$C/subordinate.pem" "$T/c3.der"
h ctlog sct --key "$T/log1.key" --precert "$T/c3.der" --issuer-cert "$C/subordinate.pem" --out "$T/c3.sct" >/dev/null
crash after-final-sign issue final --issuer sub --serial "$cs" --sct "$T/c3.sct" --log-key "$T/log1.pub" --out "$T/c3f.pem"
[ ! -e "$T/c3f.pem" ] && ok "after-final-sign: nothing returned" || fail "c3f.pem written"
expect 0 "sqlite3: still precert-only after the crash" -- sh -c "[ \$(sqlite3 '$db' \"select state from serials where hex(serial)='$cs'\") = precert ]"
# The final was claimed (its TBS hash committed) before the token signed it:
# another SCT list means another final, which the token may never sign now.
expect 0 "cert show names the claim" -- h cert show --issuer sub --serial "$cs"
contains "cert show: final-claimed line" "final-claimed: "
expect 0 "sqlite3: the crashed final is claimed" -- sh -c "[ \$(sqlite3 '$db' \"select count(*) from final_claims where hex(serial)='$cs'\") = 1 ]"
h ctlog sct --key "$T/log2.key" --precert "$T/c3.der" --issuer-cert "$C/subordinate.pem" --out "$T/c3-other.sct" >/dev/null
expect 1 "after the crash, a final with other SCTs is refused" -- h issue final --issuer sub --serial "$cs" --sct "$T/c3-other.sct" --log-key "$T/log2.pub" --out "$T/c3f.pem"
contains "refusal says to use the same SCTs" "finish it with the same SCTs in the same order"
[ ! -e "$T/c3f.pem" ] && ok "refused: nothing written" || fail "c3f.pem written"
# Without --sct: finished with the SCT the claim kept (the one of c3.sct).
expect 0 "finish it after the crash, with the claimed SCTs (no --sct)" -- h issue final --issuer sub --serial "$cs" --log-key "$T/log1.pub" --out "$T/c3f.pem"
expect 0 "python: the final finished from the claim corresponds, its SCT verifies (log1)" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$C/subordinate.pem" --log-key "$T/log1.pub" "$T/c3.der" "$T/c3f.pem"
# Cut after the claim, before the token signs: the same SCTs finish it.
expect 0 "precert for the claim crash" -- h issue precert --issuer sub --csr "$T/leaf.csr" --dns crash4.example.com --out "$T/c4.pem"
h ctlog sct --key "$T/log1.key" --precert "$T/c4.pem" --issuer-cert "$C/subordinate.pem" --out "$T/c4.sct" >/dev/null
expect 1 "a precert without a claim needs --sct" -- h issue final --issuer sub --precert "$T/c4.pem" --log-key "$T/log1.pub" --out "$T/c4none.pem"
contains "no-claim refusal explained" "has no claimed final"
crash after-final-claim issue final --issuer sub --precert "$T/c4.pem" --sct "$T/c4.sct" --log-key "$T/log1.pub" --out "$T/c4f.pem"
[ ! -e "$T/c4f.pem" ] && ok "after-final-claim: nothing returned" || fail "c4f.pem written"
expect 0 "after-final-claim: the same SCTs finish it" -- h issue final --issuer sub --precert "$T/c4.pem" --sct "$T/c4.sct" --log-key "$T/log1.pub" --out "$T/c4f.pem"
expect 0 "python: the final after the claim crash corresponds to its precert" -- \
  $py "$src/tests/interop/ct_check.py" --issuer "$C/subordinate.pem" --log-key "$T/log1.pub" "$T/c4.pem" "$T/c4f.pem"
expect 0 "cert export of the final equals what issue final wrote" -- sh -c "'$hsmca' --state '$S' cert export --issuer sub --serial '$cs' | cmp - '$T/c3f.pem'"
expect 0 "cert show: final with one SCT" -- h cert show --issuer sub --serial "$cs"
contains "cert show counts the SCT" "scts: 1"
expect 0 "sqlite3: integrity_check ok" -- sh -c "sqlite3 '$db' 'PRAGMA integrity_check' | grep -qx ok"
# Every certificate hsmca returned has a distinct serial (read back from the
# files with openssl, not from our store).
expect 0 "openssl: all returned certificates have distinct serials" -- sh -c "for f in '$T/pre.pem' '$T/pre-rsa.pem' '$T/c3f.pem'; do openssl x509 -in \"\$f\" -noout -serial; done | sort | uniq -d | grep -q . && exit 1 || exit 0"

finish
