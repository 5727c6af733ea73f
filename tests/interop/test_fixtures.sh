#!/usr/bin/env bash
# hsmca fixtures (issue #8) on a fresh SoftHSM2 token: the corpus is made
# twice with the same seed and time, every file is checked against its label
# with tools hsmca did not write (openssl verify/ocsp/crl, certtool,
# python3-cryptography, python3-jsonschema; OpenSSL's SCT validation through
# hsmca verify), each negative certificate, CRL and OCSP response fails
# hsmca's lint for exactly its rule, and the two runs are compared
# (tests/interop/check_fixtures.py).
. "$(dirname "$0")/lib.sh"
new_softhsm
NOW=2026-11-28T12:00:00Z
O=hsmca-online-issuing
pin=$PINS/$O.user.pin
py=/usr/bin/python3   # Debian's python3 with python3-cryptography and python3-jsonschema
src=$HSMCA_SOURCE_DIR
fx() { "$hsmca" --now "$NOW" fixtures --token $O --pin-file "$pin" "$@"; }

expect 0 "hsmca --help" -- "$hsmca" --help
contains "the main help lists fixtures" "fixtures     a labelled corpus"
expect 0 "fixtures --help" -- "$hsmca" fixtures --help
contains "help names --seed" "--seed S"
contains "help shows how to make a token" "make-tokens.sh"
expect 2 "fixtures without --out" -- fx
expect 2 "fixtures with a bad key type" -- fx --out "$T/x" --key-types rsa1024
mkdir -p "$T/full" && touch "$T/full/something"
expect 1 "fixtures refuses a non-empty --out" -- fx --out "$T/full"
contains "non-empty explained" "is not empty"

# ---------------------------------------------------------------- two runs
expect 0 "fixtures run 1" -- fx --out "$T/a" --seed interop-seed
contains "run 1 summary" "invalid"
contains "run 1 destroys the keys it imported" "imported ones destroyed"
expect 0 "no fixture key left in the token" -- sh -c "! '$hsmca' hsm keys --token $O --pin-file '$pin' | grep -q hsmca-fixture-"
expect 0 "fixtures run 2 (same seed and time)" -- fx --out "$T/b" --seed interop-seed
[ -f "$T/a/manifest.json" ] && [ ! -e "$T/a/.work" ] && ok "manifest written, work store removed" \
  || fail "manifest or work store"

# ---------------------------------------------------------------- every file, per its label
expect 0 "every fixture checked by independent tools" -- \
  $py "$src/tests/interop/check_fixtures.py" "$hsmca" "$T/a" "$src/docs/fixtures.schema.json"
tail -1 <<<"$out" | grep -q " 0 failed" && ok "$(tail -1 <<<"$out")" || fail "checks" "$(grep FAIL <<<"$out")"

# ---------------------------------------------------------------- fixtures lint on CRLs and OCSP responses
lint() { "$hsmca" --now "$NOW" fixtures lint "$@"; }
expect 2 "fixtures lint --kind crl needs the signer" -- lint "$T/a/invalid/crl-sigalg-mismatch.crl" --kind crl
contains "... and says so" "needs --issuer"
expect 1 "fixtures lint refuses a CRL whose two algorithms differ" -- \
  lint "$T/a/invalid/crl-sigalg-mismatch.crl" --kind crl --issuer "$T/a/invalid/hierarchy/subordinate.der"
contains "... for RFC 5280 §5.1.1.2" "rfc5280.crl.signature_algorithm_match error"
expect 0 "fixtures lint passes a valid CRL" -- \
  lint "$T/a/valid/p384/subordinate.crl" --kind crl --issuer "$T/a/valid/p384/subordinate.der"
expect 1 "fixtures lint refuses an OCSP response signed with SHA-256 by a P-384 key" -- \
  lint "$T/a/invalid/ocsp-sigalg-p384-sha256.der" --kind ocsp-response \
  --issuer "$T/a/invalid/hierarchy/subordinate-p384.der"
contains "... for BR 7.1.3.2.2" "cabf.ocsp.signature_algorithm_signer_key error"
expect 0 "fixtures lint: an unsigned error response has nothing to judge" -- \
  lint "$T/a/invalid/ocsp-nonce-15-octets.der" --kind ocsp-response --issuer "$T/a/invalid/hierarchy/ocsp-responder.der"
expect 1 "fixtures lint: a CRL is not an OCSP response" -- \
  lint "$T/a/valid/p256/root.crl" --kind ocsp-response --issuer "$T/a/valid/p256/root.der"
contains "... says what it is not" "responseStatus has tag 0x30"

# ---------------------------------------------------------------- reproducibility
expect 0 "two runs: byte-identical where byte_stable, same TBS elsewhere" -- \
  $py "$src/tests/interop/check_fixtures.py" --compare "$T/a" "$T/b"
expect 0 "RSA fixtures are byte-identical" -- cmp "$T/a/valid/rsa2048/final.der" "$T/b/valid/rsa2048/final.der"
expect 0 "ECDSA signatures differ (randomized), the manifest says so" -- $py -c "
import json; m = json.load(open('$T/a/manifest.json'))
f = {x['path']: x for x in m['files']}
assert not f['valid/p256/final.der']['byte_stable'] and f['valid/rsa3072/final.der']['byte_stable']"
expect 0 "another seed gives other keys and serials" -- fx --out "$T/c" --seed other-seed --key-types p256 --valid-only
expect 0 "... and other root keys" -- sh -c "! cmp -s '$T/a/valid/p256/root.der' '$T/c/valid/p256/root.der'"

# ---------------------------------------------------------------- keys in the token
expect 0 "--keep-keys leaves the imported keys" -- fx --out "$T/d" --seed keep --key-types p256 --valid-only --keep-keys
expect 0 "kept keys are listed, sensitive and not extractable" -- sh -c \
  "'$hsmca' hsm keys --token $O --pin-file '$pin' | grep -c hsmca-fixture- | grep -qx 3"
expect 0 "a second run reuses the kept keys" -- fx --out "$T/e" --seed keep --key-types p256 --valid-only
contains "reuse reported" "3 reused"
expect 0 "reused keys give the same TBS" -- $py "$src/tests/interop/check_fixtures.py" --compare "$T/d" "$T/e"

finish
