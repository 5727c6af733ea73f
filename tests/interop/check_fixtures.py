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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

passed = failed = 0
HSMCA = None  # the hsmca binary (main_check)


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


def openssl_ocsp_at(at, *args):
    """openssl ocsp with its clock at `at` (epoch seconds): -attime covers
    the certificates, but OCSP_check_validity reads the real clock for
    thisUpdate/nextUpdate, so the fixtures' own time is faked (faketime,
    as test_revocation.sh does)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
    p = subprocess.run(["faketime", stamp, "openssl", "ocsp", *args, "-attime", str(at)],
                       capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    return p.returncode, p.stdout + p.stderr


def resp_at(p, at):
    """A time inside the response's own window (a minute after thisUpdate)
    when `at`, the corpus's time, is before it (the lag fixtures are dated
    15 minutes later); `at` otherwise."""
    try:
        r = ocsp.load_der_ocsp_response(open(p, "rb").read())
        tu = calendar.timegm(r.this_update.utctimetuple())
    except Exception:  # noqa: BLE001  (an unsigned error response has no times)
        return at
    return max(at, tu + 60)


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
    global HSMCA
    HSMCA = hsmca
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
        # certificates as their profile kind, judged against the issuer; a CRL
        # against its issuer, an OCSP response against its signer
        kind, signer = f["profile"], f["issuer"]
        if f["kind"] in ("crl", "ocsp-response"):
            kind = f["kind"]
            signer = f["issuer"] if kind == "crl" else f["responder"]
        cmd = [hsmca, "--now", f["lint"]["at"], "fixtures", "lint", f["path"], "--kind", kind]
        if signer:
            cmd += ["--issuer", signer]
        if f["lint"]["precert"]:
            cmd.append("--precert")
        rc, out = run(*cmd)
        errors = {l.split()[0] for l in out.splitlines() if l.endswith(" error")}
        found = {l.split()[0] for l in out.splitlines() if len(l.split()) == 2}
        return rc, errors, found, out

    def lint_check(f):
        """hsmca's lint on a file it judges: valid, no error; invalid, its
        rule and no other error (or, without a rule, no error at all)."""
        p = f["path"]
        rc, errors, found, out = lint(f)
        recorded = {x.split(":")[0] for x in f["lint"]["findings"]}
        if f["verdict"] == "valid":
            check(rc == 0 and not errors, "hsmca lint passes valid " + p, out)
            return
        want = f["lint"]["rule"]
        also = set(f["lint"]["also"])
        if want:
            check(want in found, "hsmca lint reports %s for %s" % (want, p), out)
            check(errors <= {want} | also, "hsmca lint reports no other error for " + p, out)
            check(found == recorded, "hsmca lint says what the manifest recorded for " + p,
                  "%s vs %s" % (sorted(found), sorted(recorded)))
        elif "unparseable:error" in f["lint"]["findings"]:
            # OpenSSL cannot parse it (an encoding defect): nor can the lint
            check(errors == {"unparseable"}, "hsmca lint cannot parse " + p, out)
        else:
            check(not errors, "hsmca lint has no rule for %s and reports no error" % p, out)

    signed = lambda f: (f["kind"] in ("certificate", "precertificate", "crl") or  # noqa: E731
                        f.get("ocsp_response_status") == "successful")
    wrong = [f["path"] for f in m["files"] if f["lint"]["applies"] != signed(f)]
    check(not wrong, "lint.applies to certificates, CRLs and signed OCSP responses only",
          " ".join(wrong))
    n_valid = n_invalid = 0
    for f in m["files"]:
        p, kind, valid = f["path"], f["kind"], f["verdict"] == "valid"
        if f["lint"]["applies"]:
            lint_check(f)
        if kind in ("certificate", "precertificate"):
            if valid:
                n_valid += 1
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
                    # A legacy PSC-issued precertificate (CONFORMANCE.md §8): the final
                    # has the PSC's issuer's name and keyIdentifier (RFC 6962 §3.2).
                    psc = files[f["derived_from"]]["issuer"] != f["issuer"]
                    want = strip_poison(pc.tbs_certificate_bytes,
                                        c.tbs_certificate_bytes if psc else None)
                    check(c.tbs_precertificate_bytes == want,
                          "python3-cryptography: final corresponds to its precert%s %s"
                          % (" (PSC form)" if psc else "", p))
                    rc, out = run(hsmca, "--now", f["lint"]["at"], "verify",
                                  *([] if psc else ["--precert", f["derived_from"]]),
                                  "--final", p, "--issuer-cert", f["issuer"],
                                  "--root", root_of(p),
                                  *sum((["--log-key", k] for k in log_keys), []))
                    check(rc == 0, "hsmca verify (OpenSSL SCT validation) " + p, out)
            else:
                n_invalid += 1
        elif kind == "ocsp-response" and f["ocsp_response_status"] != "successful":
            # an unsigned error response (RFC 6960 §2.3)
            want = f["ocsp_response_status"]
            rc, out = run("openssl", "ocsp", "-respin", p, "-resp_text", "-noverify")
            check("Responder Error: %s" % want.lower() in out,
                  "openssl ocsp shows %s in %s" % (want, p), out)
            r = ocsp.load_der_ocsp_response(open(p, "rb").read())
            check(r.response_status.name == OCSP_STATUS[want],
                  "python3-cryptography reads %s in %s" % (want, p))
            n_invalid += not valid
            n_valid += valid
        elif kind == "ocsp-request":
            rc, out = run("openssl", "ocsp", "-reqin", p, "-req_text")
            check(rc == 0 and "Serial Number: " + f["serial"].upper() in out,
                  "openssl ocsp reads the request " + p, out)
            q = ocsp.load_der_ocsp_request(open(p, "rb").read())
            check(q.serial_number == int(f["serial"], 16),
                  "python3-cryptography reads the serial of " + p)
            n_invalid += not valid
            n_valid += valid
        elif kind == "ocsp-response":
            iss = pem_of(f["issuer"], tmp)
            rc, out = openssl_ocsp_at(resp_at(p, at), "-respin", p, "-issuer", iss, "-serial",
                                      "0x" + f["serial"], "-VAfile", pem_of(f["responder"], tmp),
                                      "-no_nonce")
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
            if f["rule"]["id"] == "rfc5280.crl.signature_algorithm_match":
                # OpenSSL refuses two AlgorithmIdentifiers that differ (_neg_crl_sigalg)
                check("verify failure" in out, "openssl crl -verify refuses " + p, out)
            else:
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
            got = sct_check(f, files, m["logs"])
            if valid:
                n_valid += 1
                check(got == "valid", "python3-cryptography verifies the SCT " + p, got)
            else:
                n_invalid += 1
                check(got != "valid", "python3-cryptography refuses the SCT %s: %s" % (p, got))
    # Negative certificates an independent tool can see.
    for p, tool_check in NEG_TOOL_CHECKS.items():
        if p in files:
            tool_check(p, tmp)
    # No negative is a silent pass: without a lint rule, a tool shows it.
    silent = [f["path"] for f in m["files"]
              if f["verdict"] == "invalid" and not f["lint"]["rule"]
              and f["path"] not in NEG_TOOL_CHECKS and f["kind"] != "sct"
              and os.path.basename(f["path"]) not in INLINE_CHECKED]
    check(not silent, "every negative without a lint rule has an independent check",
          " ".join(silent))
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


def tbs_split(tbs):
    """(the TBS fields before the extensions, the Extension TLVs)."""
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
    out, j = [], 0
    while j < len(items):
        _, l5, k5 = hdr(items, j)
        out.append(items[j:k5 + l5])
        j = k5 + l5
    return parts[:-1], out


AKI_OID = bytes.fromhex("0603551d23")


def strip_poison(tbs, final_tbs=None):
    """The precert TBS without the poison, by a DER walk of our own. With
    final_tbs (a PSC-issued precert, RFC 6962 §3.2): also the issuer and
    the authorityKeyIdentifier taken from the final's TBS."""
    fields, exts = tbs_split(tbs)
    if final_tbs is not None:
        ffields, fexts = tbs_split(final_tbs)
        fields[3] = ffields[3]
        faki = [e for e in fexts if AKI_OID in e[:8]]
        exts = [faki[0] if AKI_OID in e[:8] else e for e in exts]
    poison = bytes.fromhex("060a2b06010401d679020403")
    kept = [e for e in exts if poison not in e[:16]]
    return enc(0x30, b"".join(fields) + enc(0xA3, enc(0x30, b"".join(kept))))


def sct_check(f, files, logs):
    """An SCT file checked by our own reading of RFC 6962 §3.2 and
    python3-cryptography's signature verification: "valid", or what is
    wrong."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    b = open(f["path"], "rb").read()
    if len(b) < 47:
        return "too short"
    log_id, ts = b[1:33], b[33:41]
    el = int.from_bytes(b[41:43], "big")
    ext = b[43:43 + el]
    at = 43 + el
    sl = int.from_bytes(b[at + 2:at + 4], "big") if len(b) >= at + 4 else -1
    if b[0] != 0 or sl < 0 or at + 4 + sl != len(b):
        return "not one v1 SCT in exact TLS lengths"
    sig = b[at + 4:]
    log = [lg for lg in logs if bytes.fromhex(lg["log_id"]) == log_id]
    if not log:
        return "log id of no log in logs/"
    pre = x509.load_der_x509_certificate(open(f["derived_from"], "rb").read())
    issuer = x509.load_der_x509_certificate(open(f["issuer"], "rb").read())
    final_tbs = None
    if files[f["derived_from"]]["issuer"] != f["issuer"]:  # a PSC-issued precert
        fin = [x for x in files.values() if x["derived_from"] == f["derived_from"]
               and x["kind"] == "certificate"][0]
        final_tbs = x509.load_der_x509_certificate(open(fin["path"], "rb").read()
                                                   ).tbs_certificate_bytes
    tbs = strip_poison(pre.tbs_certificate_bytes, final_tbs)
    ikh = hashlib.sha256(issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
    data = (b"\x00\x00" + ts + b"\x00\x01" + ikh + len(tbs).to_bytes(3, "big") + tbs
            + el.to_bytes(2, "big") + ext)
    key = serialization.load_pem_public_key(open(log[0]["key"], "rb").read())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001
        return "the signature does not verify over the precert entry"
    return "valid"


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


# Negatives checked in main_check's loop itself (status, reason, number).
INLINE_CHECKED = {"ocsp-precert-only-unknown.der", "ocsp-unassigned-good.der",
                  "crl-certificate-hold.crl", "crl-reason-zero.crl", "crl-number-decreasing.crl"}

OCSP_STATUS = {"malformedRequest": "MALFORMED_REQUEST", "internalError": "INTERNAL_ERROR",
               "tryLater": "TRY_LATER", "sigRequired": "SIG_REQUIRED",
               "unauthorized": "UNAUTHORIZED"}


def _label(p):
    return {x["path"]: x for x in json.load(open("manifest.json"))["files"]}[p]


def _resp(p):
    return ocsp.load_der_ocsp_response(open(p, "rb").read())


def _nonce(obj):
    """The nonce octets of an OCSP request or response, or None."""
    try:
        return obj.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _openssl_ocsp(p, tmp, *extra):
    f = _label(p)
    return openssl_ocsp_at(resp_at(p, epoch(f["lint"]["at"]) + 120), "-respin", p, "-issuer",
                           pem_of(f["issuer"], tmp), "-serial", "0x" + f["serial"], *extra)


def _neg_ocsp_window(p, tmp):
    r = _resp(p)
    interval = (r.next_update - r.this_update).total_seconds() + 1
    check(not 8 * 3600 <= interval <= 10 * 86400,
          "python3-cryptography: validity interval %d s of %s is outside BR 4.9.9's 8 h..10 d"
          % (interval, p))


def _neg_ocsp_no_certs(p, tmp):
    check(_resp(p).certificates == [], "python3-cryptography: no certificates in " + p)
    f = _label(p)
    rc, out = _openssl_ocsp(p, tmp, "-CAfile", pem_of(root_of_path(f["issuer"]), tmp),
                            "-no_nonce")
    check(rc != 0 and "signer certificate not found" in out,
          "openssl ocsp cannot find the signer of " + p, out)


def _neg_ocsp_echo(p, tmp):
    f = _label(p)
    rc, out = _openssl_ocsp(p, tmp, "-reqin", f["derived_from"], "-VAfile",
                            pem_of(f["responder"], tmp))
    q = ocsp.load_der_ocsp_request(open(f["derived_from"], "rb").read())
    got = _nonce(_resp(p))
    if "wrong" in p:
        check(rc != 0 and "Nonce Verify error" in out, "openssl ocsp: nonce verify error for " + p,
              out)
        check(got is not None and got != _nonce(q),
              "python3-cryptography: another nonce in " + p)
    else:
        check("WARNING: no nonce in response" in out, "openssl ocsp: no nonce in " + p, out)
        check(got is None and _nonce(q) is not None,
              "python3-cryptography: the request has a nonce, " + p + " none")


def _neg_ocsp_nonce_size(p, tmp):
    f = _label(p)
    q = ocsp.load_der_ocsp_request(open(f["derived_from"], "rb").read())
    r = _resp(p)
    n = len(_nonce(q))
    well_formed = 1 <= n <= 128  # RFC 9654 §2.1
    check(("%d-octets" % n) in p, "python3-cryptography: the request of %s has a %d-octet nonce"
          % (p, n))
    if well_formed:
        check(r.response_status.name == "MALFORMED_REQUEST",
              "python3-cryptography: a well-formed %d-octet nonce refused in %s" % (n, p))
    else:
        check(r.response_status.name == "SUCCESSFUL" and _nonce(r) == _nonce(q),
              "python3-cryptography: a %d-octet nonce answered and echoed in %s" % (n, p))


def _neg_ocsp_request_nonce(p, tmp):
    n = len(_nonce(ocsp.load_der_ocsp_request(open(p, "rb").read())))
    check(not 1 <= n <= 128, "python3-cryptography: %s has a %d-octet nonce" % (p, n))
    rc, out = run("openssl", "ocsp", "-reqin", p, "-req_text")
    check("OCSP Nonce" in out, "openssl ocsp shows the nonce of " + p, out)


def root_of_path(path):
    files = {x["path"]: x for x in json.load(open("manifest.json"))["files"]}
    while files[path]["issuer"] is not None:
        path = files[path]["issuer"]
    return path


def _cert(p):
    return x509.load_der_x509_certificate(open(p, "rb").read())


def _verify_raw(p, padding_=None, hash_=None):
    """The issuer's key verifies the signature over the TBS bytes as they are."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    c, iss = _cert(p), _cert(_label(p)["issuer"])
    h = hash_ or c.signature_hash_algorithm
    try:
        key = iss.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(h))
        else:
            key.verify(c.signature, c.tbs_certificate_bytes, padding_ or padding.PKCS1v15(), h)
        return True
    except Exception:  # noqa: BLE001
        return False


def _asn1parse(p):
    return run("openssl", "asn1parse", "-inform", "DER", "-in", p)[1]


def _neg_sigalg_p384(p, tmp):
    c, iss = _cert(p), _cert(_label(p)["issuer"])
    check(c.signature_hash_algorithm.name == "sha256"
          and iss.public_key().curve.name == "secp384r1",
          "python3-cryptography: SHA-256 signature by a P-384 issuer in " + p)
    check(_verify_raw(p), "python3-cryptography: the signature itself verifies in " + p)


def _neg_sigalg_null(p, tmp):
    lines = _asn1parse(p).splitlines()
    nulls = [i for i, l in enumerate(lines[:-1])
             if ":ecdsa-with-SHA384" in l and "NULL" in lines[i + 1]]
    check(len(nulls) == 2, "openssl asn1parse: ecdsa-with-SHA384 followed by NULL, twice, in " + p,
          "\n".join(lines[:12]))
    check(_verify_raw(p), "python3-cryptography: the signature itself verifies in " + p)


def _neg_sigalg_pss(p, tmp):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-text")
    check("Salt Length: 0xDE" in out, "openssl shows a PSS salt of 222 octets in " + p, out)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=222)
    check(_verify_raw(p, pss, hashes.SHA256()),
          "python3-cryptography verifies the PSS signature (salt 222) of " + p)


def _neg_sigalg_sha1(p, tmp):
    check(_cert(p).signature_hash_algorithm.name == "sha1",
          "python3-cryptography: a SHA-1 signature in " + p)
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-text")
    check("sha1WithRSAEncryption" in out, "openssl shows sha1WithRSAEncryption in " + p, out)


def _neg_serial_padded(p, tmp):
    out = _asn1parse(p)
    sn = _label(p)["serial"].upper()
    check(("BAD INTEGER:[00%s]" % sn) in out,
          "openssl asn1parse shows the serial with a leading 00 in " + p, out[:600])
    try:
        _cert(p)
        fail("python3-cryptography refuses the padded serial of " + p)
    except ValueError as e:
        check("serial" in str(e), "python3-cryptography refuses the padded serial of " + p, e)
    # the signature over the TBS as edited is the token's, and good
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    der = open(p, "rb").read()
    _, ln, i = hdr(der, 0)
    _, tl, j = hdr(der, i)
    tbs = der[i:j + tl]
    _, al, k = hdr(der, j + tl)
    _, sl, m = hdr(der, k + al)
    try:
        _cert(_label(p)["issuer"]).public_key().verify(der[m + 1:m + sl], tbs, padding.PKCS1v15(),
                                                       hashes.SHA256())
        ok("python3-cryptography verifies the signature over the padded TBS of " + p)
    except Exception as e:  # noqa: BLE001
        fail("python3-cryptography verifies the signature over the padded TBS of " + p, e)


def _neg_ca_false(p, tmp):
    lines = _asn1parse(p).splitlines()
    at = [i for i, l in enumerate(lines) if ":X509v3 Basic Constraints" in l]
    check(len(at) == 1 and "[HEX DUMP]:3003010100" in "".join(lines[at[0]:at[0] + 3]),
          "openssl asn1parse shows basicConstraints 30 03 01 01 00 (cA FALSE spelled out) in "
          + p, "\n".join(lines[at[0]:at[0] + 3]) if at else "")


TIME_TEXT = {"time-utctime-2051": ("UTCTIME", r"51\d{10}Z"),
             "time-generalized-2026": ("GENERALIZEDTIME", r"2026\d{10}Z"),
             "time-no-seconds": ("UTCTIME", r"\d{10}Z"),
             "time-fractional-seconds": ("GENERALIZEDTIME", r"\d{14}\.5Z")}


def _neg_time(p, tmp):
    import re
    typ, pat = TIME_TEXT[os.path.basename(p)[:-4]]
    times = re.findall(r"prim: (UTCTIME|GENERALIZEDTIME) +:(\S+)", _asn1parse(p))
    check(any(t == typ and re.fullmatch(pat, v) for t, v in times[:2]),
          "openssl asn1parse shows a %s %s in %s" % (typ, pat, p), times)


def _neg_crl_validity(p, tmp):
    crl = x509.load_der_x509_crl(open(p, "rb").read())
    d = (crl.next_update - crl.last_update).total_seconds()
    check(d == 10 * 86400 + 1, "python3-cryptography: nextUpdate - thisUpdate = %d s in %s"
          % (d, p))


def _neg_crl_empty(p, tmp):
    out = _asn1parse(p)
    check(any("d=2" in l and "l=   0 cons: SEQUENCE" in l for l in out.splitlines()),
          "openssl asn1parse shows an empty revokedCertificates SEQUENCE in " + p, out)


def _psc_chain(p, tmp):
    """invalid/psc.der issues invalid/psc-precert.der: its EKU is the PSC's;
    the SCT file is one of those the final embeds."""
    f = _label(p)
    psc = _label(f["issuer"])
    rc, out = run("openssl", "x509", "-inform", "DER", "-in", psc["path"], "-noout", "-text")
    check("CT Precertificate Signer" in out and psc["profile"] == "precert-signer",
          "openssl shows the precertificate signing EKU of %s, which issued %s"
          % (psc["path"], p), out)
    c = _cert(p)
    check(c.issuer == _cert(psc["path"]).subject, "python3-cryptography: %s names the PSC as "
          "issuer" % p)
    fin = [x for x in json.load(open("manifest.json"))["files"]
           if x["derived_from"] == p and x["kind"] == "certificate"][0]
    sct = [x for x in json.load(open("manifest.json"))["files"]
           if x["derived_from"] == p and x["kind"] == "sct"][0]
    raw = open(sct["path"], "rb").read()
    embedded = _cert(fin["path"]).extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps).value
    check(any(e.log_id == raw[1:33] and e.signature == raw[-len(e.signature):]
              for e in embedded), "python3-cryptography: %s is embedded in %s"
          % (sct["path"], fin["path"]))


def _scts(p):
    return list(_cert(p).extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps).value)


def _hsmca_verify(p, precert=True):
    f = _label(p)
    m = json.load(open("manifest.json"))
    return run(HSMCA, "--now", f["lint"]["at"], "verify", "--final", p, "--issuer-cert",
               f["issuer"], "--root", root_of_path(p),
               *(["--precert", "invalid/hierarchy/precert.der"] if precert else []),
               *sum((["--log-key", lg["key"]] for lg in m["logs"]), []))


def _neg_second(p, tmp):
    f = _label(p)
    a, b = _cert(f["derived_from"]), _cert(p)
    pre = _cert(_label(f["derived_from"])["derived_from"])
    check(a.serial_number == b.serial_number and a.issuer == b.issuer,
          "python3-cryptography: %s has the serial and issuer of %s" % (p, f["derived_from"]))
    check(a.tbs_precertificate_bytes == b.tbs_precertificate_bytes ==
          strip_poison(pre.tbs_certificate_bytes),
          "python3-cryptography: %s and %s are finals of the same precertificate"
          % (p, f["derived_from"]))
    ids = lambda c: [(s.log_id, s.timestamp) for s in _scts(c)]  # noqa: E731
    check(ids(p) != ids(f["derived_from"]), "python3-cryptography: another SCT list in " + p)
    rc, out = _hsmca_verify(p)
    check(rc == 0, "hsmca verify: %s is a correct final on its own" % p, out)


def _neg_late(p, tmp):
    f = _label(p)
    d = epoch(f["lint"]["at"]) - calendar.timegm(_cert(p).not_valid_before.utctimetuple())
    check(d > 48 * 3600, "python3-cryptography: %s signed %d s after its notBefore" % (p, d))


def _neg_x509_entry(p, tmp):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    m = json.load(open("manifest.json"))
    f = _label(p)
    s = _scts(p)[0]
    log = [lg for lg in m["logs"] if bytes.fromhex(lg["log_id"]) == s.log_id][0]
    key = serialization.load_pem_public_key(open(log["key"], "rb").read())
    der = open(f["derived_from"], "rb").read()
    ts = int(calendar.timegm(s.timestamp.utctimetuple()) * 1000 + s.timestamp.microsecond // 1000)
    # RFC 6962 §3.2: the x509_entry form (entry_type 0, the certificate's DER)
    data = (b"\x00\x00" + ts.to_bytes(8, "big") + b"\x00\x00" + len(der).to_bytes(3, "big")
            + der + len(s.extension_bytes).to_bytes(2, "big") + s.extension_bytes)
    try:
        key.verify(s.signature, data, padding.PKCS1v15(), hashes.SHA256())
        ok("python3-cryptography: the first SCT of %s is %s's x509_entry over %s"
           % (p, log["name"], f["derived_from"]))
    except Exception as e:  # noqa: BLE001
        fail("python3-cryptography: the first SCT of %s is an x509_entry SCT" % p, e)
    rc, out = _hsmca_verify(p, precert=False)
    check(rc != 0 and "3 of 4 embedded SCTs valid" in out,
          "hsmca verify (OpenSSL's SCT validation) refuses one SCT of " + p, out)


def _neg_one_operator(p, tmp):
    m = json.load(open("manifest.json"))
    ops = {lg["operator"] for lg in m["logs"]
           for s in _scts(p) if bytes.fromhex(lg["log_id"]) == s.log_id}
    check(len(_scts(p)) == 3 and len(ops) == 1,
          "python3-cryptography + manifest: 3 SCTs of %s from one operator %s" % (p, ops))
    rc, out = _hsmca_verify(p)
    check(rc == 0, "hsmca verify: every SCT of %s is valid" % p, out)


# ---- signature algorithm faults of CRLs and OCSP responses (BR 7.1.3.2)

def _crl(p):
    return x509.load_der_x509_crl(open(p, "rb").read())


def _signer(p):
    """The certificate whose key signed a CRL (its issuer) or OCSP response."""
    f = _label(p)
    return _cert(f["responder"] if f["kind"] == "ocsp-response" else f["issuer"])


def _signed_parts(p, pss=None):
    """(signature, the signed bytes as they are in the file, hash named outside;
    for RSASSA-PSS, which this python3-cryptography does not name, SHA-256)."""
    if _label(p)["kind"] == "crl":
        c = _crl(p)
        return (c.signature, c.tbs_certlist_bytes,
                hashes.SHA256() if pss is not None else c.signature_hash_algorithm)
    r = _resp(p)
    return (r.signature, r.tbs_response_bytes,
            hashes.SHA256() if pss is not None else r.signature_hash_algorithm)


def _verifies(p, pss_salt=None):
    """The signer's key verifies the signature over the signed bytes as they
    are, with the hash signatureAlgorithm names: the fault was in the bytes
    before the token signed them, not put in after."""
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    sig, data, h = _signed_parts(p, pss_salt)
    key = _signer(p).public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, data, ec.ECDSA(h))
        elif pss_salt is not None:
            key.verify(sig, data, padding.PSS(mgf=padding.MGF1(h), salt_length=pss_salt), h)
        else:
            key.verify(sig, data, padding.PKCS1v15(), h)
        return True
    except Exception:  # noqa: BLE001
        return False


def _asn1parse_signed(p):
    """openssl asn1parse of a CRL, or of the BasicOCSPResponse inside an
    OCSP response (-strparse at its OCTET STRING)."""
    out = _asn1parse(p)
    if _label(p)["kind"] == "ocsp-response":
        lines = out.splitlines()
        at = [i for i, l in enumerate(lines) if ":Basic OCSP Response" in l]
        off = lines[at[0] + 1].split(":")[0].strip() if at else "0"
        out = run("openssl", "asn1parse", "-inform", "DER", "-in", p, "-strparse", off)[1]
    return out


def _neg_rev_sigalg(p, tmp):
    kind = _label(p)["kind"]
    pss = 222 if "pss-wrong-salt" in p else None
    _, _, h = _signed_parts(p, pss)
    check(_verifies(p, pss), "python3-cryptography: %s's signer verifies the signature over "
          "the signed bytes as they are, %s" % (kind, p))
    if pss is not None:
        # BR 7.1.3.2.1: salt 32; this one verifies with 222 and not with 32
        check(not _verifies(p, 32), "python3-cryptography: a PSS salt of 32 does not verify "
              + p)
        if kind == "crl":
            out = run("openssl", "crl", "-inform", "DER", "-in", p, "-noout", "-text")[1]
        else:
            out = run("openssl", "ocsp", "-respin", p, "-resp_text", "-noverify")[1]
        check("rsassaPss" in out and "Salt Length: 0xDE" in out,
              "openssl shows rsassaPss with Salt Length 0xDE (222) in " + p, out)
    elif "p384-sha256" in p:
        check(h.name == "sha256" and _signer(p).public_key().curve.name == "secp384r1",
              "python3-cryptography: SHA-256 signature by a P-384 key in " + p)
    elif "ecdsa-null-params" in p:
        lines = _asn1parse_signed(p).splitlines()
        nulls = [i for i, l in enumerate(lines[:-1])
                 if ":ecdsa-with-SHA384" in l and "NULL" in lines[i + 1]]
        want = 2 if kind == "crl" else 1  # the tbsCertList's and the outer one
        check(len(nulls) == want, "openssl asn1parse: ecdsa-with-SHA384 followed by NULL "
              "(%d times) in %s" % (want, p), "\n".join(lines[:14]))
    elif "sha1" in p:
        check(h.name == "sha1", "python3-cryptography: a SHA-1 signature in " + p)
        if kind == "crl":
            out = run("openssl", "crl", "-inform", "DER", "-in", p, "-noout", "-text")[1]
        else:
            out = run("openssl", "ocsp", "-respin", p, "-resp_text", "-noverify")[1]
        check("sha1WithRSAEncryption" in out, "openssl shows sha1WithRSAEncryption in " + p, out)
    elif "mismatch" in p:
        algs = [l.split(":")[-1] for l in _asn1parse(p).splitlines() if "WithRSAEncryption" in l]
        check(algs == ["sha384WithRSAEncryption", "sha256WithRSAEncryption"],
              "openssl asn1parse: tbsCertList.signature sha384WithRSAEncryption, "
              "signatureAlgorithm sha256WithRSAEncryption in " + p, algs)
        check(not _crl(p).is_signature_valid(_signer(p).public_key()),
              "python3-cryptography refuses the CRL's signature (two algorithms) in " + p)
    else:
        fail("no independent check for " + p)


# ---- stateful lag faults (CONFORMANCE.md §12, §13, §15)

def _ts(dt):
    return calendar.timegm(dt.utctimetuple())


def _neg_ocsp_lag(p, tmp):
    """BR 4.9.9: an assigned serial is good or revoked within 15 minutes of
    publication, here the earliest SCT of the serial's final (derived_from).
    The valid twin, 2 s earlier, is checked the other way."""
    f = _label(p)
    fin = _cert(f["derived_from"])
    pre = _cert(_label(f["derived_from"])["derived_from"])
    published = min(_ts(s.timestamp) for s in _scts(f["derived_from"]))
    for q, late in ((p, True), (p.replace("plus-1s", "minus-1s"), False)):
        r = _resp(q)
        lag = _ts(r.produced_at) - published
        check(r.serial_number == pre.serial_number == fin.serial_number
              and r.certificate_status.name == "UNKNOWN"
              and _ts(r.this_update) == _ts(r.produced_at),
              "python3-cryptography: %s answers unknown for the assigned serial of %s"
              % (q, f["derived_from"]))
        check((lag > 15 * 60) == late and abs(lag - 15 * 60) == 1,
              "python3-cryptography: %s produced %d s after the earliest SCT of %s (%s 15 min)"
              % (q, lag, f["derived_from"], "over" if late else "within"))
        check(_label(q)["verdict"] == ("invalid" if late else "valid"),
              "the manifest calls %s %s" % (q, "invalid" if late else "valid"))


def _neg_crl_lag(p, tmp):
    """BR 4.9.7: a revocation is in a CRL within 24 hours. The late CRL is
    the first to list it (derived_from, the CRL before, issued after the
    revocation, does not), 24 h + 1 s after the revocationDate."""
    f = _label(p)
    late, prev = _crl(p), _crl(f["derived_from"])
    num = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    entries = list(late)
    check(len(entries) == 1, "python3-cryptography: one entry in " + p)
    if not entries:
        return
    e = entries[0]
    revoked = _ts(e.revocation_date)
    check(_ts(late.last_update) - revoked == 24 * 3600 + 1,
          "python3-cryptography: thisUpdate of %s is 24 h + 1 s after its entry's "
          "revocationDate" % p)
    check(num(prev) < num(late) and revoked <= _ts(prev.last_update) < _ts(late.last_update)
          and prev.get_revoked_certificate_by_serial_number(e.serial_number) is None,
          "python3-cryptography: %s (number %d, %d s after the revocation) does not list the "
          "serial %s first lists" % (f["derived_from"], num(prev),
                                     _ts(prev.last_update) - revoked, p))
    check(_label(f["derived_from"])["verdict"] == "valid",
          "the manifest calls the CRL before it valid (within 24 h)")


NEG_TOOL_CHECKS = {
    "invalid/final-second.der": _neg_second,
    "invalid/final-signed-late.der": _neg_late,
    "invalid/final-x509-entry-sct.der": _neg_x509_entry,
    "invalid/final-single-operator.der": _neg_one_operator,
    "invalid/psc-precert.der": _psc_chain,
    "invalid/serial-non-minimal.der": _neg_serial_padded,
    "invalid/ocsp-responder-ca-false-explicit.der": _neg_ca_false,
    "invalid/time-utctime-2051.der": _neg_time,
    "invalid/time-generalized-2026.der": _neg_time,
    "invalid/time-no-seconds.der": _neg_time,
    "invalid/time-fractional-seconds.der": _neg_time,
    "invalid/crl-validity-plus-1s.crl": _neg_crl_validity,
    "invalid/crl-empty-revoked.crl": _neg_crl_empty,
    "invalid/sigalg-p384-sha256.der": _neg_sigalg_p384,
    "invalid/sigalg-ecdsa-null-params.der": _neg_sigalg_null,
    "invalid/sigalg-pss-wrong-salt.der": _neg_sigalg_pss,
    "invalid/sigalg-sha1.der": _neg_sigalg_sha1,
    "invalid/ocsp-window-10-days.der": _neg_ocsp_window,
    "invalid/ocsp-window-7-hours.der": _neg_ocsp_window,
    "invalid/ocsp-delegated-no-certs.der": _neg_ocsp_no_certs,
    "invalid/ocsp-nonce-wrong-echo.der": _neg_ocsp_echo,
    "invalid/ocsp-nonce-missing-echo.der": _neg_ocsp_echo,
    "invalid/ocsp-nonce-0-octets.der": _neg_ocsp_nonce_size,
    "invalid/ocsp-nonce-129-octets.der": _neg_ocsp_nonce_size,
    "invalid/ocsp-nonce-15-octets.der": _neg_ocsp_nonce_size,
    "invalid/ocsp-nonce-33-octets.der": _neg_ocsp_nonce_size,
    "invalid/ocsp-request-nonce-0-octets.der": _neg_ocsp_request_nonce,
    "invalid/ocsp-request-nonce-129-octets.der": _neg_ocsp_request_nonce,
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
    "invalid/crl-sigalg-p384-sha256.crl": _neg_rev_sigalg,
    "invalid/crl-sigalg-ecdsa-null-params.crl": _neg_rev_sigalg,
    "invalid/crl-sigalg-sha1.crl": _neg_rev_sigalg,
    "invalid/crl-sigalg-mismatch.crl": _neg_rev_sigalg,
    "invalid/crl-sigalg-pss-wrong-salt.crl": _neg_rev_sigalg,
    "invalid/ocsp-sigalg-pss-wrong-salt.der": _neg_rev_sigalg,
    "invalid/ocsp-sigalg-p384-sha256.der": _neg_rev_sigalg,
    "invalid/ocsp-sigalg-ecdsa-null-params.der": _neg_rev_sigalg,
    "invalid/ocsp-sigalg-sha1.der": _neg_rev_sigalg,
    "invalid/ocsp-unknown-15-min-plus-1s.der": _neg_ocsp_lag,
    "invalid/crl-revocation-listed-late.crl": _neg_crl_lag,
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
