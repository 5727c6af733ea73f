#!/usr/bin/env bash
# Create the two rehearsal SoftHSM2 tokens of an hsmca hierarchy in DIR:
#
#   hsmca-offline-root     the offline root's token (ceremonies only)
#   hsmca-online-issuing   the online token: subordinate CA and OCSP responder
#
#   hsm/make-tokens.sh DIR
#
# Writes DIR/softhsm2.conf, DIR/tokens/, and the rehearsal PINs in
# DIR/pins/<token>.{so,user}.pin (mode 0600, random unless the file already
# exists, so you may put your own there first). PINs go to hsmca through
# those files, never through argv. Tokens that already exist are kept, so the
# script can be re-run. Rehearsal only: a real HSM's tokens are set up with
# the vendor's tools (docs/hsm.md).
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac

dir=$1
here=$(cd "$(dirname "$0")" && pwd)
hsmca=${HSMCA_BIN:-$here/../build/hsmca}
[ -x "$hsmca" ] || { echo "make-tokens: $hsmca not found; build first or set HSMCA_BIN" >&2; exit 1; }
command -v openssl >/dev/null || { echo "make-tokens: openssl is missing (scripts/deps.sh)" >&2; exit 1; }

mkdir -p "$dir/tokens" "$dir/pins"
chmod 700 "$dir" "$dir/tokens" "$dir/pins"
dir=$(cd "$dir" && pwd)
sed "s|@TOKENDIR@|$dir/tokens|" "$here/softhsm2.conf.in" > "$dir/softhsm2.conf.tmp"
mv "$dir/softhsm2.conf.tmp" "$dir/softhsm2.conf"
export SOFTHSM2_CONF=$dir/softhsm2.conf

pin_file() { # pin_file NAME -> path, creating a random PIN if absent
  local f=$dir/pins/$1.pin
  if [ ! -s "$f" ]; then
    (umask 077; openssl rand -hex 12 > "$f.tmp" && mv "$f.tmp" "$f")
  fi
  echo "$f"
}

for label in hsmca-offline-root hsmca-online-issuing; do
  if "$hsmca" hsm tokens | awk 'NR>2 {print $2}' | grep -qx -- "$label"; then
    echo "make-tokens: token '$label' exists, kept"
    continue
  fi
  "$hsmca" hsm init-token --free --label "$label" --no-prompt \
    --so-pin-file "$(pin_file "$label.so")" --pin-file "$(pin_file "$label.user")"
done

echo "make-tokens: tokens in $dir/tokens"
echo "  export SOFTHSM2_CONF=$dir/softhsm2.conf"
echo "  user PINs: $dir/pins/<token>.user.pin"
