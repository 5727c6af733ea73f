#!/usr/bin/env bash
# Key ceremonies end to end on fresh SoftHSM2 tokens. Everything the
# ceremony makes is checked with tools we did not write: openssl verify/crl,
# GnuTLS certtool, and python3-cryptography (check_profile.py).
. "$(dirname "$0")/lib.sh"
new_softhsm
export HSMCA_HSM_DIR=$T/hsm
NOW=2026-11-28T12:00:00Z
AT=$(date -d "$NOW" +%s)
src=$HSMCA_SOURCE_DIR
overlay=$src/hsm/ceremonies/softhsm.hsm.yaml
check=$src/tests/interop/check_profile.py
R=hsmca-offline-root
O=hsmca-online-issuing
run() { "$hsmca" --now "$NOW" ceremony run "$@"; }

# What the tokens hold and what a directory holds, to prove refusals changed
# nothing.
token_state() {
  for t in $R $O; do "$hsmca" hsm keys --token $t --pin-file "$PINS/$t.user.pin" | tail -n +3; done
}
dir_state() { ls -A "$1" 2>/dev/null | sort; }

# ---------------------------------------------------------------- help
expect 0 "ceremony --help" -- "$hsmca" ceremony --help
expect 0 "ceremony run --help" -- "$hsmca" ceremony run --help
contains "run --help names --hsm" "--hsm FILE"
expect 0 "verify-transcript --help" -- "$hsmca" ceremony verify-transcript --help
expect 2 "run without a script" -- "$hsmca" ceremony run
expect 2 "run with an unknown option" -- "$hsmca" ceremony run x.yaml --bogus

# ---------------------------------------------------------------- --check writes nothing
tb=$(token_state)
expect 0 "--check" -- run "$src/hsm/ceremonies/rehearsal.yaml" --hsm "$overlay" --out "$T/checkonly" --check
[ ! -e "$T/checkonly" ] && ok "--check created nothing" || fail "--check wrote files"
[ "$(token_state)" = "$tb" ] && ok "--check: tokens unchanged" || fail "--check changed the tokens"

# ---------------------------------------------------------------- rehearsal (ECDSA)
od=$T/rehearsal
expect 0 "rehearsal ceremony" -- run "$src/hsm/ceremonies/rehearsal.yaml" --hsm "$overlay" --out "$od"
head=$(sed -n 's/^transcript head: //p' <<<"$out")
[ ${#head} -eq 64 ] && ok "head hash printed" || fail "no head hash" "$out"
for f in root.pem subordinate.pem ocsp-responder.pem root.crl transcript.log root-key.pub.pem issuing-key.pub.pem ocsp-key.pub.pem; do
  [ -s "$od/$f" ] && ok "rehearsal made $f" || fail "rehearsal did not make $f"
done
[ -z "$(ls -A "$od" | grep '^\.hsmca')" ] && ok "no staging left" || fail "staging directory left" "$(ls -A "$od")"
expect 0 "openssl verify root -> subordinate -> responder" -- \
  openssl verify -x509_strict -attime "$AT" -CAfile "$od/root.pem" -untrusted "$od/subordinate.pem" "$od/subordinate.pem" "$od/ocsp-responder.pem"
expect 0 "certtool --verify-chain" -- sh -c "cat '$od/ocsp-responder.pem' '$od/subordinate.pem' '$od/root.pem' | faketime '2026-11-28 12:00:01' certtool --verify-chain"
contains "certtool trusts the chain" "Verified"
expect 0 "python: root profile" -- python3 "$check" root "$od/root.pem"
expect 0 "python: subordinate profile" -- python3 "$check" subordinate "$od/subordinate.pem" "$od/root.pem"
expect 0 "python: responder profile" -- python3 "$check" ocsp-responder "$od/ocsp-responder.pem" "$od/subordinate.pem"
expect 0 "openssl: root is P-384 with ecdsa-with-SHA384" -- sh -c "openssl x509 -in '$od/root.pem' -noout -text | grep -q 'ecdsa-with-SHA384' && openssl x509 -in '$od/root.pem' -noout -text | grep -q 'NIST CURVE: P-384'"
expect 0 "openssl: 25-year root ends in 2051 (GeneralizedTime)" -- sh -c "openssl asn1parse -in '$od/root.pem' | grep -q 'GENERALIZEDTIME.*2051'"
expect 0 "openssl: root public key matches the token's" -- sh -c "openssl x509 -in '$od/root.pem' -noout -pubkey | cmp - '$od/root-key.pub.pem'"
expect 0 "openssl crl -verify" -- openssl crl -inform DER -in "$od/root.crl" -CAfile "$od/root.pem" -noout
expect 0 "CRL: v2, number 1, no revoked list" -- sh -c "openssl crl -inform DER -in '$od/root.crl' -noout -text | grep -q 'Version 2' && openssl crl -inform DER -in '$od/root.crl' -noout -text | grep -q 'No Revoked Certificates'"
expect 0 "verify-transcript with output hashes" -- "$hsmca" ceremony verify-transcript "$od/transcript.log" --files "$od" --head "$head"
contains "transcript entries counted" "9 entries"
# The transcript records what a ceremony must (issue #3).
tr=$od/transcript.log
for k in "token: offline label=$R serial=" "key: hsmca-root-key type=p384 id=" "spki-sha256=" \
         "output: root.pem sha256=" "lint: passed" "verify-chain: ok" "profile-file: root sha256=" \
         "attributes: sensitive=1 extractable=0"; do
  grep -qF -- "$k" "$tr" && ok "transcript has '$k'" || fail "transcript lacks '$k'"
done
# Keys stayed in the tokens: sensitive, never extractable (pkcs11-tool).
expect 0 "pkcs11-tool: root key never extractable" -- sh -c "pkcs11-tool --module $module --token-label $R --login --pin \$(cat '$PINS/$R.user.pin') --list-objects --type privkey | grep -A4 hsmca-root-key | grep -q 'never extractable'"

# ---------------------------------------------------------------- a second run is refused before the tokens
before=$(token_state); dbefore=$(dir_state "$od")
expect 1 "second run refused" -- run "$src/hsm/ceremonies/rehearsal.yaml" --hsm "$overlay" --out "$od"
contains "second run: outputs exist" "already exists"
[ "$(token_state)" = "$before" ] && ok "second run: tokens unchanged" || fail "second run changed the tokens"
[ "$(dir_state "$od")" = "$dbefore" ] && ok "second run: output dir unchanged" || fail "second run changed $od"

# ---------------------------------------------------------------- transcript tampering
tamper() { # name sed-expression
  cp "$tr" "$T/t.log"; sed -i "$2" "$T/t.log"
  expect 1 "tampering detected: $1" -- "$hsmca" ceremony verify-transcript "$T/t.log"
}
tamper "edited value" 's/^lint: passed/lint: passed!/'
tamper "edited serial" '0,/^serial: /s//serial: ff/'
tamper "removed entry" '/^--- entry 3$/,/^hash: /d'
awk 'BEGIN{e=0} /^--- entry /{e++} {print > ("'"$T"'/part" e)}' "$tr"
cat "$T/part0" "$T/part1" "$T/part3" "$T/part2" "$T/part4" "$T/part5" "$T/part6" "$T/part7" "$T/part8" "$T/part9" > "$T/t.log"
expect 1 "tampering detected: reordered entries" -- "$hsmca" ceremony verify-transcript "$T/t.log"
contains "reorder reported" "entry"
head -n "$(grep -n '^--- entry 9$' "$tr" | cut -d: -f1)" "$tr" | head -n -1 > "$T/t.log"
expect 0 "truncated transcript still chains" -- "$hsmca" ceremony verify-transcript "$T/t.log"
expect 1 "truncation detected with --head" -- "$hsmca" ceremony verify-transcript "$T/t.log" --head "$head"
cp -r "$od" "$T/copy"; echo x >> "$T/copy/subordinate.pem"
expect 1 "modified output detected with --files" -- "$hsmca" ceremony verify-transcript "$T/copy/transcript.log" --files "$T/copy"
contains "modified output named" "subordinate.pem"

# ---------------------------------------------------------------- RSA, CSR, revocation, constraints, legacy
mkdir -p "$T/rsa"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa/csr.key" -subj "/CN=ignored" -out "$T/rsa/sub.csr" 2>/dev/null
cp "$src/profiles/subordinate.yaml" "$T/constrained.yaml"
cat >> "$T/constrained.yaml" <<'EOF'
  - name_constraints:
      permitted:
        dns: [example.test]
      excluded:
        ip: [0.0.0.0/0, "::/0"]
EOF
cat > "$T/rsa.yaml" <<EOF
ceremony: RSA hierarchy
base_url: http://127.0.0.1:9999
hsm: $overlay
steps:
  - key: {token: offline, label: rsa-root, type: rsa3072}
  - root:
      token: offline
      key: rsa-root
      profile: root
      subject: {C: XX, O: hsmca Test, CN: RSA Root}
      output: root.pem
  - key: {token: online, label: rsa-sub, type: rsa2048}
  - intermediate:
      token: offline
      key: rsa-root
      issuer: root.pem
      profile: subordinate
      subject: {C: XX, O: hsmca Test, CN: RSA Sub from token}
      public_key: rsa-sub.pub.pem
      output: sub.pem
  - intermediate:
      token: offline
      key: rsa-root
      issuer: root.pem
      profile: subordinate
      subject: {C: XX, O: hsmca Test, CN: RSA Sub from CSR}
      csr: sub.csr
      output: sub-csr.der
  - intermediate:
      token: offline
      key: rsa-root
      issuer: root.pem
      profile: ./constrained.yaml
      subject: {C: XX, O: hsmca Test, CN: Constrained Sub}
      public_key: rsa-sub.pub.pem
      output: constrained.pem
  - intermediate:
      token: offline
      key: rsa-root
      issuer: root.pem
      profile: precert-signer
      allow_legacy: true
      skip_lints: [cabf.precert_signer.forbidden]
      subject: {C: XX, O: hsmca Test, CN: Legacy Precert Signer}
      public_key: rsa-sub.pub.pem
      output: psc.pem
  - crl:
      token: offline
      key: rsa-root
      issuer: root.pem
      number: 7
      next_update_days: 30
      revoke:
        - {certificate: sub-csr.der, reason: keyCompromise, time: "2026-11-27T00:00:00Z"}
      output: root.crl.pem
EOF
expect 0 "RSA ceremony (token key, CSR, constraints, legacy PSC, CRL)" -- run "$T/rsa.yaml" --out "$T/rsa"
contains "skipped lint shown" "cabf.precert_signer.forbidden"
o=$T/rsa
expect 0 "openssl verify RSA chain" -- openssl verify -x509_strict -attime "$AT" -CAfile "$o/root.pem" "$o/sub.pem" "$o/constrained.pem"
expect 0 "openssl verify the CSR's certificate (DER)" -- sh -c "openssl x509 -inform DER -in '$o/sub-csr.der' -out '$T/sub-csr.pem' && openssl verify -attime $AT -CAfile '$o/root.pem' '$T/sub-csr.pem'"
expect 0 "CSR certificate carries the CSR's key" -- bash -c "openssl x509 -in '$T/sub-csr.pem' -noout -pubkey | cmp - <(openssl pkey -in '$T/rsa/csr.key' -pubout)"
expect 0 "python: RSA root" -- python3 "$check" root "$o/root.pem"
expect 0 "python: RSA subordinate" -- python3 "$check" subordinate "$o/sub.pem" "$o/root.pem"
expect 0 "python: legacy precert signer" -- python3 "$check" precert-signer "$o/psc.pem" "$o/root.pem"
expect 0 "openssl: name constraints critical, IP excluded" -- sh -c "openssl x509 -in '$o/constrained.pem' -noout -text | grep -A6 'Name Constraints: critical' | grep -q 'IP:0.0.0.0/0.0.0.0'"
expect 0 "openssl: sha256WithRSAEncryption" -- sh -c "openssl x509 -in '$o/root.pem' -noout -text | grep -q sha256WithRSAEncryption"
expect 0 "openssl crl -verify (RSA, PEM)" -- openssl crl -in "$o/root.crl.pem" -CAfile "$o/root.pem" -noout
rserial=$(openssl x509 -in "$T/sub-csr.pem" -noout -serial | cut -d= -f2)
expect 0 "CRL lists the revoked CA with keyCompromise" -- sh -c "openssl crl -in '$o/root.crl.pem' -noout -text | grep -A4 'Serial Number: ${rserial#00}' | grep -q 'Key Compromise'"
expect 0 "CRL number 7" -- sh -c "openssl crl -in '$o/root.crl.pem' -noout -crlnumber | grep -q 'crlNumber=0x07'"
grep -q "skip-lint: cabf.precert_signer.forbidden" "$o/transcript.log" && ok "transcript records the skipped lint" || fail "skip not recorded"

# ---------------------------------------------------------------- bad scripts change nothing
# Each bad script runs against the rehearsal tokens; afterwards the tokens
# and the output directory must be exactly as before.
bad() { # name expected-text script-body
  local name=$1 want=$2
  printf '%s\n' "$3" > "$T/bad.yaml"
  rm -rf "$T/badout"; mkdir -p "$T/badout"; echo keep > "$T/badout/existing.pem"
  cp "$od/root.pem" "$T/badout/rootcopy.pem"
  local tb db; tb=$(token_state); db=$(dir_state "$T/badout")
  expect 1 "bad: $name" -- run "$T/bad.yaml" --hsm "${BAD_OVERLAY:-$overlay}" --out "$T/badout"
  contains "bad: $name: message" "$want"
  [ "$(token_state)" = "$tb" ] && ok "bad: $name: tokens unchanged" || fail "bad: $name changed the tokens" "$(diff <(echo "$tb") <(token_state))"
  [ "$(dir_state "$T/badout")" = "$db" ] && ok "bad: $name: output dir unchanged" || fail "bad: $name changed the output dir" "$(ls -A "$T/badout")"
}
ok_steps='steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root:
      token: offline
      key: fresh-key
      profile: root
      subject: {C: XX, O: T, CN: T}
      output: r.pem'
bad "unknown key" "bad.yaml:3: unknown key 'colour'" "ceremony: x
hsm: $overlay
colour: blue
$ok_steps"
bad "missing field" "missing required key 'subject'" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root: {token: offline, key: fresh-key, profile: root, output: r.pem}"
bad "wrong type" "bad.yaml:" "ceremony: x
hsm: $overlay
steps:
  - crl: {token: offline, key: hsmca-root-key, issuer: root.pem, number: lots, next_update_days: 30, output: c.crl}"
bad "key type the profile forbids" "does not allow rsa2048" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: rsa2048}
  - root: {token: offline, key: fresh-key, profile: root, subject: {C: XX, O: T, CN: T}, output: r.pem}"
bad "label that exists" "already has a key labelled 'hsmca-root-key'" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: hsmca-root-key, type: p384}"
bad "wrong token" "no private key with label 'hsmca-root-key'" "ceremony: x
hsm: $overlay
steps:
  - root: {token: online, key: hsmca-root-key, profile: root, subject: {C: XX, O: T, CN: T}, output: r.pem}"
bad "output that exists" "existing.pem already exists" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384, output: existing.pem}"
bad "subject the profile forbids" "does not allow subject attribute OU" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root: {token: offline, key: fresh-key, profile: root, subject: {C: XX, O: T, OU: U, CN: T}, output: r.pem}"
bad "legacy profile without allow_legacy" "allow_legacy: true" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root: {token: offline, key: fresh-key, profile: precert-signer, subject: {C: XX, O: T, CN: T}, output: r.pem}"
bad "unknown lint id" "not a lint id" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root: {token: offline, key: fresh-key, profile: root, skip_lints: [no.such.lint], subject: {C: XX, O: T, CN: T}, output: r.pem}"
printf 'kind: root\ncolour: red\n' > "$T/badprofile.yaml"
bad "bad profile" "badprofile.yaml:2: unknown key 'colour'" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384}
  - root: {token: offline, key: fresh-key, profile: ./badprofile.yaml, subject: {C: XX, O: T, CN: T}, output: r.pem}"
bad "profile URL without base_url" "uses {base_url}" "ceremony: x
hsm: $overlay
steps:
  - key: {token: online, label: fresh-key, type: p256}
  - intermediate: {token: offline, key: hsmca-root-key, issuer: existing.pem, profile: subordinate, subject: {C: XX, O: T, CN: T}, public_key: fresh-key.pub.pem, output: s.pem}"
bad "missing input" "input 'nothere.pem' is not in" "ceremony: x
hsm: $overlay
steps:
  - crl: {token: offline, key: hsmca-root-key, issuer: nothere.pem, number: 2, next_update_days: 30, output: c.crl}"
bad "issuer that is not the signing key's" "is not the key of issuer certificate" "ceremony: x
hsm: $overlay
steps:
  - crl: {token: online, key: hsmca-issuing-key, issuer: rootcopy.pem, number: 2, next_update_days: 30, output: c.crl}"
bad "issuer that is not a certificate" "not a DER or PEM certificate" "ceremony: x
hsm: $overlay
steps:
  - crl: {token: offline, key: hsmca-root-key, issuer: existing.pem, number: 2, next_update_days: 30, output: c.crl}"
echo wrong > "$T/wrong.pin"
sed "s|\${HSMCA_HSM_DIR}/pins/hsmca-offline-root.user.pin|$T/wrong.pin|" "$overlay" > "$T/wrongpin.hsm.yaml"
BAD_OVERLAY=$T/wrongpin.hsm.yaml bad "wrong PIN" "CKR_PIN_INCORRECT" "ceremony: x
$ok_steps"
sed -i 's/label: hsmca-offline-root/label: no-such-token/' "$T/wrongpin.hsm.yaml"
BAD_OVERLAY=$T/wrongpin.hsm.yaml bad "missing token" "no token with label 'no-such-token'" "ceremony: x
$ok_steps"

# ---------------------------------------------------------------- a failure mid-run undoes itself
# A custom root profile that lint rejects (BR 7.1.2.1.1: at least 2922 days):
# the key step has already run, so its key must be destroyed again and only
# the failed transcript may appear.
sed 's/^  days: 9131$/  days: 1000/' "$src/profiles/root.yaml" > "$T/shortroot.yaml"
tb=$(token_state)
rm -rf "$T/midout"
cat > "$T/mid.yaml" <<EOF
ceremony: fails at step 2
hsm: $overlay
steps:
  - key: {token: offline, label: doomed-key, type: p256}
  - root:
      token: offline
      key: doomed-key
      profile: ./shortroot.yaml
      subject: {C: XX, O: T, CN: Too Short}
      output: short-root.pem
EOF
expect 1 "lint failure stops the ceremony" -- run "$T/mid.yaml" --out "$T/midout"
contains "lint id named" "cabf.root.validity_period"
contains "generated key destroyed" "destroyed key 'doomed-key'"
[ "$(token_state)" = "$tb" ] && ok "mid-run failure: tokens as before" || fail "mid-run failure left a key" "$(token_state)"
nfailed=$(ls "$T/midout" | grep -c '^transcript.log.failed-' || true)
others=$(ls -A "$T/midout" | grep -vc '^transcript.log.failed-' || true)
[ "$nfailed" -eq 1 ] && [ "$others" -eq 0 ] && ok "mid-run failure: only the failed transcript" || fail "mid-run failure left files" "$(ls -A "$T/midout")"
expect 0 "failed transcript verifies" -- "$hsmca" ceremony verify-transcript "$T/midout"/transcript.log.failed-*
grep -q '^event: ceremony-abort' "$T/midout"/transcript.log.failed-* && ok "abort recorded" || fail "no abort entry"
grep -q '^destroyed-key: doomed-key' "$T/midout"/transcript.log.failed-* && ok "destroyed key recorded" || fail "destroyed key not recorded"
# The same failure again with the same fixed clock: the first failed
# transcript must not be lost (review finding).
expect 1 "second failing run" -- run "$T/mid.yaml" --out "$T/midout"
[ "$(ls "$T/midout" | grep -c '^transcript.log.failed-')" -eq 2 ] && ok "both failed transcripts kept" || fail "failed transcripts" "$(ls -A "$T/midout")"
# Outputs are plain names (a subdirectory used to fail only after keygen).
bad "output in a subdirectory" "must be a plain file name" "ceremony: x
hsm: $overlay
steps:
  - key: {token: offline, label: fresh-key, type: p384, output: keys/k.pem}"

finish
