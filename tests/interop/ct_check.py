#!/usr/bin/env python3
"""Independent check of an hsmca precertificate / final certificate pair (CT).

usage: ct_check.py [options] PRECERT FINAL

  PRECERT, FINAL  the precertificate and the final certificate (PEM or DER)

options:
  --sct LOGID_HEX:TIMESTAMP_MS  an SCT the final must embed, in order; give it
                                once per SCT (then the count must match too;
                                without --sct, any number of SCTs passes)
  --issuer FILE                 the issuing CA certificate: with --log-key,
                                each SCT's signature is verified over the
                                RFC 6962 §3.2 precert entry built here
  --log-key FILE                a log's PEM public key (repeatable)
  --quiet                       print nothing on success

Checks (CONFORMANCE.md §9-11, RFC 6962 §3.1-3.3):
  - the precert has exactly one poison extension, critical, encoded exactly
    3013060a2b06010401d6790204030101ff04020500, and no SCT list;
  - the final has no poison and exactly one SCT list extension, not
    critical, whose extnValue is an OCTET STRING holding the TLS list;
  - cryptography's final.tbs_precertificate_bytes equals the precert's TBS
    with the poison removed, computed here by a DER walk of our own;
  - each SCT: v1, precert entry, log id and timestamp as given;
  - with --issuer and --log-key: each SCT's signature verifies.

Exit status: 0 when every check passes; 1 with one line per failed check on
stderr; 2 for a usage error or an unreadable file. Uses only python3 and
`cryptography` (Debian's python3-cryptography 38: run it with /usr/bin/python3),
sharing no code with hsmca. Used by tests/unit/test_ct.c.
"""
import datetime
import hashlib
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.certificate_transparency import LogEntryType, Version

POISON_OID = "1.3.6.1.4.1.11129.2.4.3"
SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"
POISON_DER = bytes.fromhex("3013060a2b06010401d6790204030101ff04020500")
POISON_OID_DER = bytes.fromhex("2b06010401d679020403")


class DERError(Exception):
    pass


def tlv(buf, off, end):
    """(tag, header_end, element_end) of the DER element at off; strict."""
    if off + 2 > end:
        raise DERError("truncated element at %d" % off)
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise DERError("multi-byte tag at %d" % off)
    n = buf[off + 1]
    p = off + 2
    if n == 0x80:
        raise DERError("indefinite length at %d" % off)
    if n & 0x80:
        k = n & 0x7F
        if k > 4 or p + k > end:
            raise DERError("bad length at %d" % off)
        length = int.from_bytes(buf[p:p + k], "big")
        if buf[p] == 0 or length < 0x80:
            raise DERError("non-minimal length at %d" % off)
        p += k
    else:
        length = n
    if p + length > end:
        raise DERError("element at %d overruns its parent" % off)
    return tag, p, p + length


def children(buf, start, end):
    out = []
    off = start
    while off < end:
        tag, hs, e = tlv(buf, off, end)
        out.append((tag, off, hs, e))
        off = e
    return out


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tbs_of(cert_der):
    (tag, _, hs, e), = children(cert_der, 0, len(cert_der))
    if tag != 0x30:
        raise DERError("not a Certificate")
    parts = children(cert_der, hs, e)
    if len(parts) != 3 or parts[0][0] != 0x30:
        raise DERError("Certificate is not SEQUENCE {tbs, alg, sig}")
    return parts[0]


def extensions_of(cert_der):
    """[(oid_der, critical, value_bytes, whole_der)] of the TBS extensions."""
    _, _, hs, e = tbs_of(cert_der)
    out = []
    for tag, _, chs, ce in children(cert_der, hs, e):
        if tag != 0xA3:
            continue
        (stag, _, shs, se), = children(cert_der, chs, ce)
        for xtag, xo, xhs, xe in children(cert_der, shs, se):
            parts = children(cert_der, xhs, xe)
            oid = cert_der[parts[0][2]:parts[0][3]]
            crit = len(parts) == 3 and cert_der[parts[1][2]:parts[1][3]] == b"\xff"
            val = cert_der[parts[-1][2]:parts[-1][3]]
            out.append((oid, crit, val, cert_der[xo:xe]))
    return out


def precert_tbs_without_poison(cert_der):
    """RFC 6962 §3.2: the precert's TBSCertificate with the poison removed,
    re-encoded by hand (only the lengths above the extension change)."""
    _, _, hs, e = tbs_of(cert_der)
    body = b""
    for tag, o, chs, ce in children(cert_der, hs, e):
        if tag != 0xA3:
            body += cert_der[o:ce]
            continue
        (stag, _, shs, se), = children(cert_der, chs, ce)
        kept = b""
        for xtag, xo, xhs, xe in children(cert_der, shs, se):
            oidtag, ohs, oe = tlv(cert_der, xhs, xe)
            if cert_der[ohs:oe] != POISON_OID_DER:
                kept += cert_der[xo:xe]
        if kept:
            seq = b"\x30" + der_len(len(kept)) + kept
            body += b"\xa3" + der_len(len(seq)) + seq
    return b"\x30" + der_len(len(body)) + body


def load_cert(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        c = x509.load_pem_x509_certificate(data)
    else:
        c = x509.load_der_x509_certificate(data)
    return c, c.public_bytes(serialization.Encoding.DER)


def spki_der(key):
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def ms(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (dt - epoch) // datetime.timedelta(milliseconds=1)


def main(argv):
    quiet = False
    expected = []
    issuer_path = None
    key_paths = []
    pos = []
    i = 0
    try:
        while i < len(argv):
            a = argv[i]
            if a == "--quiet":
                quiet = True
            elif a == "--sct":
                i += 1
                lid, ts = argv[i].split(":")
                expected.append((bytes.fromhex(lid), int(ts)))
            elif a == "--issuer":
                i += 1
                issuer_path = argv[i]
            elif a == "--log-key":
                i += 1
                key_paths.append(argv[i])
            elif a.startswith("--"):
                raise ValueError("unknown option " + a)
            else:
                pos.append(a)
            i += 1
        if len(pos) != 2:
            raise ValueError("need PRECERT and FINAL")
    except (ValueError, IndexError) as e:
        print("ct_check.py: usage: %s (see the docstring)" % e, file=sys.stderr)
        return 2
    try:
        pre, pre_der = load_cert(pos[0])
        fin, fin_der = load_cert(pos[1])
        issuer = load_cert(issuer_path)[0] if issuer_path else None
        keys = {}
        for p in key_paths:
            k = serialization.load_pem_public_key(open(p, "rb").read())
            keys[hashlib.sha256(spki_der(k)).digest()] = k
    except (OSError, ValueError) as e:
        print("ct_check.py: %s" % e, file=sys.stderr)
        return 2

    fails = []

    def check(ok, msg):
        if not ok:
            fails.append(msg)
        return ok

    try:
        pexts = extensions_of(pre_der)
        fexts = extensions_of(fin_der)
    except (DERError, ValueError) as e:
        print("ct_check.py: DER: %s" % e, file=sys.stderr)
        return 1

    # CONFORMANCE.md §9: exactly one poison, critical, value NULL; no SCT list.
    poisons = [x for x in pexts if x[0] == POISON_OID_DER]
    if check(len(poisons) == 1, "precert: %d poison extensions, want 1" % len(poisons)):
        check(poisons[0][3] == POISON_DER,
              "precert: poison extension is %s, want %s" % (poisons[0][3].hex(), POISON_DER.hex()))
        try:
            ext = pre.extensions.get_extension_for_oid(x509.ObjectIdentifier(POISON_OID))
            check(ext.critical, "precert: cryptography says the poison is not critical")
        except Exception as err:  # noqa: BLE001 - report whatever cryptography refuses
            check(False, "precert: cryptography cannot read the poison: %s" % err)
    check(not any(x[0] == bytes.fromhex("2b06010401d679020402") for x in pexts),
          "precert: carries an SCT list extension")

    # The final: no poison, one non-critical SCT list.
    check(not any(x[0] == POISON_OID_DER for x in fexts), "final: still has the poison")
    slist = [x for x in fexts if x[0] == bytes.fromhex("2b06010401d679020402")]
    scts = []
    if check(len(slist) == 1, "final: %d SCT list extensions, want 1" % len(slist)):
        check(not slist[0][1], "final: the SCT list extension is critical")
        val = slist[0][2]
        try:
            tag, hs, e = tlv(val, 0, len(val))
            check(tag == 0x04 and e == len(val),
                  "final: SCT list extnValue is not one OCTET STRING (RFC 6962 §3.3)")
        except DERError as err:
            check(False, "final: SCT list extnValue: %s" % err)
        try:
            ext = fin.extensions.get_extension_for_oid(x509.ObjectIdentifier(SCT_LIST_OID))
            check(not ext.critical, "final: cryptography says the SCT list is critical")
            scts = list(ext.value)
        except Exception as err:  # noqa: BLE001
            check(False, "final: cryptography cannot read the SCT list: %s" % err)

    # RFC 6962 §3.2: the TBS the log signed is the same from both sides.
    mine = precert_tbs_without_poison(pre_der)
    try:
        theirs = fin.tbs_precertificate_bytes
    except Exception as err:  # noqa: BLE001
        theirs = b""
        check(False, "final: cryptography cannot compute tbs_precertificate_bytes: %s" % err)
    check(mine == theirs,
          "final.tbs_precertificate_bytes differs from the precert TBS without poison "
          "(%d vs %d bytes)" % (len(theirs), len(mine)))
    check(pre.serial_number == fin.serial_number, "serial numbers differ")

    if expected:
        check(len(scts) == len(expected),
              "final: %d SCTs, want %d" % (len(scts), len(expected)))
    for n, s in enumerate(scts):
        tag = "SCT %d" % (n + 1)
        check(s.version == Version.v1, "%s: version %s, want v1" % (tag, s.version))
        check(s.entry_type == LogEntryType.PRE_CERTIFICATE,
              "%s: entry type %s, want precert" % (tag, s.entry_type))
        if n < len(expected):
            lid, ts = expected[n]
            check(s.log_id == lid, "%s: log id %s, want %s" % (tag, s.log_id.hex(), lid.hex()))
            check(ms(s.timestamp) == ts,
                  "%s: timestamp %d ms, want %d" % (tag, ms(s.timestamp), ts))
        if issuer is not None and keys:
            key = keys.get(s.log_id)
            if not check(key is not None, "%s: no --log-key has log id %s" % (tag, s.log_id.hex())):
                continue
            ikh = hashlib.sha256(spki_der(issuer.public_key())).digest()
            data = (b"\x00\x00" + ms(s.timestamp).to_bytes(8, "big") + b"\x00\x01" + ikh +
                    len(mine).to_bytes(3, "big") + mine +
                    len(s.extension_bytes).to_bytes(2, "big") + s.extension_bytes)
            try:
                if isinstance(key, ec.EllipticCurvePublicKey):
                    key.verify(s.signature, data, ec.ECDSA(hashes.SHA256()))
                elif isinstance(key, rsa.RSAPublicKey):
                    key.verify(s.signature, data, padding.PKCS1v15(), hashes.SHA256())
                else:
                    check(False, "%s: unsupported log key type" % tag)
            except InvalidSignature:
                check(False, "%s: the signature does not verify over the precert entry" % tag)

    for f in fails:
        print("ct_check.py: FAIL: %s" % f, file=sys.stderr)
    if not fails and not quiet:
        print("ct_check.py: OK: %d SCTs, TBS of %d bytes" % (len(scts), len(mine)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
