#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build, then
# create rehearsal SoftHSM tokens in a state directory this script owns,
# generate keys inside them, show what was made, and sign and verify through
# the token (the openssl CLI checks every signature).
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
echo "== keys generated inside the tokens"
mkdir -p "$state/pub"
"$hsmca" hsm keygen --token $root_tok --key root-key --type p384 \
  --pin-file "$pins/$root_tok.user.pin" --out "$state/pub/root-key.pem"
"$hsmca" hsm keygen --token $online_tok --key issuing-key --type p256 \
  --pin-file "$pins/$online_tok.user.pin" --out "$state/pub/issuing-key.pem"
"$hsmca" hsm keygen --token $online_tok --key ocsp-key --type rsa3072 \
  --pin-file "$pins/$online_tok.user.pin" --out "$state/pub/ocsp-key.pem"

echo
"$hsmca" hsm tokens
for tok in $root_tok $online_tok; do
  echo
  "$hsmca" hsm keys --token $tok --pin-file "$pins/$tok.user.pin"
done

echo
echo "== sign through the token, verify with openssl"
printf 'hsmca demo message, %s\n' "$(date -u +%FT%TZ)" > "$state/message.txt"
sign_verify() { # token key digest
  local tok=$1 key=$2 dgst=$3 sig=$state/$2.sig
  "$hsmca" hsm sign --key "pkcs11:token=$tok;object=$key" --digest "$dgst" \
    --pin-file "$pins/$tok.user.pin" --in "$state/message.txt" --out "$sig"
  printf '%-12s %-7s ' "$key" "$dgst"
  openssl dgst -"$dgst" -verify "$state/pub/$key.pem" -signature "$sig" "$state/message.txt"
}
sign_verify $root_tok root-key sha384
sign_verify $online_tok issuing-key sha256
sign_verify $online_tok ocsp-key sha256

echo
echo "== made in $state"
echo "  hsm/softhsm2.conf   SoftHSM configuration (export SOFTHSM2_CONF=$state/hsm/softhsm2.conf)"
echo "  hsm/tokens/         the two rehearsal tokens"
echo "  hsm/pins/           their rehearsal PINs (0600)"
echo "  pub/*.pem           public keys of the generated key pairs"
echo "  *.sig               signatures over message.txt made in the tokens"
