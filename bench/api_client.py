#!/usr/bin/env python3
"""Load client for bench/api.sh: POST /api/v1/certificates from C threads.

    api_client.py --url http://127.0.0.1:PORT --issuer NAME --pubkey FILE
                  --log URL [--log URL...] [--min-scts N] [--expect-scts N] --clients C
                  --requests N --max-seconds S [--tag T]

Each client thread keeps one HTTP/1.1 connection (http.client) and sends
issuance requests one after the other until N requests in all were sent or S
seconds have passed (both bounds hold). Every answer must be 201 with a
final certificate and at least --expect-scts SCTs (default 1); anything else is counted as
a failure and the first few are printed. Prints one line:

    clients=C issued=I failed=F seconds=T rate=R p50_ms=.. p90_ms=.. max_ms=..

Standard library only.
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--pubkey", required=True)
    ap.add_argument("--log", action="append", required=True)
    ap.add_argument("--min-scts", type=int, default=0, help="sent as min_scts when > 0")
    ap.add_argument("--expect-scts", type=int, default=1)
    ap.add_argument("--clients", type=int, required=True)
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--max-seconds", type=float, required=True)
    ap.add_argument("--tag", default="b")
    a = ap.parse_args()

    with open(a.pubkey) as f:
        pubkey = f.read()
    u = urllib.parse.urlsplit(a.url)
    lock = threading.Lock()
    state = {"next": 0, "issued": 0, "failed": 0, "lat": [], "errors": []}
    want_scts = max(1, a.expect_scts)
    deadline = time.monotonic() + a.max_seconds

    def take():
        with lock:
            if state["next"] >= a.requests or time.monotonic() >= deadline:
                return None
            state["next"] += 1
            return state["next"]

    def client():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            n = take()
            if n is None:
                break
            req = {
                "issuer": a.issuer,
                "public_key": pubkey,
                "dns": ["%s%d.bench.example.com" % (a.tag, n)],
                "logs": a.log,
            }
            if a.min_scts > 0:
                req["min_scts"] = a.min_scts
            body = json.dumps(req).encode()
            t0 = time.monotonic()
            err = None
            try:
                conn.request("POST", "/api/v1/certificates", body,
                             {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status != 201:
                    err = "HTTP %d: %s" % (r.status, data[:300].decode(errors="replace"))
                else:
                    j = json.loads(data)
                    if "BEGIN CERTIFICATE" not in j.get("certificate", "") or \
                            len(j.get("scts", [])) < want_scts:
                        err = "201 without a final certificate and %d SCTs" % want_scts
            except (OSError, http.client.HTTPException, ValueError) as e:
                err = "%s: %s" % (type(e).__name__, e)
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            dt = time.monotonic() - t0
            with lock:
                if err is None:
                    state["issued"] += 1
                    state["lat"].append(dt)
                else:
                    state["failed"] += 1
                    if len(state["errors"]) < 3:
                        state["errors"].append(err)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat = sorted(state["lat"])

    def pct(p):
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0.0

    for e in state["errors"]:
        print("api_client: failed: %s" % e, file=sys.stderr)
    print("clients=%d issued=%d failed=%d seconds=%.2f rate=%.1f p50_ms=%.1f p90_ms=%.1f "
          "max_ms=%.1f" % (a.clients, state["issued"], state["failed"], elapsed,
                           state["issued"] / elapsed if elapsed > 0 else 0.0,
                           pct(0.5), pct(0.9), 1000 * lat[-1] if lat else 0.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
