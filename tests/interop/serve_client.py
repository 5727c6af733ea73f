#!/usr/bin/env python3
"""Concurrent HTTP clients for tests/interop/test_serve.sh (`hsmca serve`).

usage:
  serve_client.py precerts URL ISSUER CSR CLIENTS EACH OUTDIR [TOKENFILE]
      CLIENTS threads each POST EACH precertificate requests (JSON, one DNS
      name each) to URL/api/v1/precert. Every answer must be 201 with a
      serial and a precert PEM, written to OUTDIR/<serial>.pem; the serials
      are printed, one a line. Exit 1 on any other answer.

  serve_client.py ocsp URL RESPONDER CLIENTS EACH REQ.der=STATUS...
      CLIENTS threads each POST EACH OCSP requests (cycling over the given
      DER requests, application/ocsp-request) to URL. Every answer must be
      HTTP 200 application/ocsp-response, a successful BasicOCSPResponse
      for the request's serial with the expected status (good, revoked or
      unknown), signed by the delegated responder RESPONDER (PEM), which the
      response carries, and named by its key hash (RFC 6960 4.2.2.3).
      Prints how many answers verified and how many distinct answers each
      request got (no nonce: the server's pre-signed cache). Exit 1 on any
      failure.

Only the standard library and python3-cryptography (Debian's: run with
/usr/bin/python3); no code shared with hsmca.
"""
import hashlib
import json
import os
import sys
import threading
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

TIMEOUT = 60


def post(url, body, ctype, token=None):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def run_threads(n, fn):
    errors = []
    lock = threading.Lock()

    def wrap(i):
        try:
            fn(i)
        except Exception as e:  # reported, never swallowed
            with lock:
                errors.append("client %d: %r" % (i, e))

    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def precerts(url, issuer, csr_file, clients, each, outdir, token_file=None):
    csr = open(csr_file).read()
    token = open(token_file).readline().strip() if token_file else None
    serials = []
    lock = threading.Lock()

    def client(i):
        for j in range(each):
            body = json.dumps({"issuer": issuer, "csr": csr,
                               "dns": ["c%d-%d.load.example.com" % (i, j)]}).encode()
            status, ctype, data = post(url + "/api/v1/precert", body, "application/json", token)
            if status != 201 or not ctype.startswith("application/json"):
                raise RuntimeError("precert %d-%d: HTTP %d %s: %s" % (i, j, status, ctype, data[:300]))
            d = json.loads(data)
            serial = d["serial"]
            cert = x509.load_pem_x509_certificate(d["precert"].encode())
            if "%x" % cert.serial_number != serial.lstrip("0"):
                raise RuntimeError("serial %s is not the precert's %x" % (serial, cert.serial_number))
            with open(os.path.join(outdir, serial + ".pem"), "x") as f:
                f.write(d["precert"])
            with lock:
                serials.append(serial)

    errors = run_threads(clients, client)
    for s in serials:
        print(s)
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    return 0 if not errors and len(serials) == clients * each else 1


def key_hash(cert):
    # RFC 6960 4.2.1 byKey: SHA-1 of the subjectPublicKey BIT STRING's value,
    # which is what cryptography's method-1 SKI computes (RFC 5280 4.2.1.2).
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def verify_sig(key, sig, data, alg):
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, data, ec.ECDSA(alg))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(sig, data, padding.PKCS1v15(), alg)
    else:
        raise RuntimeError("unexpected responder key type")


def ocsp_load(url, responder_file, clients, each, specs):
    responder = x509.load_pem_x509_certificate(open(responder_file, "rb").read())
    rkh = key_hash(responder)
    want = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
            "unknown": ocsp.OCSPCertStatus.UNKNOWN}
    reqs = []
    for spec in specs:
        path, status = spec.rsplit("=", 1)
        der = open(path, "rb").read()
        serial = ocsp.load_der_ocsp_request(der).serial_number
        reqs.append((path, der, serial, want[status]))
    seen = {}
    count = [0]
    lock = threading.Lock()

    def client(i):
        for j in range(each):
            path, der, serial, status = reqs[(i + j) % len(reqs)]
            code, ctype, data = post(url, der, "application/ocsp-request")
            if code != 200 or ctype != "application/ocsp-response":
                raise RuntimeError("%s: HTTP %d %s" % (path, code, ctype))
            r = ocsp.load_der_ocsp_response(data)
            if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
                raise RuntimeError("%s: %s" % (path, r.response_status))
            if r.serial_number != serial or r.certificate_status != status:
                raise RuntimeError("%s: serial %x status %s, wanted %x %s" % (
                    path, r.serial_number, r.certificate_status, serial, status))
            if r.responder_key_hash != rkh:
                raise RuntimeError("%s: responderID is not the responder's key hash" % path)
            if responder not in r.certificates:
                raise RuntimeError("%s: the response does not carry the responder" % path)
            verify_sig(responder.public_key(), r.signature, r.tbs_response_bytes,
                       r.signature_hash_algorithm)
            if r.next_update is None or r.this_update > r.next_update:
                raise RuntimeError("%s: bad thisUpdate/nextUpdate" % path)
            with lock:
                seen.setdefault(path, set()).add(hashlib.sha256(data).digest())
                count[0] += 1

    errors = run_threads(clients, client)
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    distinct = max((len(v) for v in seen.values()), default=0)
    print("verified %d of %d; at most %d distinct answers per request"
          % (count[0], clients * each, distinct))
    return 0 if not errors and count[0] == clients * each else 1


def main(argv):
    if len(argv) >= 7 and argv[0] == "precerts":
        return precerts(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6],
                        argv[7] if len(argv) > 7 else None)
    if len(argv) >= 6 and argv[0] == "ocsp":
        return ocsp_load(argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
