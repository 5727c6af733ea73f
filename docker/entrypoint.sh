#!/usr/bin/env bash
# hsmca container entrypoint (docs/docker.md).
#
# First start, with an empty state volume ($HSMCA_DATA, /var/lib/hsmca):
#   - two SoftHSM tokens: the offline root's, in a directory of its own
#     ($HSMCA_OFFLINE_DIR), and the online issuing token ($HSMCA_DATA/hsm),
#     each with its own softhsm2.conf and random PINs in 0600 files;
#   - a ceremony script generated from the knobs (the steps of
#     hsm/ceremonies/rehearsal.yaml: root, subordinate, delegated OCSP
#     responder, root CRL) run by `hsmca ceremony run`, with its transcript;
#   - the subordinate registered as issuer "sub" (its PIN read from a file),
#     test CT log keys, an API token.
# Every start: the leaf profile and the OCSP policy from the knobs, missing
# test log keys, then `exec hsmca serve` with the online token only: the
# serving process is given a SoftHSM configuration that does not contain the
# offline root's token, and the root is not an issuer in the store.
#
# With arguments that are not options (`docker run IMAGE bash`), runs them
# instead. Options (`docker run IMAGE --ocsp-validity 2d`) go to hsmca serve.
set -euo pipefail
umask 077

data=${HSMCA_DATA:-/var/lib/hsmca}
share=${HSMCA_SHARE_DIR:-/usr/local/share/hsmca}   # profiles/, hsm/
hsmca=${HSMCA_BIN:-/usr/local/bin/hsmca}
softhsm_module=/usr/lib/softhsm/libsofthsm2.so
offline=${HSMCA_OFFLINE_DIR:-$data/offline-root}
marker=$data/.hsmca-initialized
progress=$data/.hsmca-first-start
issuer=sub
root_tok="hsmca-offline-root"
online_tok="hsmca-online-issuing"

say() { printf 'hsmca-entrypoint: %s\n' "$*"; }
die() { printf 'hsmca-entrypoint: error: %s\n' "$*" >&2; exit 1; }

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  exec "$@"
fi
for a in "$@"; do
  case "$a" in -h|--help) exec "$hsmca" serve --help ;; esac
done
# bash as PID 1 ignores SIGTERM without a handler: stop cleanly while setting
# up. hsmca serve handles it itself once exec'd.
trap 'say "stopped by a signal before hsmca serve started"; exit 143' TERM INT

# ---- knobs -------------------------------------------------------------------

knob_key() { # NAME DEFAULT
  local v=${!1:-$2}
  case "$v" in
    p256|p384|rsa2048|rsa3072|rsa4096) printf '%s' "$v" ;;
    *) die "$1=$v: expected p256, p384, rsa2048, rsa3072 or rsa4096" ;;
  esac
}
knob_uint() { # NAME DEFAULT MIN MAX
  local v=${!1:-$2}
  [[ $v =~ ^[0-9]{1,6}$ ]] && [ "$((10#$v))" -ge "$3" ] && [ "$((10#$v))" -le "$4" ] \
    || die "$1=$v: expected a whole number from $3 to $4"
  printf '%s' "$((10#$v))"
}
knob_answer() { # NAME DEFAULT
  local v=${!1:-$2}
  case "$v" in
    good|unknown|revoked|unauthorized) printf '%s' "$v" ;;
    *) die "$1=$v: expected good, unknown, revoked or unauthorized" ;;
  esac
}
knob_text() { # NAME DEFAULT -> a double-quoted YAML scalar
  local v=${!1:-$2}
  [ -n "$v" ] && [ "${#v}" -le 64 ] || die "$1: expected 1 to 64 characters"
  [[ $v != *[[:cntrl:]]* ]] || die "$1 contains a control character"
  v=${v//\\/\\\\}
  v=${v//\"/\\\"}
  printf '"%s"' "$v"
}

listen=${HSMCA_LISTEN:-0.0.0.0:8080}
base_url=${HSMCA_BASE_URL:-http://127.0.0.1:8080}
base_url=${base_url%/}
[[ $base_url =~ ^https?://[^[:space:]\"\'{}]+$ ]] || die "HSMCA_BASE_URL=$base_url: expected http://HOST[:PORT]"
root_key=$(knob_key HSMCA_ROOT_KEY p384)
sub_key=$(knob_key HSMCA_SUB_KEY p256)
ocsp_key=$(knob_key HSMCA_OCSP_KEY "$sub_key")
root_days=$(knob_uint HSMCA_ROOT_DAYS 9131 1 9132)
sub_days=$(knob_uint HSMCA_SUB_DAYS 1095 1 9132)
ocsp_days=$(knob_uint HSMCA_OCSP_DAYS 90 1 3650)
leaf_days=$(knob_uint HSMCA_LEAF_DAYS 199 1 3650)
root_crl_days=$(knob_uint HSMCA_ROOT_CRL_DAYS 365 1 365)
country=$(knob_text HSMCA_COUNTRY XX)
org=$(knob_text HSMCA_ORG "hsmca Rehearsal")
root_cn=$(knob_text HSMCA_ROOT_CN "hsmca Rehearsal Root R1")
sub_cn=$(knob_text HSMCA_SUB_CN "hsmca Rehearsal Issuing CA E1")
ocsp_cn=$(knob_text HSMCA_OCSP_CN "hsmca Rehearsal OCSP Responder E1")
n_logs=$(knob_uint HSMCA_CT_LOGS 3 0 16)
policy_precert=$(knob_answer HSMCA_OCSP_POLICY_PRECERT good)
policy_unassigned=$(knob_answer HSMCA_OCSP_POLICY_UNASSIGNED unknown)
hierarchy=${HSMCA_HIERARCHY_DIR:-}
log_knobs=()
# HSMCA_CT_LOG_KNOBS="log2=reject;log3=delay=500,fail=0.5": appended to each
# log's --ct-log spec (docs/serve.md, Knobs).
IFS=';' read -ra knob_items <<< "${HSMCA_CT_LOG_KNOBS:-}"
for item in "${knob_items[@]}"; do
  item=${item//[[:space:]]/}
  [ -n "$item" ] || continue
  name=${item%%=*}
  [[ $item == *=* && $name =~ ^log([1-9][0-9]*)$ ]] && [ "${BASH_REMATCH[1]}" -le "$n_logs" ] \
    || die "HSMCA_CT_LOG_KNOBS: '$item' is not logN=KNOB[,KNOB...] for a log from log1 to log$n_logs"
  n=${BASH_REMATCH[1]}
  knobs=${item#*=}
  [[ $knobs =~ ^[A-Za-z0-9.=,_-]+$ ]] || die "HSMCA_CT_LOG_KNOBS: bad knobs '$knobs' for $name"
  log_knobs[$n]+=",$knobs"
done

if [ -z "$hierarchy" ] && [ -n "${HSMCA_PKCS11_MODULE:-}" ] \
   && [ "$HSMCA_PKCS11_MODULE" != "$softhsm_module" ]; then
  die "HSMCA_PKCS11_MODULE=$HSMCA_PKCS11_MODULE: a real HSM's hierarchy is made by an offline
  ceremony, not in this container; give its certificates with HSMCA_HIERARCHY_DIR
  (docs/docker.md, 'Use a real HSM')"
fi

[ -d "$data" ] && [ -w "$data" ] \
  || die "$data is not a writable directory for uid $(id -u); a bind mount must belong to
  10001:10001 (chown, or podman's -v DIR:$data:U)"

# ---- profiles: the shipped ones with the validity knobs -----------------------
# Rewritten on every start; the CA profiles matter only to the first start's
# ceremony, the leaf profile to every issuance.
set_days() { # FILE DAYS
  sed -i "s/^  days: [0-9]*\$/  days: $2/" "$1"
  grep -q "^  days: $2\$" "$1" || die "cannot set the validity in $1"
}
rm -rf "$data/profiles.new"
cp -R "$share/profiles" "$data/profiles.new"
set_days "$data/profiles.new/root.yaml" "$root_days"
set_days "$data/profiles.new/subordinate.yaml" "$sub_days"
set_days "$data/profiles.new/ocsp-responder.yaml" "$ocsp_days"
set_days "$data/profiles.new/tls-server.yaml" "$leaf_days"
chmod -R u+rwX,go-rwx "$data/profiles.new"
rm -rf "$data/profiles"
mv "$data/profiles.new" "$data/profiles"
export HSMCA_PROFILES_DIR=$data/profiles
export HSMCA_STATE=$data/ca

# ---- first start ---------------------------------------------------------------

softhsm_conf() { # DIR: DIR/softhsm2.conf for the tokens in DIR/tokens
  sed "s|@TOKENDIR@|$1/tokens|" "$share/hsm/softhsm2.conf.in" > "$1/softhsm2.conf"
}
new_pin() { # FILE: a random PIN, 0600
  openssl rand -hex 16 > "$1.tmp"
  mv "$1.tmp" "$1"
}
init_token() { # LABEL PINDIR -> the token's new directory under $data/setup/tokens
  local before after
  before=$(ls "$data/setup/tokens")
  new_pin "$2/$1.so.pin"
  new_pin "$2/$1.user.pin"
  "$hsmca" --module "$softhsm_module" hsm init-token --free --label "$1" --no-prompt \
    --so-pin-file "$2/$1.so.pin" --pin-file "$2/$1.user.pin" >/dev/null
  after=$(ls "$data/setup/tokens")
  comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep .
}
public_pem() { # OUT CERT... : PEM certificates, each after openssl's subject= and issuer= lines
  local out=$1 f
  shift
  : > "$out.tmp"
  for f in "$@"; do
    openssl x509 -in "$f" -subject -issuer -nameopt RFC2253 >> "$out.tmp"
  done
  chmod 0644 "$out.tmp"
  mv "$out.tmp" "$out"
}

first_start_softhsm() {
  local root_dir online_dir
  mkdir -p "$data/hsm/tokens" "$data/hsm/pins" "$offline/tokens" "$offline/pins" \
           "$data/setup/tokens"
  chmod 0700 "$data/hsm" "$data/hsm/tokens" "$data/hsm/pins" "$offline" "$offline/tokens" \
             "$offline/pins" "$data/setup"
  softhsm_conf "$data/hsm"
  softhsm_conf "$offline"
  softhsm_conf "$data/setup"

  # The ceremony needs both tokens in one module: they are made side by side
  # in setup/, and each moves to its own directory once the ceremony is over.
  export SOFTHSM2_CONF=$data/setup/softhsm2.conf
  say "creating the SoftHSM tokens $root_tok and $online_tok"
  root_dir=$(init_token "$root_tok" "$offline/pins") || die "could not create token $root_tok"
  online_dir=$(init_token "$online_tok" "$data/hsm/pins") || die "could not create token $online_tok"

  cat > "$data/ceremony.yaml" <<EOF
# Generated by the hsmca container entrypoint on first start from its
# environment (docs/docker.md): the steps of hsm/ceremonies/rehearsal.yaml
# with the chosen key types and names. The validity of each certificate is
# in the profiles ($data/profiles).
ceremony: hsmca container hierarchy
description: >-
  Offline root ($root_key) signs the online TLS subordinate ($sub_key) and the
  root CRL; the subordinate signs its delegated OCSP responder ($ocsp_key).
base_url: "$base_url"
hsm:
  module: $softhsm_module
  environment:
    SOFTHSM2_CONF: $data/setup/softhsm2.conf
  tokens:
    offline:
      label: $root_tok
      pin: {file: "$offline/pins/$root_tok.user.pin"}
    online:
      label: $online_tok
      pin: {file: "$data/hsm/pins/$online_tok.user.pin"}
steps:
  - key: {token: offline, label: hsmca-root-key, type: $root_key, output: root-key.pub.pem}
  - root:
      token: offline
      key: hsmca-root-key
      profile: root
      subject: {C: $country, O: $org, CN: $root_cn}
      output: root.pem
  - key: {token: online, label: hsmca-issuing-key, type: $sub_key, output: issuing-key.pub.pem}
  - key: {token: online, label: hsmca-ocsp-key, type: $ocsp_key, output: ocsp-key.pub.pem}
  - intermediate:
      token: offline
      key: hsmca-root-key
      issuer: root.pem
      profile: subordinate
      subject: {C: $country, O: $org, CN: $sub_cn}
      public_key: issuing-key.pub.pem
      output: subordinate.pem
  - ocsp-responder:
      token: online
      key: hsmca-issuing-key
      issuer: subordinate.pem
      profile: ocsp-responder
      subject: {C: $country, O: $org, CN: $ocsp_cn}
      public_key: ocsp-key.pub.pem
      output: ocsp-responder.pem
  - crl:
      token: offline
      key: hsmca-root-key
      issuer: root.pem
      number: 1
      next_update_days: $root_crl_days
      output: root.crl
EOF
  say "running the key ceremony ($data/ceremony.yaml)"
  "$hsmca" ceremony run "$data/ceremony.yaml" --out "$data/ceremony" \
    > "$data/ceremony.log" 2>&1 || { cat "$data/ceremony.log" >&2; die "the ceremony failed"; }
  sed 's/^/  /' "$data/ceremony.log"

  mv "$data/setup/tokens/$root_dir" "$offline/tokens/"
  mv "$data/setup/tokens/$online_dir" "$data/hsm/tokens/"
  rm -rf "$data/setup"
  export SOFTHSM2_CONF=$data/hsm/softhsm2.conf
  if "$hsmca" --module "$softhsm_module" hsm tokens | awk 'NR>2 {print $2}' | grep -qx "$root_tok"; then
    die "the serving SoftHSM configuration still sees $root_tok"
  fi

  say "registering the subordinate as issuer '$issuer'"
  "$hsmca" --module "$softhsm_module" issuer add "$issuer" --cert "$data/ceremony/subordinate.pem" \
    --token "$online_tok" --key hsmca-issuing-key --pin-file "$data/hsm/pins/$online_tok.user.pin" \
    --no-prompt --base-url "$base_url" \
    --ocsp-cert "$data/ceremony/ocsp-responder.pem" --ocsp-key hsmca-ocsp-key
}

first_start_external() { # a hierarchy made by an offline ceremony, keys in a real HSM
  local module=${HSMCA_PKCS11_MODULE:-} token=${HSMCA_HSM_TOKEN:-} pin=${HSMCA_HSM_PIN_FILE:-}
  local f ocsp=()
  [ -n "$module" ] || die "HSMCA_HIERARCHY_DIR needs HSMCA_PKCS11_MODULE (the vendor's PKCS#11 library)"
  [ -n "$token" ] || die "HSMCA_HIERARCHY_DIR needs HSMCA_HSM_TOKEN (the online token's label)"
  [ -r "$pin" ] || die "HSMCA_HSM_PIN_FILE='$pin' is not a readable file (the online token's user PIN)"
  for f in root.pem subordinate.pem; do
    [ -r "$hierarchy/$f" ] || die "HSMCA_HIERARCHY_DIR=$hierarchy has no $f"
  done
  mkdir -p "$data/ceremony"
  for f in root.pem subordinate.pem ocsp-responder.pem root.crl transcript.log; do
    [ -r "$hierarchy/$f" ] && cp "$hierarchy/$f" "$data/ceremony/$f"
  done
  if [ -r "$data/ceremony/ocsp-responder.pem" ]; then
    ocsp=(--ocsp-cert "$data/ceremony/ocsp-responder.pem" --ocsp-key "${HSMCA_HSM_OCSP_KEY:-hsmca-ocsp-key}")
  fi
  say "registering $hierarchy/subordinate.pem as issuer '$issuer' (token $token, module $module)"
  "$hsmca" --module "$module" issuer add "$issuer" --cert "$data/ceremony/subordinate.pem" \
    --token "$token" --key "${HSMCA_HSM_ISSUING_KEY:-hsmca-issuing-key}" --pin-file "$pin" \
    --no-prompt --base-url "$base_url" "${ocsp[@]}"
}

first_start() {
  local entry others
  if [ -e "$progress" ]; then
    say "a previous first start did not finish: removing what it made and starting again"
    for entry in hsm setup ca ceremony ct public ceremony.yaml ceremony.log api-token; do
      rm -rf "${data:?}/$entry"
    done
    rm -rf "${offline:?}/tokens" "$offline/pins" "$offline/softhsm2.conf"
  fi
  others=""
  for entry in "$data"/* "$data"/.[!.]*; do
    [ -e "$entry" ] || continue
    case "${entry##*/}" in
      lost+found|profiles|.hsmca-first-start|offline-root) ;;
      *) others+=" ${entry##*/}" ;;
    esac
  done
  [ -z "$others" ] || die "$data holds files that are not hsmca state (${others# }); use an empty volume"
  if [ -d "$offline/tokens" ] && [ -n "$(ls -A "$offline/tokens")" ]; then
    die "$offline/tokens is not empty"
  fi
  touch "$progress"
  if [ -n "$hierarchy" ]; then
    first_start_external
  else
    first_start_softhsm
  fi
  mkdir -p "$data/public"
  chmod 0755 "$data/public"
  public_pem "$data/public/root.pem" "$data/ceremony/root.pem"
  public_pem "$data/public/sub.pem" "$data/ceremony/subordinate.pem"
  public_pem "$data/public/chain.pem" "$data/ceremony/subordinate.pem" "$data/ceremony/root.pem"
  if [ -r "$data/ceremony/ocsp-responder.pem" ]; then
    public_pem "$data/public/ocsp-responder.pem" "$data/ceremony/ocsp-responder.pem"
  fi
  {
    echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)${HSMCA_NOW:+ (HSMCA_NOW=$HSMCA_NOW)}"
    echo "hierarchy: ${hierarchy:-SoftHSM, made by the ceremony in ceremony.yaml}"
    echo "base_url: $base_url"
    echo "root: $(openssl x509 -in "$data/ceremony/root.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
    sed -n 's/^transcript head: /transcript head: /p' "$data/ceremony.log" 2>/dev/null || true
  } > "$marker.tmp"
  mv "$marker.tmp" "$marker"
  rm -f "$progress"
}

starts=$( (cat "$data/starts.log" 2>/dev/null || true) | wc -l)
if [ ! -f "$marker" ]; then
  say "first start: making the hierarchy in $data"
  first_start
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) start $((starts + 1)): first start, hierarchy made" >> "$data/starts.log"
else
  say "reusing the state in $data ($(grep '^created:' "$marker"))"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) start $((starts + 1)): state reused" >> "$data/starts.log"
fi
if [ -z "$hierarchy" ]; then
  export SOFTHSM2_CONF=$data/hsm/softhsm2.conf
  unset HSMCA_PKCS11_MODULE
fi

# ---- every start -----------------------------------------------------------------

# The API token: from a file (a mounted secret), from HSMCA_API_TOKEN (kept in
# the volume), or the one generated on the first start. hsmca reads it from
# the file; it is never on hsmca's command line or in its environment.
token_file=$data/api-token
if [ -n "${HSMCA_API_TOKEN_FILE:-}" ]; then
  [ -r "$HSMCA_API_TOKEN_FILE" ] || die "HSMCA_API_TOKEN_FILE=$HSMCA_API_TOKEN_FILE is not readable"
  token_file=$HSMCA_API_TOKEN_FILE
  token_how="from $token_file"
elif [ -n "${HSMCA_API_TOKEN:-}" ]; then
  [[ $HSMCA_API_TOKEN =~ ^[!-~]+$ ]] || die "HSMCA_API_TOKEN: printable characters without spaces only"
  printf '%s\n' "$HSMCA_API_TOKEN" > "$token_file.tmp"
  mv "$token_file.tmp" "$token_file"
  token_how="from HSMCA_API_TOKEN, kept in $token_file"
elif [ ! -s "$token_file" ]; then
  openssl rand -hex 32 > "$token_file.tmp"
  mv "$token_file.tmp" "$token_file"
  token_how="generated into $token_file"
else
  token_how="kept in $token_file"
fi
unset HSMCA_API_TOKEN

# Test CT logs log1..logN, operators op1..opN: keys made once, kept.
mkdir -p "$data/ct"
ct_args=()
for i in $(seq 1 "$n_logs"); do
  if [ ! -s "$data/ct/log$i.key" ]; then
    "$hsmca" ctlog keygen --out-key "$data/ct/log$i.key" --out-pub "$data/ct/log$i.pub" \
      --operator "op$i" >/dev/null
  fi
  ct_args+=(--ct-log "log$i=$data/ct/log$i.key,operator=op$i${log_knobs[$i]:-}")
done

say "OCSP policy of issuer '$issuer': precertificate-only $policy_precert, unassigned $policy_unassigned"
"$hsmca" issuer policy "$issuer" --precert-only "$policy_precert" \
  --unassigned "$policy_unassigned" >/dev/null

files=(--file "/ca/root.der=$data/ceremony/root.pem")
[ -r "$data/ceremony/root.crl" ] && files+=(--file "/crl/root.crl=$data/ceremony/root.crl")
# hsmca serves a file that starts with -----BEGIN as DER; these start with
# openssl's subject= line, so they are served as the PEM text they are.
for f in root sub chain ocsp-responder; do
  [ -r "$data/public/$f.pem" ] && files+=(--file "/ca/$f.pem=$data/public/$f.pem")
done
[ -r "$data/ceremony/transcript.log" ] && files+=(--file "/ca/transcript.log=$data/ceremony/transcript.log")

serve=(--listen "$listen" --api-token-file "$token_file" --ct-root "$data/ceremony/root.pem")
serve+=("${ct_args[@]}" "${files[@]}")
[ -n "${HSMCA_OCSP_VALIDITY:-}" ] && serve+=(--ocsp-validity "$HSMCA_OCSP_VALIDITY")
[ -n "${HSMCA_CRL_VALIDITY:-}" ] && serve+=(--crl-validity "$HSMCA_CRL_VALIDITY")
read -ra extra <<< "${HSMCA_SERVE_ARGS:-}"

say "root:   $(openssl x509 -in "$data/ceremony/root.pem" -noout -subject -nameopt RFC2253)"
say "issuer: $(openssl x509 -in "$data/ceremony/subordinate.pem" -noout -subject -nameopt RFC2253)"
say "URLs in certificates: $base_url; listening on $listen; $n_logs test log(s)${HSMCA_NOW:+; clock fixed at $HSMCA_NOW}"
say "downloads: /ca/root.pem /ca/root.der /ca/chain.pem /crl/root.crl /ct/log_list.json /ct/logN/key.pem"
say "API token $token_how; read it with: docker exec CONTAINER cat $token_file"
trap - TERM INT
exec "$hsmca" serve "${serve[@]}" "${extra[@]}" "$@"
