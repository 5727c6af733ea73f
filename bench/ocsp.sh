#!/usr/bin/env bash
# OCSP serving benchmark (issue #6): `hsmca serve` answering from its
# pre-signed responses, side by side with `openssl ocsp` as a responder (it
# signs every answer) and with nginx serving the same response bytes as
# static files (the ceiling of HTTP serving on this machine), under the same
# load from wrk.
#
#   bench/ocsp.sh
#
# Environment (all optional):
#   HSMCA_BIN          the hsmca binary (default: build-hd/hsmca, built here
#                      with cmake when missing)
#   BENCH_SECONDS      wrk duration of each measurement (default 3)
#   BENCH_REPEAT       measurements per figure, servers in turn; the figure
#                      is their median (default 5)
#   BENCH_CONNECTIONS  connection counts (default "2 16 64"); wrk -t2
#   BENCH_KEYS         issuer key types (default "p256 rsa2048")
#
# One run: installs wrk, nginx, curl, iproute2 and procps when missing (and
# scripts/deps.sh), then, in a network namespace of its own (unshare; only
# its loopback exists, so nothing started here can be reached from outside,
# and openssl ocsp, which listens on every address, is contained too):
#   1. a fresh SoftHSM hierarchy in a temporary directory (hsm/make-tokens.sh
#      and the ceremony bench/hierarchy.yaml: P-384 root, one ECDSA P-256 and
#      one RSA-2048 issuing CA, each with a delegated OCSP responder of its
#      own key type, every key in the token);
#   2. per issuer: four final certificates, a precertificate-only serial, a
#      revoked final and a never-issued serial (7 OCSP requests built by
#      `openssl ocsp -no_nonce -reqout`, SHA-1 CertIDs as RFC 5019 clients
#      send them);
#   3. a throwaway *software* hierarchy made with openssl (same key types:
#      P-384 root, P-256 or RSA-2048 CA and responder) whose index.txt has
#      the same serials in the same states, for `openssl ocsp`: keys never
#      leave the tokens, so openssl cannot sign with hsmca's. Its requests
#      are built the same way for the same serials: the same bytes but for
#      the CertID's issuer hashes (same lengths);
#   4. every answer is checked with `openssl ocsp -respin -CAfile` before
#      any load (good, good, revoked, unknown as expected, from all three);
#      this also warms hsmca's cache, as any first client does;
#   5. wrk -t2 with each connection count, GET (RFC 6960 A.1: the base64
#      request in the URL, /ocsp/<issuer>/<base64>) and POST (DER body,
#      application/ocsp-request), cycling through the 7 requests
#      (bench/ocsp.lua), against each server in turn.
# Prints requests/s of each, hsmca/nginx and hsmca/openssl, and the targets
# of issue #6 next to them. DESIGN.md: speed is measured, not asserted; the
# exit status says only whether the benchmark ran.
#
# Every process started here is stopped by its PID on exit (trap), every
# wait is bounded, and the temporary directory is removed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${BENCH_SECONDS:-3}
repeat=${BENCH_REPEAT:-5}
conns=${BENCH_CONNECTIONS:-"2 16 64"}
keys=${BENCH_KEYS:-"p256 rsa2048"}
for k in $keys; do
  case $k in p256|rsa2048) ;; *) echo "bench: BENCH_KEYS: unknown key type '$k'" >&2; exit 2 ;; esac
done

# ---------------------------------------------------------------- packages, build, namespace
. "$root/bench/lib.sh"

if [ -z "${HSMCA_BENCH_INNER:-}" ]; then
  scripts/deps.sh >/dev/null
  # On a machine with systemd the nginx package starts its own service on
  # port 80; this benchmark runs its own nginx with its own configuration.
  need_packages wrk nginx curl iproute2 procps
  bench_hsmca
  if [ "$(id -u)" -eq 0 ]; then ns=(unshare --net); else ns=(unshare --net --map-root-user); fi
  if "${ns[@]}" true 2>/dev/null; then
    exec "${ns[@]}" env HSMCA_BENCH_INNER=netns bash "$root/bench/ocsp.sh" "$@"
  fi
  echo "bench: cannot make a network namespace (unshare): measuring on the host's loopback," \
       "without openssl ocsp (it would listen on every address)" >&2
  export HSMCA_BENCH_INNER=host
fi
if [ "$HSMCA_BENCH_INNER" = netns ]; then
  ip link set lo up
fi
hsmca=$HSMCA_BIN
with_openssl=1
[ "$HSMCA_BENCH_INNER" = netns ] || with_openssl=0

# ---------------------------------------------------------------- processes and clean-up
work=$(mktemp -d "${TMPDIR:-/tmp}/hsmca-bench-ocsp.XXXXXX")
pids=()

# openssl ocsp -multi: stop the parent (so it respawns nothing), KILL its
# children, then it. Its children may be busy-looping (see below) and do
# not answer TERM promptly; they hold no state.
stop_openssl() {
  local p=$1 kids
  kill -STOP "$p" 2>/dev/null || return 0
  kids=$(ps -o pid= --ppid "$p" 2>/dev/null || true)
  if [ -n "$kids" ]; then
    # shellcheck disable=SC2086  # one PID a word
    kill -KILL $kids 2>/dev/null || true
  fi
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

cleanup() {
  local p
  for p in "${pids[@]}"; do
    case $p in
      ossl:*) stop_openssl "${p#ossl:}" ;;
      *) stop_pid "$p" ;;
    esac
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() { # drop $1 from pids after stopping it
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() { # port: something listens on it (any address)
  ss -Htln "sport = :$1" | grep -q .
}

# ---------------------------------------------------------------- the token hierarchy
machine_lines
echo "system:  Debian $(cat /etc/debian_version), $(openssl version | cut -d' ' -f1-2)," \
     "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "network: $([ "$HSMCA_BENCH_INNER" = netns ] && echo "own network namespace (loopback only)" || echo "host loopback")"
echo "load:    wrk -t2, connections: $conns; each figure the median of $repeat runs of ${seconds} s"

bench_hierarchy
"$hsmca" ctlog keygen --out-key "$work/log.key" --out-pub "$work/log.pub" --operator bench >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/leaf.key" 2>/dev/null
openssl pkey -in "$work/leaf.key" -pubout -out "$work/leaf.pub"

# The kinds of serial every run asks about, and the expected answers.
kinds=(final final final final precert-only revoked never-issued)
expect=(good good good good good revoked unknown)

# ---------------------------------------------------------------- per issuer: certificates and requests
issue_serials() { # key dir -> dir/serials (one hex serial a line, in kinds order)
  local k=$1 d=$2 name i s
  name=$(issuer_name "$k")
  : >"$d/serials"
  for i in "${!kinds[@]}"; do
    case ${kinds[$i]} in
      never-issued)
        # 16 random octets, top bit clear: a positive serial never reserved.
        s=$(openssl rand -hex 16 | sed 's/^./7/')
        ;;
      *)
        "$hsmca" issue precert --issuer "$name" --pubkey "$work/leaf.pub" \
          --dns "s$i.$name.example.com" --out "$d/pre-$i.pem" >/dev/null
        s=$(openssl x509 -in "$d/pre-$i.pem" -noout -serial | cut -d= -f2)
        if [ "${kinds[$i]}" != precert-only ]; then
          "$hsmca" ctlog sct --key "$work/log.key" --precert "$d/pre-$i.pem" \
            --issuer-cert "$ca/$k-sub.pem" --out "$d/sct-$i.json" >/dev/null
          "$hsmca" issue final --issuer "$name" --precert "$d/pre-$i.pem" --sct "$d/sct-$i.json" \
            --log-key "$work/log.pub" --out "$d/final-$i.pem" >/dev/null
        fi
        if [ "${kinds[$i]}" = revoked ]; then
          "$hsmca" revoke --issuer "$name" --serial "$s" --reason keyCompromise >/dev/null
        fi
        ;;
    esac
    echo "$s" >>"$d/serials"
  done
}

software_hierarchy() { # key dir -> dir/sw: root, CA and responder in software, index.txt
  local k=$1 d=$2 sw=$2/sw i s exp rev
  local keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  [ "$k" = rsa2048 ] && keyopt=(-newkey rsa:2048)
  mkdir -p "$sw"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$sw/root.key" \
    -subj "/O=throwaway/CN=bench software root" -days 30 -out "$sw/root.pem" 2>/dev/null
  printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' \
    'keyUsage=critical,digitalSignature,keyCertSign,cRLSign' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$sw/ca.ext"
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=OCSPSigning' 'noCheck=ignored' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$sw/resp.ext"
  openssl req -new "${keyopt[@]}" -nodes -keyout "$sw/sub.key" -subj "/O=throwaway/CN=bench software CA" \
    -out "$sw/sub.csr" 2>/dev/null
  openssl x509 -req -in "$sw/sub.csr" -CA "$sw/root.pem" -CAkey "$sw/root.key" -set_serial 0x1001 \
    -days 30 -extfile "$sw/ca.ext" -out "$sw/sub.pem" 2>/dev/null
  openssl req -new "${keyopt[@]}" -nodes -keyout "$sw/resp.key" -subj "/O=throwaway/CN=bench software OCSP" \
    -out "$sw/resp.csr" 2>/dev/null
  openssl x509 -req -in "$sw/resp.csr" -CA "$sw/sub.pem" -CAkey "$sw/sub.key" -set_serial 0x2001 \
    -days 30 -extfile "$sw/resp.ext" -out "$sw/resp.pem" 2>/dev/null
  # index.txt (openssl ca's format): status, expiry, revocation[,reason],
  # serial, file, subject. The never-issued serial is absent, as in hsmca.
  exp=$(date -u -d '+90 days' +%y%m%d%H%M%SZ)
  rev=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
  : >"$sw/index.txt"
  i=0
  while read -r s; do
    case ${kinds[$i]} in
      final|precert-only) printf 'V\t%s\t\t%s\tunknown\t/CN=s%d.example.com\n' "$exp" "$s" "$i" ;;
      revoked) printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t/CN=s%d.example.com\n' "$exp" "$rev" "$s" "$i" ;;
    esac >>"$sw/index.txt"
    i=$((i + 1))
  done <"$d/serials"
}

urlb64() { base64 -w0 "$1" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g'; }

make_requests() { # key dir: DER requests and wrk lists for the three servers
  local k=$1 d=$2 name i s
  name=$(issuer_name "$k")
  : >"$d/hsmca-get.list"; : >"$d/hsmca-post.list"
  : >"$d/nginx-get.list"; : >"$d/nginx-post.list"
  : >"$d/openssl-get.list"; : >"$d/openssl-post.list"
  i=0
  while read -r s; do
    openssl ocsp -issuer "$ca/$k-sub.pem" -serial "0x$s" -no_nonce -reqout "$d/req-$i.der" >/dev/null 2>&1
    openssl ocsp -issuer "$d/sw/sub.pem" -serial "0x$s" -no_nonce -reqout "$d/swreq-$i.der" >/dev/null 2>&1
    echo "GET /ocsp/$name/$(urlb64 "$d/req-$i.der")" >>"$d/hsmca-get.list"
    echo "POST /ocsp/$name $d/req-$i.der" >>"$d/hsmca-post.list"
    echo "GET /$k/$i" >>"$d/nginx-get.list"
    echo "POST /$k/$i $d/req-$i.der" >>"$d/nginx-post.list"
    # openssl ocsp takes the base64 right after the first '/'.
    echo "GET /$(urlb64 "$d/swreq-$i.der")" >>"$d/openssl-get.list"
    echo "POST / $d/swreq-$i.der" >>"$d/openssl-post.list"
    i=$((i + 1))
  done <"$d/serials"
}

# ---------------------------------------------------------------- servers
start_hsmca() { # key dir -> hsmca_pid, hsmca_port
  start_serve "$1" "$2/hsmca.log"
  hsmca_pid=$serve_pid
  hsmca_port=$serve_port
}

start_nginx() { # -> nginx_pid, nginx_port (serves $work/nginx/www)
  local n=$work/nginx
  mkdir -p "$n/www" "$n/tmp"
  nginx_port=$(free_port)
  # Workers run as the user running this script (root in the namespace is
  # that user). Debian's sendfile and tcp_nopush; for a ceiling, open files
  # are cached and a connection is kept alive for as many requests as the
  # other servers allow (no limit; nginx's default closes after 1000).
  cat >"$n/nginx.conf" <<EOF
user $(id -un) $(id -gn);
worker_processes $(nproc);
pid $n/nginx.pid;
error_log $n/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000;
  keepalive_requests 100000000;
  keepalive_timeout 65;
  client_body_temp_path $n/tmp;
  proxy_temp_path $n/tmp;
  fastcgi_temp_path $n/tmp;
  uwsgi_temp_path $n/tmp;
  scgi_temp_path $n/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $n/www;
    default_type application/ocsp-response;
    # RFC 5019 6.2-style caching headers, as hsmca sends them.
    expires 4d;
    # POST to a static file is 405 by default: answer it with the file.
    error_page 405 =200 \$uri;
  }
}
EOF
  nginx -e "$n/error.log" -c "$n/nginx.conf" -p "$n" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  wait_for nginx 10 listening "$nginx_port"
}

children_at_least() { [ "$(ps -o pid= --ppid "$1" | wc -l)" -ge "$2" ]; }

start_openssl() { # dir processes -> ossl_pid, ossl_port
  local d=$1 multi=$2 sw=$1/sw
  ossl_port=$(free_port)
  # -port takes a port only: it listens on every address, which is why
  # this runs in a network namespace of its own.
  (cd "$sw" && exec openssl ocsp -index index.txt -port "$ossl_port" -rsigner resp.pem -rkey resp.key \
     -CA sub.pem -ndays 4 -multi "$multi" >"$d/openssl.log" 2>&1) &
  ossl_pid=$!
  pids+=("ossl:$ossl_pid")
  wait_for "openssl ocsp" 10 listening "$ossl_port"
  # The listening socket exists before the children are forked.
  wait_for "openssl ocsp children" 10 children_at_least "$ossl_pid" "$multi"
}

stop_openssl_now() {
  stop_openssl "$ossl_pid"
  forget_pid "ossl:$ossl_pid"
}

# ---------------------------------------------------------------- checks before load
status_of() { # resp issuer serial cafile -> the cert status openssl reads, or why not
  local out
  out=$(openssl ocsp -respin "$1" -issuer "$2" -serial "0x$3" -CAfile "$4" -verify_other "$2" \
    -no_nonce 2>&1) || true
  if ! grep -q '^Response verify OK' <<<"$out"; then
    echo "unverified"
    return
  fi
  sed -n "s/^0x$3: //p" <<<"$out" | head -1
}

check_answers() { # key dir: fetch each answer from each server, check it, warm hsmca's cache
  local k=$1 d=$2 i s name st_h st_o st_g bad=0 lines
  name=$(issuer_name "$k")
  printf '  %-14s %-34s %-9s %-13s %s\n' "serial" "" "hsmca" "openssl ocsp" "nginx"
  mapfile -t lines <"$d/serials"
  for i in "${!lines[@]}"; do
    s=${lines[$i]}
    curl -sf -o "$d/resp-$i.der" "http://127.0.0.1:$hsmca_port$(sed -n "$((i + 1))s/^GET //p" "$d/hsmca-get.list")"
    curl -sf -o "$d/resp-post-$i.der" -H 'Content-Type: application/ocsp-request' \
      --data-binary "@$d/req-$i.der" "http://127.0.0.1:$hsmca_port/ocsp/$name"
    st_h=$(status_of "$d/resp-$i.der" "$ca/$k-sub.pem" "$s" "$ca/root.pem")
    # GET and POST of the same request get the same pre-signed bytes.
    cmp -s "$d/resp-$i.der" "$d/resp-post-$i.der" || st_h="$st_h (GET != POST)"
    mkdir -p "$work/nginx/www/$k"
    cp "$d/resp-$i.der" "$work/nginx/www/$k/$i"
    curl -sf -o "$d/ng-$i.der" "http://127.0.0.1:$nginx_port/$k/$i"
    curl -sf -o "$d/ng-post-$i.der" -H 'Content-Type: application/ocsp-request' \
      --data-binary "@$d/req-$i.der" "http://127.0.0.1:$nginx_port/$k/$i"
    if cmp -s "$d/ng-$i.der" "$d/resp-$i.der" && cmp -s "$d/ng-post-$i.der" "$d/resp-$i.der"; then
      st_g="same bytes ($(stat -c %s "$d/resp-$i.der") B)"
    else
      st_g="DIFFERENT"
      bad=1
    fi
    st_o="-"
    if [ "$with_openssl" = 1 ]; then
      # Connection: close: see the keep-alive note at the load below.
      curl -sf -o "$d/oresp-$i.der" -H 'Connection: close' -H 'Content-Type: application/ocsp-request' \
        --data-binary "@$d/swreq-$i.der" "http://127.0.0.1:$ossl_port/"
      curl -sf -o "$d/oresp-get-$i.der" -H 'Connection: close' \
        "http://127.0.0.1:$ossl_port$(sed -n "$((i + 1))s/^GET //p" "$d/openssl-get.list")"
      st_o=$(status_of "$d/oresp-$i.der" "$d/sw/sub.pem" "$s" "$d/sw/root.pem")
      [ "$(status_of "$d/oresp-get-$i.der" "$d/sw/sub.pem" "$s" "$d/sw/root.pem")" = "$st_o" ] ||
        st_o="$st_o (GET differs)"
      [ "$st_o" = "${expect[$i]}" ] || bad=1
    fi
    [ "$st_h" = "${expect[$i]}" ] || bad=1
    printf '  %-14s %-34s %-9s %-13s %s\n' "${kinds[$i]}" "$s" "$st_h" "$st_o" "$st_g"
  done
  if [ "$bad" = 1 ]; then
    echo "bench: an answer is not what the serial's state calls for (expected: ${expect[*]})" >&2
    exit 1
  fi
}

# ---------------------------------------------------------------- load
# wrk output -> "RPS ERRORS": requests/s, and non-2xx answers + socket errors.
run_wrk() { # conns url list
  local out rps errs
  out=$(timeout $((seconds + 30)) wrk -t2 -c"$1" -d"${seconds}s" --timeout 5s -s bench/ocsp.lua "$2" -- "$3" 2>&1) || {
    echo "bench: wrk -c$1 $2 failed: $out" >&2
    echo "0 1"
    return
  }
  rps=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx responses:/ {n += $NF}
              /Socket errors:/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i + 0}
              END {print n + 0}' <<<"$out")
  echo "${rps:-0} $errs"
}

fmt_rps() { # rps errors -> "12 345" (with "!N" when N requests failed)
  local r
  r=$(printf '%.0f' "$1" | sed ':a; s/\B[0-9]\{3\}\>/ &/; ta')
  if [ "$2" != 0 ]; then r="$r !$2"; fi
  echo "$r"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

summary=()

bench_key() {
  local k=$1
  local d=$work/$k c m r_h r_o r_n e_h e_o e_n rh ro multi ng_ratio os_ratio os_target
  mkdir -p "$d"
  echo
  echo "== $(key_desc "$k") issuer '$(issuer_name "$k")' (delegated responder: $(key_desc "$k"), key in the token)"
  issue_serials "$k" "$d"
  software_hierarchy "$k" "$d"
  make_requests "$k" "$d"
  start_hsmca "$k" "$d"
  [ -n "${nginx_pid:-}" ] || start_nginx
  if [ "$with_openssl" = 1 ]; then start_openssl "$d" 2; fi
  check_answers "$k" "$d"
  if [ "$with_openssl" = 1 ]; then stop_openssl_now; fi
  os_target=3
  [ "$k" = rsa2048 ] && os_target=10
  echo
  echo "  requests/s (wrk -t2, median of $repeat x ${seconds} s, 7 requests in turn; !N: N failed requests)"
  printf '  %-5s %5s  %13s %15s %13s   %11s %13s\n' method conns "hsmca serve" "openssl ocsp" "nginx static" \
    "hsmca/nginx" "hsmca/openssl"
  for c in $conns; do
    for m in GET POST; do
      local lm=${m,,} rep v_h="" v_o="" v_n="" x e
      e_h=0 e_o=0 e_n=0
      # The three servers in turn, repeat times: the machine's speed drifts,
      # and each figure is the median of its runs.
      for ((rep = 0; rep < repeat; rep++)); do
        read -r x e <<<"$(run_wrk "$c" "http://127.0.0.1:$hsmca_port" "$d/hsmca-$lm.list")"
        v_h+=" $x"; e_h=$((e_h + e))
        if [ "$with_openssl" = 1 ]; then
          # openssl ocsp -multi N forks N processes, each serving one
          # connection at a time: as many as wrk opens. A fresh responder
          # per figure: after a client closes a kept-alive connection, the
          # child that served it busy-loops and serves nothing more
          # (OpenSSL 3.0.x), so a responder is good for one wrk run.
          multi=$c
          [ "$multi" -ge 2 ] || multi=2
          start_openssl "$d" "$multi"
          read -r x e <<<"$(run_wrk "$c" "http://127.0.0.1:$ossl_port" "$d/openssl-$lm.list")"
          stop_openssl_now
          v_o+=" $x"; e_o=$((e_o + e))
        fi
        read -r x e <<<"$(run_wrk "$c" "http://127.0.0.1:$nginx_port" "$d/nginx-$lm.list")"
        v_n+=" $x"; e_n=$((e_n + e))
      done
      # shellcheck disable=SC2086  # one figure a word
      r_h=$(median $v_h)
      # shellcheck disable=SC2086
      r_o=$(if [ "$with_openssl" = 1 ]; then median $v_o; else echo 0; fi)
      # shellcheck disable=SC2086
      r_n=$(median $v_n)
      ng_ratio=$(ratio "$r_h" "$r_n")
      os_ratio=$(ratio "$r_h" "$r_o")
      rh=$(fmt_rps "$r_h" "$e_h")
      ro=$([ "$with_openssl" = 1 ] && fmt_rps "$r_o" "$e_o" || echo "-")
      printf '  %-5s %5s  %13s %15s %13s   %11s %13s\n' "$m" "$c" "$rh" "$ro" "$(fmt_rps "$r_n" "$e_n")" \
        "$ng_ratio" "$os_ratio"
      summary+=("$(key_desc "$k")|$m|$c|$ng_ratio|$os_ratio|$os_target")
    done
  done
  stop_pid "$hsmca_pid"
  forget_pid "$hsmca_pid"
}

for k in $keys; do bench_key "$k"; done

echo
echo "== targets of issue #6 (printed, not asserted)"
echo "  hsmca/nginx >= 0.7 (OCSP serving at 0.7 of the static-file ceiling);"
echo "  hsmca/openssl: 'several times' (>= 3 here) for P-256, > 10 for RSA-2048"
printf '  %-12s %-5s %5s  %-22s %s\n' issuer method conns "hsmca/nginx >= 0.7" "hsmca/openssl"
for row in "${summary[@]}"; do
  IFS='|' read -r kd m c ng os tgt <<<"$row"
  v1=$(awk -v r="$ng" 'BEGIN { print ((r != "-" && r >= 0.7) ? "met" : "not met") }')
  if [ "$with_openssl" = 1 ]; then
    v2=$(awk -v r="$os" -v t="$tgt" 'BEGIN { print ((r != "-" && r >= t) ? "met" : "not met") }')
    v2="$os (>= $tgt: $v2)"
  else
    v2="not measured"
  fi
  printf '  %-12s %-5s %5s  %-22s %s\n' "$kd" "$m" "$c" "$ng ($v1)" "$v2"
done
