#!/bin/sh
# HEALTHCHECK: hsmca serve answers /healthz on the address it listens on
# ($HSMCA_LISTEN, HOST:PORT or [IPv6]:PORT). A wildcard address is asked on
# loopback.
listen=${HSMCA_LISTEN:-0.0.0.0:8080}
port=${HSMCA_PORT:-${listen##*:}}
host=${listen%:*}
case "$host" in
  ""|0.0.0.0) host=127.0.0.1 ;;
  "[::]") host="[::1]" ;;
esac
exec curl -fsS --max-time 4 -o /dev/null "http://$host:$port/healthz"
