#!/usr/bin/python3
"""Check an `hsmca fixtures` corpus with tools hsmca did not write.

  check_fixtures.py HSMCA DIR SCHEMA            every file, per its label
  check_fixtures.py --compare DIR1 DIR2         reproducibility of two runs

Prints one "ok   - ..." or "FAIL - ..." line per check (lib.sh style) and
exits 1 if any check failed. Uses openssl, certtool, python3-cryptography,
python3-jsonschema, and hsmca only for `hsmca fixtures lint` and
`hsmca verify` (OpenSSL's SCT validation)."""
import calendar
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok   - " + name)


def fail(name, detail=""):
    global failed
    failed += 1
    print("FAIL - " + name)
    for line in str(detail).strip().splitlines()[:12]:
        print("       " + line)


def check(cond, name, detail=""):
    (ok if cond else lambda n: fail(n, detail))(name)


def run(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def epoch(t):
    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))


def compare(d1, d2):
    m1 = json.load(open(os.path.join(d1, "manifest.json")))
    m2 = json.load(open(os.path.join(d2, "manifest.json")))
    f2 = {f["path"]: f for f in m2["files"]}
    check([f["path"] for f in m1["files"]] == [f["path"] for f in m2["files"]],
          "same files in both runs")
    stable = other = 0
    for f in m1["files"]:
        g = f2.get(f["path"])
        if g is None:
            continue
        b1 = open(os.path.join(d1, f["path"]), "rb").read()
        b2 = open(os.path.join(d2, f["path"]), "rb").read()
        if f["byte_stable"]:
            stable += 1
            if b1 != b2 or f["sha256"] != hashlib.sha256(b1).hexdigest():
                fail("byte-stable file differs between runs: " + f["path"])
        else:
            other += 1
            if f["tbs_sha256"] is not None and f["tbs_sha256"] != g["tbs_sha256"]:
                fail("TBS differs between runs: " + f["path"])
    ok("reproducible: %d byte-stable files identical, %d others with identical TBS"
       % (stable, other))


def pem_of(path, tmp):
    out = os.path.join(tmp, path.replace("/", "_") + ".pem")
    if not os.path.exists(out):
        run("openssl", "x509", "-inform", "DER", "-in", path, "-out", out)
    return out


def main_check(hsmca, d, schema_path):
    os.chdir(d)
    m = json.load(open("manifest.json"))
    # ---- the schema (python3-jsonschema, Debian)
    try:
        import jsonschema
        schema = json.load(open(schema_path))
        jsonschema.Draft202012Validator.check_schema(schema)
        errs = list(jsonschema.Draft202012Validator(schema).iter_errors(m))
        check(not errs, "manifest validates against docs/fixtures.schema.json",
              "\n".join(e.message for e in errs[:5]))
    except ImportError:
        fail("python3-jsonschema is missing (scripts/deps.sh installs it)")
    files = {f["path"]: f for f in m["files"]}
    bad = [f["path"] for f in m["files"]
           if hashlib.sha256(open(f["path"], "rb").read()).hexdigest() != f["sha256"]]
    check(not bad, "every file's SHA-256 is the manifest's", " ".join(bad))
    log_keys = [l["key"] for l in m["logs"]]
    at = epoch(m["now"]) + 120
    tmp = tempfile.mkdtemp()

    def root_of(path):
        while files[path]["issuer"] is not None:
            path = files[path]["issuer"]
        return path

    def chain_args(path):
        """-CAfile root -untrusted intermediates"""
        inter = []
        p = files[path]["issuer"]
        while p is not None and files[p]["issuer"] is not None:
            inter.append(pem_of(p, tmp))
            p = files[p]["issuer"]
        args = ["-CAfile", pem_of(root_of(path), tmp)]
        if inter:
            bundle = os.path.join(tmp, path.replace("/", "_") + ".chain")
            open(bundle, "w").write("".join(open(i).read() for i in inter))
            args += ["-untrusted", bundle]
        return args

    def lint(f):
        cmd = [hsmca, "--now", f["lint"]["at"], "fixtures", "lint", f["path"], "--kind",
               f["profile"]]
        if f["issuer"]:
            cmd += ["--issuer", f["issuer"]]
        if f["lint"]["precert"]:
            cmd.append("--precert")
        rc, out = run(*cmd)
        errors = {l.split()[0] for l in out.splitlines() if l.endswith(" error")}
        found = {l.split()[0] for l in out.splitlines() if len(l.split()) == 2}
        return rc, errors, found, out

    n_valid = n_invalid = 0
    for f in m["files"]:
        p, kind, valid = f["path"], f["kind"], f["verdict"] == "valid"
        if kind in ("certificate", "precertificate"):
            rc, errors, found, out = lint(f)
            if valid:
                n_valid += 1
                check(rc == 0 and not errors, "hsmca lint passes valid " + p, out)
                pre = kind == "precertificate"
                args = ["openssl", "verify", "-attime", str(at)] + chain_args(p)
                if not pre:
                    args.insert(2, "-x509_strict")
                else:
                    args.insert(2, "-ignore_critical")
                rc, out = run(*(args + [pem_of(p, tmp)]))
                check(rc == 0, "openssl verify " + p, out)
                # certtool: leaf first, root last
                chain, q = [], p
                while q is not None:
                    chain.append(open(pem_of(q, tmp)).read())
                    q = files[q]["issuer"]
                if not pre:
                    bundle = os.path.join(tmp, "ct_chain.pem")
                    open(bundle, "w").write("".join(chain))
                    rc, out = run("certtool", "--verify-chain", "--infile", bundle,
                                  "--verify-profile=low")
                    check(rc == 0, "certtool --verify-chain " + p, out)
                try:
                    c = x509.load_der_x509_certificate(open(p, "rb").read())
                    ok("python3-cryptography parses " + p)
                except Exception as e:  # noqa: BLE001
                    fail("python3-cryptography parses " + p, e)
                if kind == "certificate" and f["derived_from"]:
                    pc = x509.load_der_x509_certificate(open(f["derived_from"], "rb").read())
                    want = strip_poison(pc.tbs_certificate_bytes)
                    check(c.tbs_precertificate_bytes == want,
                          "python3-cryptography: final corresponds to its precert " + p)
                    rc, out = run(hsmca, "--now", f["lint"]["at"], "verify", "--precert",
                                  f["derived_from"], "--final", p, "--issuer-cert", f["issuer"],
                                  "--root", root_of(p),
                                  *sum((["--log-key", k] for k in log_keys), []))
                    check(rc == 0, "hsmca verify (OpenSSL SCT validation) " + p, out)
            else:
                n_invalid += 1
                want = f["lint"]["rule"]
                also = set(f["lint"]["also"])
                if want:
                    check(want in found,
                          "hsmca lint reports %s for %s" % (want, p), out)
                    check(errors <= {want} | also,
                          "hsmca lint reports no other error for " + p, out)
                else:
                    check(not errors, "hsmca lint has no rule for %s and reports no error" % p,
                          out)
        elif kind == "ocsp-response":
            iss = pem_of(f["issuer"], tmp)
            rc, out = run("openssl", "ocsp", "-respin", p, "-issuer", iss, "-serial",
                          "0x" + f["serial"], "-VAfile", pem_of(f["responder"], tmp),
                          "-attime", str(at))
            check(rc == 0 and "Response verify OK" in out, "openssl ocsp verifies " + p, out)
            check(": " + f["ocsp_status"] in out,
                  "openssl ocsp shows %s for %s" % (f["ocsp_status"], p), out)
            r = ocsp.load_der_ocsp_response(open(p, "rb").read())
            check(r.certificate_status.name.lower() == f["ocsp_status"],
                  "python3-cryptography reads status %s in %s" % (f["ocsp_status"], p))
            if valid:
                n_valid += 1
            else:
                n_invalid += 1
        elif kind == "crl":
            rc, out = run("openssl", "crl", "-inform", "DER", "-in", p, "-CAfile",
                          pem_of(f["issuer"], tmp), "-noout", "-text")
            check(rc == 0 and "verify OK" in out, "openssl crl -verify " + p, out)
            crl = x509.load_der_x509_crl(open(p, "rb").read())
            if valid:
                n_valid += 1
            else:
                n_invalid += 1
                name = os.path.basename(p)
                if "certificate-hold" in name:
                    check("Certificate Hold" in out, "openssl shows certificateHold in " + p, out)
                if "reason-zero" in name:
                    check("Unspecified" in out, "openssl shows reasonCode 0 in " + p, out)
                if "number-decreasing" in name:
                    prev = x509.load_der_x509_crl(open(f["derived_from"], "rb").read())
                    num = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
                    check(num(crl) < num(prev), "python3-cryptography: CRL number decreases in " + p)
        elif kind == "sct":
            if valid:
                n_valid += 1
            else:
                n_invalid += 1
    # Negative certificates an independent tool can see.
    for p, tool_check in NEG_TOOL_CHECKS.items():
        if p in files:
            tool_check(p, tmp)
    ok("checked %d valid and %d invalid fixtures" % (n_valid, n_invalid))


def hdr(b, i):
    t = b[i]
    ln = b[i + 1]
    i += 2
    if ln & 0x80:
        n = ln & 0x7F
        ln = int.from_bytes(b[i:i + n], "big")
        i += n
    return t, ln, i


def enc(t, body):
    n = len(body)
    if n < 0x80:
        return bytes([t, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([t, 0x80 | len(lb)]) + lb + body


def strip_poison(tbs):
    """The precert TBS without the poison, by a DER walk of our own."""
    _, ln, i = hdr(tbs, 0)
    body = tbs[i:i + ln]
    parts, j = [], 0
    while j < len(body):
        _, l2, k = hdr(body, j)
        parts.append(body[j:k + l2])
        j = k + l2
    exts = parts[-1]
    _, _, k3 = hdr(exts, 0)
    seq = exts[k3:]
    _, _, k4 = hdr(seq, 0)
    items = seq[k4:]
    kept, j = [], 0
    poison = bytes.fromhex("060a2b06010401d679020403")
    while j < len(items):
        _, l5, k5 = hdr(items, j)
        e = items[j:k5 + l5]
        if poison not in e[:16]:
            kept.append(e)
        j = k5 + l5
    return enc(0x30, b"".join(parts[:-1]) + enc(0xA3, enc(0x30, b"".join(kept))))


def _serial(p, tmp):
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-serial")
    return out.strip()


def _neg_serial_zero(p, tmp):
    check(_serial(p, tmp) == "serial=00", "openssl shows serial 0 in " + p, _serial(p, tmp))


def _neg_serial_negative(p, tmp):
    s = _serial(p, tmp)
    check(s.startswith("serial=-"), "openssl shows a negative serial in " + p, s)


def _neg_serial_21(p, tmp):
    s = _serial(p, tmp)
    check(len(s) - len("serial=") == 42, "openssl shows a 21-octet serial in " + p, s)


def _neg_poison_noncrit(p, tmp):
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-text")
    check("CT Precertificate Poison" in out and "Poison: critical" not in out,
          "openssl shows the poison not critical in " + p, out)


def _neg_sigalg(p, tmp):
    c = x509.load_der_x509_certificate(open(p, "rb").read())
    check(c.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.12",
          "python3-cryptography sees sha384WithRSAEncryption outside in " + p)
    rc, out = run("openssl", "verify", "-ignore_critical", "-CAfile",
                  pem_of("invalid/hierarchy/root.der", tmp), "-untrusted",
                  pem_of("invalid/hierarchy/subordinate.der", tmp), pem_of(p, tmp))
    check(rc != 0, "openssl verify refuses " + p, out)


def _neg_correspond(p, tmp):
    m = json.load(open("manifest.json"))
    f = {x["path"]: x for x in m["files"]}[p]
    pc = x509.load_der_x509_certificate(open(f["derived_from"], "rb").read())
    c = x509.load_der_x509_certificate(open(p, "rb").read())
    check(c.tbs_precertificate_bytes != strip_poison(pc.tbs_certificate_bytes),
          "python3-cryptography: %s does not correspond to its precert" % p)


def _neg_nocheck(p, tmp):
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-text")
    check("OCSP No Check" not in out, "openssl shows no OCSP No Check in " + p, out)


def _neg_nc(p, tmp):
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-text")
    check("Name Constraints:" in out and "Name Constraints: critical" not in out,
          "openssl shows non-critical name constraints in " + p, out)


NEG_TOOL_CHECKS = {
    "invalid/serial-zero.der": _neg_serial_zero,
    "invalid/serial-negative.der": _neg_serial_negative,
    "invalid/serial-21-octets.der": _neg_serial_21,
    "invalid/precert-poison-non-critical.der": _neg_poison_noncrit,
    "invalid/signature-algorithm-mismatch.der": _neg_sigalg,
    "invalid/final-reordered-extension.der": _neg_correspond,
    "invalid/final-not-after-plus-1s.der": _neg_correspond,
    "invalid/final-changed-san.der": _neg_correspond,
    "invalid/ocsp-responder-no-nocheck.der": _neg_nocheck,
    "invalid/subordinate-name-constraints-non-critical.der": _neg_nc,
}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4:
        main_check(os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
