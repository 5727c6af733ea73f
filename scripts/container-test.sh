#!/usr/bin/env bash
# The container stage (issue #7, docs/docker.md): build the image from
# docker/Dockerfile with podman on a debian:bookworm-slim base made here with
# debootstrap (no registry is reachable), start it with --network host, and
# run the end-to-end interop scenario from the host against it:
#
#   precertificate over the API -> SCTs from the container's test logs
#   (add-pre-chain over HTTP) -> final certificate; a second certificate by
#   POST /api/v1/certificates; openssl verify with the downloaded root;
#   openssl ocsp -url for good / precert-only / revoked / unknown; the CRLs;
#   the SCTs (python3-cryptography's ct_check.py and hsmca verify, i.e.
#   OpenSSL's CT validation, with the downloaded log keys).
#
# Then it stops the container, starts a new one on the same volume and checks
# that the state survived and the ceremony did not run again. Containers and
# the volume are always removed (HSMCA_CT_KEEP=1 keeps them for debugging).
#
#   scripts/container-test.sh
#
# Environment:
#   HSMCA_CT_REBUILD=1      rebuild the base image and the hsmca image even if
#                           images for this source tree exist
#   HSMCA_DEBIAN_MIRROR     debootstrap's mirror (default http://deb.debian.org/debian)
#   HSMCA_BIN               a host hsmca for `hsmca verify` (default: build-test/
#                           or build/hsmca; else the image's own, by podman exec)
#
# Images: localhost/debian:bookworm-slim (the base) and
# localhost/hsmca:src-<hash of the files the image is built from>; an image
# already there for the same hash is reused, a clean machine builds both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

t0=$SECONDS
phase_t=$SECONDS
phase() { # name of the phase that just ended
  printf '== container: %s took %ds\n' "$1" "$((SECONDS - phase_t))"
  phase_t=$SECONDS
}
die() { echo "container-test: FAIL: $*" >&2; exit 1; }

base_image=localhost/debian:bookworm-slim
mirror=${HSMCA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
rebuild=${HSMCA_CT_REBUILD:-0}

# ---- tools on the host (idempotent, like scripts/deps.sh) ----------------------
need=(podman runc debootstrap curl openssl python3 python3-cryptography)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "not root: install ${missing[*]} as root"
  echo "container-test: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap and podman with --network host need it here"
phase "host tools"

work=$(mktemp -d /tmp/hsmca-container-test.XXXXXX)
vol=hsmca-ct-$$-$RANDOM
cids=()
cleanup() {
  local rc=$?
  if [ "${HSMCA_CT_KEEP:-0}" = 1 ]; then
    echo "container-test: kept containers ${cids[*]:-none}, volume $vol, $work"
    exit "$rc"
  fi
  for c in "${cids[@]}"; do
    timeout 60 podman rm -f -t 5 "$c" >/dev/null 2>&1 || true
  done
  timeout 60 podman volume rm -f "$vol" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "container-test: FAIL: the command at line $LINENO failed" >&2' ERR

# ---- the base image: debootstrap --variant=minbase bookworm + podman import ----
if [ "$rebuild" != 1 ] && podman image exists "$base_image"; then
  echo "container-test: reusing $base_image ($(podman image inspect -f '{{.Created}}' "$base_image"))"
else
  rootfs=$work/rootfs
  echo "container-test: building $base_image with debootstrap from $mirror"
  if ! timeout 420 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 15 "$work/debootstrap.log" >&2 || true
    die "cannot build the base image: 'debootstrap --variant=minbase bookworm' failed or timed out
  (is $mirror reachable? the last lines of its log are above)"
  fi
  # What the official -slim image leaves out, and the same apt sources.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
         "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  tar -C "$rootfs" -c . | timeout 300 podman import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$base_image" >/dev/null \
    || die "cannot build the base image: podman import failed"
  rm -rf "$rootfs"
fi
phase "base image ($base_image)"

# ---- the hsmca image ----------------------------------------------------------------
# The hash of what the build reads (the .dockerignore'd tree: no tests/, bench/,
# build dirs); a change anywhere else does not rebuild the image.
src_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -- CMakeLists.txt include src profiles hsm docker .dockerignore
  else
    find CMakeLists.txt include src profiles hsm docker .dockerignore -type f ! -name '*.swp'
  fi
}
src_hash=$(src_files | LC_ALL=C sort | while read -r f; do [ -f "$f" ] && sha256sum "$f"; done \
           | sha256sum | cut -c1-16)
image=localhost/hsmca:src-$src_hash
if [ "$rebuild" != 1 ] && podman image exists "$image"; then
  echo "container-test: reusing $image"
else
  build_started=$(date +%s)
  echo "container-test: building $image from docker/Dockerfile"
  if ! timeout 900 podman build --network host --format docker --pull=never \
        --build-arg BASE="$base_image" -f docker/Dockerfile -t "$image" . >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    die "podman build failed (last lines above)"
  fi
fi
podman tag "$image" localhost/hsmca:latest
# Images of earlier trees are not kept (about 200 MB each, and 750 MB for
# their build stage); this build's cache stays for the next one.
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/hsmca:src-' || true); do
  [ "$old" = "$image" ] || podman rmi "$old" >/dev/null 2>&1 || true
done
if [ -n "${build_started:-}" ]; then
  podman image prune -f --filter "until=$build_started" >/dev/null 2>&1 || true
fi
echo "container-test: $image, $(podman image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
phase "image"

# ---- the scenario -----------------------------------------------------------------------
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; return 0; }
check() { # check DESCRIPTION COMMAND...: ok if COMMAND succeeds
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else bad "$what" "$out"; fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
run_opts=(--runtime runc --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
          -v "$vol:/var/lib/hsmca"
          -e "HSMCA_LISTEN=127.0.0.1:$port" -e "HSMCA_BASE_URL=$url"
          -e HSMCA_CT_LOGS=4 -e "HSMCA_CT_LOG_KNOBS=log3=delay=50;log4=reject")

start_container() { # -> $cid, healthy
  local state t=$SECONDS
  # Without systemd, podman cannot schedule the periodic health checks and
  # says so on stderr; `podman healthcheck run` below runs the image's
  # HEALTHCHECK all the same.
  cid=$(timeout 60 podman run -d "${run_opts[@]}" "$image" 2>"$work/run.err") \
    || { cat "$work/run.err" >&2; die "podman run failed"; }
  grep -v 'systemd connection' "$work/run.err" >&2 || true
  cids+=("$cid")
  for _ in $(seq 1 120); do
    if timeout 10 podman healthcheck run "$cid" >/dev/null 2>&1; then
      echo "container-test: container ${cid:0:12} healthy $((SECONDS - t))s after podman run"
      return 0
    fi
    state=$(podman inspect -f '{{.State.Status}}' "$cid" 2>/dev/null || echo gone)
    if [ "$state" != running ]; then
      podman logs "$cid" 2>&1 | tail -n 40 >&2 || true
      die "the container stopped ($state) before it was healthy"
    fi
    sleep 0.5
  done
  podman logs "$cid" 2>&1 | tail -n 40 >&2 || true
  die "the container was not healthy within 60 s"
}

start_container
phase "first start (tokens, ceremony, serve)"
podman logs "$cid" 2>&1 | sed 's/^/  | /'

d=$work/e2e
mkdir -p "$d"
token=$(podman exec "$cid" cat /var/lib/hsmca/api-token)
[ -n "$token" ] || die "no API token in the volume"

# Downloads: what a client configures itself with.
curl -fsS -o "$d/root.der" "$url/ca/root.der"
openssl x509 -inform DER -in "$d/root.der" -out "$d/root.pem"
curl -fsS -o "$d/sub.der" "$url/ca/sub.der"
openssl x509 -inform DER -in "$d/sub.der" -out "$d/sub.pem"
curl -fsS -o "$d/chain.pem" "$url/ca/chain.pem"
curl -fsS -o "$d/root-download.pem" "$url/ca/root.pem"
curl -fsS -o "$d/log_list.json" "$url/ct/log_list.json"
for l in log1 log2 log3 log4; do curl -fsS -o "$d/$l.pem" "$url/ct/$l/key.pem"; done
check "downloaded root.pem and root.der are the same certificate" \
  cmp <(openssl x509 -in "$d/root-download.pem" -outform DER) "$d/root.der"
check "the root verifies itself; the subordinate chains to it" \
  openssl verify -x509_strict -CAfile "$d/root.pem" "$d/root.pem" "$d/sub.pem"
check "chain.pem is the subordinate then the root" bash -c \
  "openssl crl2pkcs7 -nocrl -certfile '$d/chain.pem' | openssl pkcs7 -print_certs -noout | grep -c '^subject=' | grep -qx 2"
check "log_list.json lists 4 logs of 4 operators, keys equal to key.pem" python3 - "$d" <<'EOF'
import base64, json, subprocess, sys
d = sys.argv[1]
ll = json.load(open(d + "/log_list.json"))
logs = [(op["name"], l) for op in ll["operators"] for l in op["logs"]]
assert len(logs) == 4 and len({o for o, _ in logs}) == 4, logs
for op, l in logs:
    name = l["url"].strip("/").split("/")[-1]
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", f"{d}/{name}.pem", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    assert base64.b64decode(l["key"]) == der, name
EOF

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/leaf.key" 2>/dev/null
openssl req -new -key "$d/leaf.key" -subj "/CN=www.example.com" -out "$d/leaf.csr"

api() { # api METHOD PATH JSONFILE OUTFILE -> HTTP status on stdout
  curl -sS -o "$4" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" --data-binary "@$3" "$url$2"
}
json() { python3 -c "import json, sys; $1" "${@:2}"; }
b64der() { openssl x509 -in "$1" -outform DER | base64 -w0; }

# 1. A precertificate over the API.
json 'print(json.dumps({"issuer": "sub", "csr": open(sys.argv[1]).read(),
                        "dns": ["www.example.com", "example.com"]}))' "$d/leaf.csr" > "$d/pre.json"
st=$(api POST /api/v1/precert "$d/pre.json" "$d/pre.out")
if [ "$st" = 201 ]; then ok "POST /api/v1/precert: 201"; else bad "POST /api/v1/precert: $st" "$(cat "$d/pre.out")"; fi
serial_a=$(json 'print(json.load(open(sys.argv[1]))["serial"])' "$d/pre.out")
json 'open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["precert"])' "$d/pre.out" "$d/precert-a.pem"
check "the same call without the API token is refused (401)" bash -c \
  "[ \$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'$d/pre.json' '$url/api/v1/precert') = 401 ]"

# 2. SCTs from the container's test logs (RFC 6962 add-pre-chain over HTTP).
printf '{"chain": ["%s", "%s"]}' "$(b64der "$d/precert-a.pem")" "$(b64der "$d/sub.pem")" > "$d/chain.json"
for l in log1 log2 log3; do
  st=$(curl -sS -o "$d/$l.sct.json" -w '%{http_code}' -H 'Content-Type: application/json' \
         --data-binary "@$d/chain.json" "$url/ct/$l/ct/v1/add-pre-chain")
  if [ "$st" = 200 ]; then ok "add-pre-chain to $l: an SCT"; else bad "add-pre-chain to $l: $st" "$(cat "$d/$l.sct.json")"; fi
done
st=$(curl -sS -o "$d/log4.out" -w '%{http_code}' -H 'Content-Type: application/json' \
       --data-binary "@$d/chain.json" "$url/ct/log4/ct/v1/add-pre-chain")
if [ "$st" = 400 ]; then ok "log4 (HSMCA_CT_LOG_KNOBS log4=reject) rejects: 400"; else bad "log4 answered $st, not 400"; fi

# 3. The final certificate with those SCTs.
json 'print(json.dumps({"issuer": "sub", "serial": sys.argv[1],
                        "scts": [json.load(open(f)) for f in sys.argv[2:]]}))' \
  "$serial_a" "$d/log1.sct.json" "$d/log2.sct.json" "$d/log3.sct.json" > "$d/final.json"
st=$(api POST /api/v1/final "$d/final.json" "$d/final.out")
if [ "$st" = 201 ]; then ok "POST /api/v1/final: 201"; else bad "POST /api/v1/final: $st" "$(cat "$d/final.out")"; fi
json 'open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["certificate"])' "$d/final.out" "$d/final-a.pem"

# 4. A second certificate the whole way by the server's CT client, then revoked.
json 'print(json.dumps({"issuer": "sub", "csr": open(sys.argv[1]).read(), "dns": ["revoked.example.com"],
                        "logs": [sys.argv[2] + "/ct/log%d" % i for i in (1, 2, 3)]}))' \
  "$d/leaf.csr" "$url" > "$d/certs.json"
st=$(api POST /api/v1/certificates "$d/certs.json" "$d/certs.out")
if [ "$st" = 201 ]; then ok "POST /api/v1/certificates (SCTs from 3 test logs): 201"; else bad "POST /api/v1/certificates: $st" "$(cat "$d/certs.out")"; fi
json 'd = json.load(open(sys.argv[1])); open(sys.argv[2], "w").write(d["certificate"]); open(sys.argv[3], "w").write(d["precert"]); print(d["serial"])' \
  "$d/certs.out" "$d/final-b.pem" "$d/precert-b.pem" > "$d/serial_b"
serial_b=$(cat "$d/serial_b")

# 5. A precertificate whose final never comes.
json 'print(json.dumps({"issuer": "sub", "csr": open(sys.argv[1]).read(), "dns": ["only-a-precert.example.com"]}))' \
  "$d/leaf.csr" > "$d/pre-c.json"
st=$(api POST /api/v1/precert "$d/pre-c.json" "$d/pre-c.out")
[ "$st" = 201 ] || bad "POST /api/v1/precert (precert-only): $st" "$(cat "$d/pre-c.out")"
serial_c=$(json 'print(json.load(open(sys.argv[1]))["serial"])' "$d/pre-c.out")
serial_u=0badc0ffee

printf '{"issuer": "sub", "serial": "%s", "reason": "keyCompromise"}' "$serial_b" > "$d/revoke.json"
st=$(api POST /api/v1/revoke "$d/revoke.json" "$d/revoke.out")
if [ "$st" = 200 ] || [ "$st" = 201 ]; then ok "POST /api/v1/revoke: $st"; else bad "POST /api/v1/revoke: $st" "$(cat "$d/revoke.out")"; fi

# 6. The chain, with the downloaded root.
check "openssl verify: both finals chain to the downloaded root" \
  openssl verify -x509_strict -purpose sslserver -CAfile "$d/root.pem" -untrusted "$d/sub.pem" \
  "$d/final-a.pem" "$d/final-b.pem"
check "the final has the precertificate's serial" \
  bash -c "[ \"\$(openssl x509 -in '$d/final-a.pem' -noout -serial | cut -d= -f2 | tr A-F a-f)\" = \"\$(echo $serial_a | tr A-F a-f)\" ]"

# 7. OCSP, by openssl ocsp -url, the response verified up to the downloaded root.
ocsp_status() { # SERIAL -> the status line of openssl ocsp (verified)
  openssl ocsp -issuer "$d/sub.pem" -serial "0x$1" -url "$url/ocsp/sub" -CAfile "$d/root.pem" \
    -verify_other "$d/sub.pem" >"$d/ocsp.out" 2>"$d/ocsp.err" || true
  grep -q '^Response verify OK' "$d/ocsp.err" || { echo "unverified"; return; }
  sed -n "s/^0x$1: //Ip" "$d/ocsp.out" | head -n1
}
ocsp_all() { # the four answers; $1 names the round
  local s
  s=$(ocsp_status "$serial_a"); [ "$s" = good ] && ok "$1 OCSP final certificate: good" || bad "$1 OCSP final: '$s'" "$(cat "$d/ocsp.out" "$d/ocsp.err")"
  s=$(ocsp_status "$serial_c"); [ "$s" = good ] && ok "$1 OCSP precertificate only: good" || bad "$1 OCSP precert-only: '$s'" "$(cat "$d/ocsp.out" "$d/ocsp.err")"
  s=$(ocsp_status "$serial_b")
  if [ "$s" = revoked ] && grep -q 'Reason: keyCompromise' "$d/ocsp.out"; then
    ok "$1 OCSP revoked: revoked, keyCompromise"
  else
    bad "$1 OCSP revoked: '$s'" "$(cat "$d/ocsp.out" "$d/ocsp.err")"
  fi
  s=$(ocsp_status "$serial_u"); [ "$s" = unknown ] && ok "$1 OCSP never issued: unknown" || bad "$1 OCSP unknown: '$s'" "$(cat "$d/ocsp.out" "$d/ocsp.err")"
}
ocsp_all "[first]"
openssl ocsp -issuer "$d/sub.pem" -serial "0x$serial_a" -no_nonce -reqout "$d/req.der" 2>/dev/null
# GET at the AIA URL plus the request, as RFC 6960 A.1 clients build it.
check "OCSP GET (RFC 6960 A.1) answers good, verified" bash -c "
  curl -fsS -o '$d/get.der' '$url/ocsp/sub/'\$(base64 -w0 '$d/req.der' | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g') &&
  openssl ocsp -respin '$d/get.der' -issuer '$d/sub.pem' -serial 0x$serial_a -CAfile '$d/root.pem' \
    -verify_other '$d/sub.pem' 2>&1 | grep -q ': good'"

# 8. CRLs: the subordinate's (served, signed by the token) and the root's.
curl -fsS -o "$d/sub.crl" "$url/crl/sub.crl"
curl -fsS -o "$d/root.crl" "$url/crl/root.crl"
cat "$d/sub.pem" "$d/root.pem" > "$d/chain-verify.pem"
check "the subordinate's CRL verifies and lists the revoked serial (keyCompromise)" bash -c "
  openssl crl -inform DER -in '$d/sub.crl' -CAfile '$d/chain-verify.pem' -noout -text > '$d/sub.crl.txt' 2>&1
  grep -q 'verify OK' '$d/sub.crl.txt' &&
  grep -qi 'Serial Number: ${serial_b#00}' '$d/sub.crl.txt' && grep -q 'Key Compromise' '$d/sub.crl.txt' &&
  ! grep -qi 'Serial Number: ${serial_a#00}' '$d/sub.crl.txt'"
check "the root's CRL verifies with the downloaded root" bash -c \
  "openssl crl -inform DER -in '$d/root.crl' -CAfile '$d/root.pem' -noout 2>&1 | grep -q 'verify OK'"

# 9. The SCTs, with the downloaded log keys.
check "ct_check.py (python3-cryptography): the final corresponds to the precert, 3 SCTs verify" \
  /usr/bin/python3 tests/interop/ct_check.py --issuer "$d/sub.pem" \
    --log-key "$d/log1.pem" --log-key "$d/log2.pem" --log-key "$d/log3.pem" "$d/precert-a.pem" "$d/final-a.pem"
check "ct_check.py: the certificate from /api/v1/certificates too" \
  /usr/bin/python3 tests/interop/ct_check.py --issuer "$d/sub.pem" \
    --log-key "$d/log1.pem" --log-key "$d/log2.pem" --log-key "$d/log3.pem" "$d/precert-b.pem" "$d/final-b.pem"
host_hsmca=${HSMCA_BIN:-}
for b in "$root/build-test/hsmca" "$root/build/hsmca"; do
  [ -z "$host_hsmca" ] && [ -x "$b" ] && host_hsmca=$b
done
verify_args=(--precert precert-a.pem --final final-a.pem --issuer-cert sub.pem --root root.pem
             --log-key log1.pem --log-key log2.pem --log-key log3.pem)
if [ -n "$host_hsmca" ]; then
  check "hsmca verify (OpenSSL's CT validation, chain to the downloaded root; $host_hsmca)" \
    bash -c "cd '$d' && env -u HSMCA_NOW '$host_hsmca' verify ${verify_args[*]}"
else
  podman exec "$cid" mkdir -p /tmp/verify
  for f in precert-a.pem final-a.pem sub.pem root.pem log1.pem log2.pem log3.pem; do
    podman cp "$d/$f" "$cid:/tmp/verify/$f"
  done
  check "hsmca verify in the container (OpenSSL's CT validation, chain to the downloaded root)" \
    podman exec -w /tmp/verify "$cid" hsmca verify "${verify_args[@]}"
fi
phase "end-to-end scenario"

# ---- restart on the same volume ----------------------------------------------------------
root_fp=$(sha256sum < "$d/root.der")
transcript_fp=$(curl -fsS "$url/ca/transcript.log" | sha256sum)
check "podman stop: hsmca serve stops on SIGTERM within 30 s, exit status 0" bash -c "
  timeout 60 podman stop -t 30 '$cid' >/dev/null 2>'$work/stop.err' && [ \"\$(podman inspect -f '{{.State.ExitCode}}' '$cid')\" = 0 ]"
timeout 60 podman rm "$cid" >/dev/null 2>&1
first=$cid
start_container
[ "$cid" != "$first" ] || die "the same container id twice"
phase "second start"
podman logs "$cid" 2>&1 | sed 's/^/  | /'
check "same root after the restart" bash -c "[ \"\$(curl -fsS '$url/ca/root.der' | sha256sum)\" = '$root_fp' ]"
check "same ceremony transcript after the restart" bash -c \
  "[ \"\$(curl -fsS '$url/ca/transcript.log' | sha256sum)\" = '$transcript_fp' ]"
check "the second start reused the state and ran no ceremony" bash -c "
  podman logs '$cid' 2>&1 | grep -q 'reusing the state' &&
  ! podman logs '$cid' 2>&1 | grep -qi 'ceremony' &&
  podman exec '$cid' cat /var/lib/hsmca/starts.log | tail -n1 | grep -q 'start 2: state reused'"
check "same API token after the restart" bash -c \
  "[ \"\$(podman exec '$cid' cat /var/lib/hsmca/api-token)\" = '$token' ]"
check "the serving token set holds only the online token" bash -c "
  podman exec '$cid' hsmca hsm tokens | awk 'NR>2 {print \$2}' | grep -v '^-\$' | tr '\n' ' ' | grep -qx 'hsmca-online-issuing '"
for s in "$serial_a:final" "$serial_b:final" "$serial_c:precert"; do
  check "GET /api/v1/certificates/sub/${s%%:*}: state ${s##*:}" bash -c \
    "curl -fsS '$url/api/v1/certificates/sub/${s%%:*}' | grep -q '\"state\": *\"${s##*:}\"'"
done
ocsp_all "[after restart]"
json 'print(json.dumps({"issuer": "sub", "csr": open(sys.argv[1]).read(), "dns": ["after-restart.example.com"]}))' \
  "$d/leaf.csr" > "$d/pre-d.json"
st=$(api POST /api/v1/precert "$d/pre-d.json" "$d/pre-d.out")
if [ "$st" = 201 ]; then ok "a precertificate after the restart (the token still signs)"; else bad "precert after restart: $st" "$(cat "$d/pre-d.out")"; fi
phase "checks after the restart"

echo "== container stage: $((SECONDS - t0))s in all"
echo "container: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
