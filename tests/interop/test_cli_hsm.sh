#!/usr/bin/env bash
# hsmca hsm ... end to end through the CLI, on fresh SoftHSM2 tokens, checked
# with OpenSC's pkcs11-tool and the openssl CLI.
. "$(dirname "$0")/lib.sh"
new_softhsm
R=hsmca-offline-root
O=hsmca-online-issuing
rpin=$PINS/$R.user.pin
opin=$PINS/$O.user.pin
list_priv() { # token pinfile
  pkcs11-tool --module $module --token-label "$1" --login --pin "$(cat "$2")" \
    --list-objects --type privkey 2>/dev/null
}

# --- help and usage: exit 0 for help, 2 for usage errors
expect 0 "hsmca --help" -- "$hsmca" --help
contains "main help lists hsm" "hsm "
expect 0 "hsmca --version" -- "$hsmca" --version
for c in tokens init-token keys keygen pubkey sign; do
  expect 0 "hsm $c --help" -- "$hsmca" hsm $c --help
  contains "hsm $c --help shows usage" "Usage: hsmca hsm $c"
done
expect 2 "no command" -- "$hsmca"
expect 2 "unknown command" -- "$hsmca" frobnicate
expect 2 "unknown hsm command" -- "$hsmca" hsm frobnicate
expect 2 "unknown option" -- "$hsmca" hsm tokens --bogus
expect 2 "keygen without --type" -- "$hsmca" hsm keygen --token $R --key k
expect 2 "keygen bad --type" -- "$hsmca" hsm keygen --token $R --key k --type rsa1024
contains "bad type named" "rsa1024"
expect 2 "bad --slot" -- "$hsmca" hsm keys --slot abc
expect 2 "bad --key-id" -- "$hsmca" hsm pubkey --token $R --key-id xyz
contains "bad --key-id named" "key-id"
# Options a command does not take are refused, not ignored.
expect 2 "tokens --key refused" -- "$hsmca" hsm tokens --key k
contains "tokens --key: named" "unknown or incomplete option '--key'"
expect 2 "tokens --pin-file refused" -- "$hsmca" hsm tokens --pin-file /dev/null
expect 2 "keys --key refused" -- "$hsmca" hsm keys --token $R --key k
expect 2 "init-token --token refused" -- "$hsmca" hsm init-token --token $R --label x --no-prompt
expect 2 "bad --now" -- "$hsmca" --now 2026-13-01T00:00:00Z hsm tokens
expect 2 "bad HSMCA_NOW" -- env HSMCA_NOW=yesterday "$hsmca" hsm tokens
contains "bad HSMCA_NOW named" "HSMCA_NOW"
expect 2 "pin-value in URI refused" -- "$hsmca" hsm pubkey --key "pkcs11:token=$R;object=k?pin-value=1234"
contains "pin-value explained" "pin-value"

# --- tokens
expect 0 "tokens" -- "$hsmca" hsm tokens
contains "tokens lists the root token" "$R"
contains "tokens lists the online token" "$O"
contains "tokens shows the free slot" "uninitialised"

# --- keygen for every type, checked by pkcs11-tool and openssl
for t in rsa2048 rsa3072 p256 p384; do
  expect 0 "keygen $t" -- "$hsmca" hsm keygen --token $R --key "k-$t" --type $t --pin-file "$rpin" --out "$T/k-$t.pem"
  expect 0 "openssl parses the $t public key" -- openssl pkey -pubin -in "$T/k-$t.pem" -noout
done
privs=$(list_priv $R "$rpin")
n=$(grep -c 'Private Key Object' <<<"$privs")
[ "$n" -eq 4 ] && ok "pkcs11-tool sees 4 private keys" || fail "pkcs11-tool sees $n private keys" "$privs"
n=$(grep -c 'Access: *sensitive, always sensitive, never extractable, local' <<<"$privs")
[ "$n" -eq 4 ] && ok "pkcs11-tool: all sensitive, never extractable" || fail "pkcs11-tool access flags" "$privs"
n=$(grep -c 'Usage: *sign$' <<<"$privs")
[ "$n" -eq 4 ] && ok "pkcs11-tool: usage sign only" || fail "pkcs11-tool usage" "$privs"
expect 0 "openssl: RSA modulus 3072" -- sh -c "openssl pkey -pubin -in '$T/k-rsa3072.pem' -text -noout | grep -q 'Public-Key: (3072 bit)'"
expect 0 "openssl: P-384 curve" -- sh -c "openssl pkey -pubin -in '$T/k-p384.pem' -text -noout | grep -q 'NIST CURVE: P-384'"

# --- keys listing
expect 0 "keys" -- "$hsmca" hsm keys --token $R --pin-file "$rpin"
contains "keys shows k-p256" "k-p256"
contains "keys shows protection" "sensitive,never-extractable,sign"

# --- pubkey equals what keygen wrote
expect 0 "pubkey by URI" -- "$hsmca" hsm pubkey --key "pkcs11:token=$R;object=k-p256" --pin-file "$rpin" --out "$T/again.pem"
expect 0 "pubkey matches keygen's" -- cmp "$T/k-p256.pem" "$T/again.pem"
id=$(awk '$1=="k-p256" {print $2}' <<<"$("$hsmca" hsm keys --token $R --pin-file "$rpin")")
expect 0 "pubkey by --key-id" -- "$hsmca" hsm pubkey --token $R --key-id "$id" --pin-file "$rpin"
expect 0 "pubkey by --key-id matches" -- sh -c "'$hsmca' hsm pubkey --token $R --key-id $id --pin-file '$rpin' | cmp - '$T/k-p256.pem'"

# --- sign and verify with openssl
echo "data to sign" > "$T/msg"
for t in rsa2048 p256 p384; do
  for d in sha256 sha384; do
    expect 0 "sign $t $d" -- "$hsmca" hsm sign --token $R --key "k-$t" --digest $d --pin-file "$rpin" --in "$T/msg" --out "$T/$t.$d.sig"
    expect 0 "openssl verifies $t $d" -- openssl dgst -$d -verify "$T/k-$t.pem" -signature "$T/$t.$d.sig" "$T/msg"
  done
done
echo "other data" > "$T/msg2"
expect 1 "openssl rejects the signature over other data" -- openssl dgst -sha256 -verify "$T/k-p256.pem" -signature "$T/p256.sha256.sig" "$T/msg2"
expect 2 "sign bad digest" -- "$hsmca" hsm sign --token $R --key k-p256 --digest md5 --pin-file "$rpin" --in "$T/msg" --out "$T/md5.sig"
[ ! -e "$T/md5.sig" ] && ok "no signature file for a bad digest" || fail "md5.sig was written"

# --- PIN sources: env, file; none -> clear error; never a retry
expect 0 "PIN from \$HSMCA_PIN" -- env HSMCA_PIN="$(cat "$rpin")" "$hsmca" hsm keys --token $R
expect 0 "PIN from --pin-env" -- env MYPIN="$(cat "$rpin")" "$hsmca" hsm keys --token $R --pin-env MYPIN
expect 0 "PIN from URI pin-source" -- "$hsmca" hsm pubkey --key "pkcs11:token=$R;object=k-p256?pin-source=file:$rpin"
expect 1 "no PIN source" -- env -u HSMCA_PIN "$hsmca" hsm keys --token $R --no-prompt
contains "no PIN explains how" "HSMCA_PIN"
echo wrong-pin > "$T/wrong.pin"
expect 1 "wrong PIN" -- "$hsmca" hsm keys --token $R --pin-file "$T/wrong.pin"
contains "wrong PIN names CKR_PIN_INCORRECT" "CKR_PIN_INCORRECT"
contains "wrong PIN says not retried" "not retried"
expect 0 "right PIN still works after one failure" -- "$hsmca" hsm keys --token $R --pin-file "$rpin"
: > "$T/empty.pin"
expect 1 "empty PIN file" -- "$hsmca" hsm keys --token $R --pin-file "$T/empty.pin"
expect 1 "missing PIN file" -- "$hsmca" hsm keys --token $R --pin-file "$T/nope.pin"
contains "missing PIN file named" "$T/nope.pin"
# The PIN must not show up in anything hsmca prints.
pin=$(cat "$rpin")
all=$("$hsmca" --log debug hsm keys --token $R --pin-file "$T/wrong.pin" 2>&1; "$hsmca" --log debug hsm keys --token $R --pin-file "$rpin" 2>&1)
grep -qF -- "$pin" <<<"$all" && fail "the PIN appears in hsmca's output" || ok "PIN never printed"

# --- refusals leave the token and files unchanged
before=$(list_priv $R "$rpin" | grep -c 'Private Key Object')
expect 1 "duplicate label refused" -- "$hsmca" hsm keygen --token $R --key k-p256 --type p256 --pin-file "$rpin"
contains "duplicate label named" "'k-p256'"
echo keep > "$T/exists.pem"
expect 1 "existing --out refused" -- "$hsmca" hsm keygen --token $R --key fresh --type p256 --pin-file "$rpin" --out "$T/exists.pem"
contains "existing output named" "$T/exists.pem"
[ "$(cat "$T/exists.pem")" = keep ] && ok "existing output untouched" || fail "existing output changed"
after=$(list_priv $R "$rpin" | grep -c 'Private Key Object')
[ "$before" -eq "$after" ] && ok "no key added by refused keygens" || fail "keys: $before -> $after"
expect 1 "sign refuses existing --out" -- "$hsmca" hsm sign --token $R --key k-p256 --pin-file "$rpin" --in "$T/msg" --out "$T/exists.pem"
[ "$(cat "$T/exists.pem")" = keep ] && ok "existing signature file untouched" || fail "existing file changed by sign"
ls -a "$T" | grep -q '^\.hsmca-tmp' && fail "temporary files left behind" || ok "no temporary files left"

# --- missing things
expect 1 "missing token" -- "$hsmca" hsm keys --token nosuch --pin-file "$rpin"
contains "missing token lists present ones" "$R"
expect 1 "missing key" -- "$hsmca" hsm pubkey --token $R --key nosuch --pin-file "$rpin"
contains "missing key named" "'nosuch'"
expect 1 "bad module" -- "$hsmca" --module /nonexistent/p11.so hsm tokens
contains "bad module named" "/nonexistent/p11.so"
expect 1 "bad module via env" -- env HSMCA_PKCS11_MODULE=/nonexistent/env.so "$hsmca" hsm tokens
contains "env module named" "/nonexistent/env.so"
slot=$("$hsmca" hsm tokens | awk '$NF=="uninitialised" {print $1}')
expect 1 "uninitialised token" -- "$hsmca" hsm keys --slot "$slot" --pin-file "$rpin"
contains "uninitialised explained" "not initialised"
expect 1 "init-token refuses an existing label" -- "$hsmca" hsm init-token --free --label $R --so-pin-file "$rpin" --pin-file "$rpin"

# --- review fixes
expect 2 "--key twice is refused" -- "$hsmca" hsm pubkey --key "pkcs11:token=$R;object=k-p256" --key "pkcs11:id=%01" --pin-file "$rpin"
contains "--key twice explained" "--key given twice"
ntok=$("$hsmca" hsm tokens | grep -c ready)
expect 2 "init-token refuses a label with a trailing space" -- "$hsmca" hsm init-token --free --label 'trail ' --so-pin-file "$rpin" --pin-file "$rpin"
[ "$("$hsmca" hsm tokens | grep -c ready)" -eq "$ntok" ] && [ "$("$hsmca" hsm tokens | grep -c uninitialised)" -eq 1 ] && ok "no token was erased" || fail "tokens changed" "$("$hsmca" hsm tokens)"
expect 2 "sign checks --digest before the token" -- "$hsmca" hsm sign --token $R --key k-p256 --digest md5 --pin-file "$T/wrong.pin" --in "$T/msg" --out "$T/md5b.sig"
contains "digest refused, not the PIN" "--digest 'md5'"

# --- one token's keys are not the other's
expect 1 "root key is not on the online token" -- "$hsmca" hsm pubkey --token $O --key k-p256 --pin-file "$opin"

finish
