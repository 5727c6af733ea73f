#!/usr/bin/python3
"""Independent checks of hsmca's OCSP responses and CRLs (CONFORMANCE.md
sections 12 and 13), and a builder of OCSP requests that openssl cannot make.

Run it with Debian's /usr/bin/python3 (python3-cryptography 38 or later). It
shares no code with hsmca: responses and CRLs are parsed with
cryptography.x509 plus a small DER reader of its own for what cryptography
does not expose (absent fields, raw encodings).

usage:
  check_ocsp.py response RESP.der [options]
      --status NAME          successful (default), malformedRequest,
                             internalError, tryLater, sigRequired, unauthorized.
                             An error status must be the bare unsigned
                             OCSPResponse 30 03 0a 01 NN (RFC 6960 2.3); nothing
                             else is checked then.
      --signer CERT          the certificate whose key must have signed it: the
                             responder ID (byKey) must be SHA-1 of its
                             subjectPublicKey bits, the signature must verify
                             with it, nextUpdate <= its notAfter (MRSP 6)
      --delegated            certs holds exactly the signer's certificate
      --ca-signed            no certs field at all (CONFORMANCE.md 12)
      --issuer CERT          the CA the CertIDs must name (name and key hash)
      --hash sha1|sha256     the CertID hash algorithm of every answer
      --request REQ.der      the request: its CertIDs must be echoed in order
                             and its nonce echoed byte for byte (none if it
                             had none)
      --now TIME             producedAt = thisUpdate = TIME, for every answer
      --validity SECONDS     nextUpdate - thisUpdate + 1 s = SECONDS
      --next-update TIME     nextUpdate = TIME exactly
      --expect SERIAL=STATUS STATUS: good | unknown | revoked@TIME[/REASON];
                             REASON an RFC 5280 name (keyCompromise, ...) or
                             'none' (no revocationReason). When given, the
                             answers' serials must be exactly these.
      --extended-revoke      responseExtensions has the RFC 6960 2.2
                             extended-revoke extension (absent otherwise)
      --print                one line per answer: SERIAL STATUS EPOCH REASON
  check_ocsp.py request --issuer CERT --serial HEX [--serial HEX...] --out FILE
      [--hash sha1|sha256|md5|sha384] [--nonce-len N | --nonce HEX]
      [--nonce-not-octet-string] [--pad N]
      Build a DER OCSPRequest by hand (no signature). --pad adds a
      non-critical private extension with N zero octets (oversized requests).
  check_ocsp.py crl CRL [options]      (DER or PEM)
      --issuer CERT          signature verifies with its key, issuer name is
                             byte-identical to its subject, AKI = its SKI
      --number N             the CRL number
      --now TIME             thisUpdate = TIME
      --validity SECONDS     nextUpdate - thisUpdate = SECONDS
      --empty                no entries, and no revokedCertificates field
      --print                one line per entry: SERIAL revoked EPOCH REASON

TIME is RFC 3339 (2026-11-28T12:00:00Z) or seconds since the epoch. Exit
status: 0 when every check passes, 1 with one line per failed check on
stderr, 2 for a usage error.
"""
import argparse
import calendar
import datetime
import hashlib
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID, OCSPExtensionOID

OID_NONCE = "1.3.6.1.5.5.7.48.1.2"
OID_EXTENDED_REVOKE = "1.3.6.1.5.5.7.48.1.9"
# BR 7.1.3.2 / CONFORMANCE.md 2: the signature AlgorithmIdentifier follows
# the signing key's curve, no parameters.
ECDSA_ALG = {
    "secp256r1": bytes.fromhex("300a06082a8648ce3d040302"),
    "secp384r1": bytes.fromhex("300a06082a8648ce3d040303"),
    "secp521r1": bytes.fromhex("300a06082a8648ce3d040304"),
}
STATUS = {
    "successful": 0, "malformedRequest": 1, "internalError": 2, "tryLater": 3,
    "sigRequired": 5, "unauthorized": 6,
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


# ---------------------------------------------------------------- DER

def tlv(b, i=0):
    """(tag, content start, content end) of the TLV at b[i]."""
    tag = b[i]
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise ValueError("unsupported DER length")
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    if j + n > len(b):
        raise ValueError("DER runs past its end")
    return tag, j, j + n


def children(b, start=None, end=None):
    """[(tag, whole TLV bytes, content bytes)] inside b[start:end]."""
    if start is None:
        _, start, end = tlv(b, 0)
    out = []
    i = start
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, b[i:e], b[s:e]))
        i = e
    return out


def enc(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


def seq(*parts):
    return enc(0x30, b"".join(parts))


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return enc(0x06, body)


def integer_from_hex(h):
    v = bytes.fromhex(h if len(h) % 2 == 0 else "0" + h)
    v = v.lstrip(b"\x00") or b"\x00"
    if v[0] & 0x80:
        v = b"\x00" + v
    return enc(0x02, v)


def walk_times(b, out):
    """Collect every GeneralizedTime / UTCTime value under b (constructed
    types only; OCTET STRINGs are not opened)."""
    i = 0
    while i < len(b):
        t, s, e = tlv(b, i)
        if t in (0x18, 0x17):
            out.append((t, b[s:e]))
        elif t & 0x20:
            walk_times(b[s:e], out)
        i = e


# ---------------------------------------------------------------- helpers

def load_cert(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def key_bits(cert):
    """The subjectPublicKey BIT STRING's value, without the unused-bits
    octet (RFC 6960 4.1.1 / 4.2.1)."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    parts = children(spki)
    assert parts[1][0] == 0x03 and parts[1][2][0] == 0
    return parts[1][2][1:]


def parse_time(text):
    if text.isdigit():
        return int(text)
    return calendar.timegm(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def epoch(dt):
    return calendar.timegm(dt.utctimetuple())


def hexs(n):
    """A serial as hsmca and openssl print it: even-length lower-case hex."""
    h = "%x" % n
    return "0" + h if len(h) % 2 else h


def fmt(t):
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_sig(pub, sig, data, halg):
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, data, ec.ECDSA(halg))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), halg)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def hash_name(h):
    return {"sha1": "sha1", "sha256": "sha256"}.get(h.name, h.name)


# ---------------------------------------------------------------- response

def parse_expect(text):
    serial, _, st = text.partition("=")
    serial = serial.lower().removeprefix("0x")
    want = {"status": st, "time": None, "reason": None}
    if st.startswith("revoked"):
        want["status"] = "revoked"
        rest = st[len("revoked"):]
        if not rest.startswith("@"):
            raise SystemExit("check_ocsp: --expect %s: revoked needs @TIME" % text)
        when, _, reason = rest[1:].partition("/")
        want["time"] = parse_time(when)
        want["reason"] = reason or "none"
    elif st not in ("good", "unknown"):
        raise SystemExit("check_ocsp: --expect %s: unknown status" % text)
    return int(serial, 16), want


def request_info(path):
    """(certids as (hash oid, name hash, key hash, serial DER), nonce bytes or
    None) of a DER OCSPRequest, by our own DER reader."""
    der = open(path, "rb").read()
    tbs = children(der)[0]
    assert tbs[0] == 0x30
    ids, nonce = [], None
    for t, whole, body in children(tbs[2], 0, len(tbs[2])):
        if t == 0x30:  # requestList
            for _, req, reqbody in children(body, 0, len(body)):
                cid = children(reqbody, 0, len(reqbody))[0][2]
                alg, nh, kh, ser = children(cid, 0, len(cid))
                ids.append((children(alg[2], 0, len(alg[2]))[0][1], nh[2], kh[2], ser[2]))
        elif t == 0xA2:  # requestExtensions
            exts = children(body, 0, len(body))[0][2]
            for _, _, e in children(exts, 0, len(exts)):
                parts = children(e, 0, len(e))
                if parts[0][1] == oid(OID_NONCE):
                    nonce = parts[-1][2]  # the extnValue OCTET STRING's content
    return ids, nonce


def cmd_response(a):
    der = open(a.file, "rb").read()
    want_status = STATUS[a.status]
    try:
        r = ocsp.load_der_ocsp_response(der)
    except ValueError as e:
        check(False, "not a DER OCSPResponse: %s" % e)
        return
    check(r.response_status.value == want_status,
          "responseStatus is %s, wanted %s" % (r.response_status.name, a.status))
    if want_status != 0:
        # RFC 6960 2.3: an error response carries no responseBytes, so it
        # is exactly SEQUENCE { ENUMERATED status }.
        check(der == bytes([0x30, 0x03, 0x0A, 0x01, want_status]),
              "error response is not the bare unsigned 30030a01%02x: %s" % (want_status, der.hex()))
        return
    if r.response_status.value != 0:
        return

    # The outer structure, read raw: responseBytes -> BasicOCSPResponse.
    rb = children(der)[1]
    check(rb[0] == 0xA0, "responseBytes missing")
    rbs = children(rb[2], 0, len(rb[2]))[0][2]
    rtype, rocts = children(rbs, 0, len(rbs))
    check(rtype[1] == oid("1.3.6.1.5.5.7.48.1.1"), "responseType is not id-pkix-ocsp-basic")
    basic = rocts[2]
    bparts = children(basic)
    tbs_raw = bparts[0][1]
    tbs_parts = children(tbs_raw)
    check(tbs_parts[0][0] != 0xA0, "ResponseData carries an explicit version (v1 is DEFAULT)")

    signer = load_cert(a.signer) if a.signer else None
    # certs field
    certs = r.certificates
    if a.delegated:
        check(len(bparts) == 4 and bparts[3][0] == 0xA0, "delegated response has no certs field")
        check(len(certs) == 1 and signer is not None and certs[0] == signer,
              "certs is not exactly the delegated responder's certificate (%d certs)" % len(certs))
    if a.ca_signed:
        check(len(bparts) == 3, "CA-signed response carries a certs field (%d certs)" % len(certs))
    # responder ID byKey = SHA-1 of the subjectPublicKey bits
    check(r.responder_name is None, "responder ID is byName, not byKey (RFC 9919)")
    if signer is not None:
        want_kh = hashlib.sha1(key_bits(signer)).digest()
        check(r.responder_key_hash == want_kh,
              "responder key hash %s, wanted SHA-1 of the signer's key bits %s"
              % ((r.responder_key_hash or b"").hex(), want_kh.hex()))
        check(verify_sig(signer.public_key(), r.signature, r.tbs_response_bytes,
                         r.signature_hash_algorithm),
              "signature does not verify with the signer's key")
        pub = signer.public_key()
        if isinstance(pub, ec.EllipticCurvePublicKey):
            want_alg = ECDSA_ALG.get(pub.curve.name)
            check(bparts[1][1] == want_alg,
                  "signatureAlgorithm %s, wanted %s for a %s key"
                  % (bparts[1][1].hex(), want_alg.hex() if want_alg else "?", pub.curve.name))
    # times: GeneralizedTime, Z, seconds, no fractions (CONFORMANCE.md 12)
    times = []
    walk_times(tbs_raw, times)
    for t, v in times:
        check(t == 0x18 and len(v) == 15 and v.endswith(b"Z") and v[:14].isdigit(),
              "time %r is not a GeneralizedTime YYYYMMDDHHMMSSZ" % v)

    produced = epoch(r.produced_at)
    answers = list(r.responses)
    check(len(answers) >= 1, "no SingleResponse")
    # singleExtensions: BR 7.3.2, no reasonCode there; hsmca sets none.
    rd = tbs_parts
    resp_seq = [p for p in rd if p[0] == 0x30][0]
    for _, sr, srbody in children(resp_seq[2], 0, len(resp_seq[2])):
        # certID, certStatus ([1] is revoked), thisUpdate, then the
        # optional [0] nextUpdate and [1] singleExtensions.
        tags = [p[0] for p in children(srbody, 0, len(srbody))]
        check(0xA1 not in tags[3:], "a SingleResponse carries singleExtensions")
        check(0xA0 in tags[3:], "a SingleResponse has no nextUpdate (RFC 9919 2.2.4)")

    req_ids, req_nonce = (request_info(a.request) if a.request else (None, None))
    if req_ids is not None:
        check(len(req_ids) == len(answers),
              "%d answers for %d CertIDs" % (len(answers), len(req_ids)))
        # Echoed as requested, in order (raw CertIDs of the response).
        got = []
        for _, sr, srbody in children(resp_seq[2], 0, len(resp_seq[2])):
            cid = children(srbody, 0, len(srbody))[0][2]
            alg, nh, kh, ser = children(cid, 0, len(cid))
            got.append((children(alg[2], 0, len(alg[2]))[0][1], nh[2], kh[2], ser[2]))
        check(got == req_ids, "the CertIDs are not echoed as requested")

    issuer = load_cert(a.issuer) if a.issuer else None
    seen = {}
    not_after = epoch(signer.not_valid_after) if signer is not None else None
    for s in answers:
        sn = s.serial_number
        tu, nu = epoch(s.this_update), (epoch(s.next_update) if s.next_update else None)
        check(nu is not None, "serial %x: no nextUpdate" % sn)
        if a.hash:
            check(hash_name(s.hash_algorithm) == a.hash,
                  "serial %x: CertID hash %s, wanted %s" % (sn, s.hash_algorithm.name, a.hash))
        if issuer is not None:
            h = hashlib.new(hash_name(s.hash_algorithm))
            h.update(issuer.subject.public_bytes())
            check(s.issuer_name_hash == h.digest(), "serial %x: issuerNameHash is not the issuer's" % sn)
            h = hashlib.new(hash_name(s.hash_algorithm))
            h.update(key_bits(issuer))
            check(s.issuer_key_hash == h.digest(), "serial %x: issuerKeyHash is not the issuer's" % sn)
        # CONFORMANCE.md 12: thisUpdate <= producedAt; BR 4.9.9 window.
        check(tu <= produced, "serial %x: thisUpdate after producedAt" % sn)
        if nu is not None:
            win = nu - tu + 1
            check(28800 <= win <= 864000,
                  "serial %x: validity interval %d s outside BR 4.9.9's 8 h .. 10 d" % (sn, win))
            if a.validity is not None:
                check(win == a.validity, "serial %x: validity interval %d s, wanted %d" % (sn, win, a.validity))
            if a.next_update is not None:
                check(nu == parse_time(a.next_update),
                      "serial %x: nextUpdate %s, wanted %s" % (sn, fmt(nu), a.next_update))
            if not_after is not None:
                check(nu <= not_after, "serial %x: nextUpdate %s after the signer's notAfter %s"
                      % (sn, fmt(nu), fmt(not_after)))
        if a.now is not None:
            now = parse_time(a.now)
            check(tu == now, "serial %x: thisUpdate %s, wanted %s" % (sn, fmt(tu), a.now))
            check(produced == now, "producedAt %s, wanted %s" % (fmt(produced), a.now))
        st = s.certificate_status.name.lower()
        rt = epoch(s.revocation_time) if s.revocation_time else None
        reason = s.revocation_reason.value if s.revocation_reason is not None else "none"
        if st != "revoked":
            check(rt is None and s.revocation_reason is None,
                  "serial %x: %s with revocation info" % (sn, st))
        seen[sn] = (st, rt, reason)
        if a.print:
            print("%s %s %s %s" % (hexs(sn), st, rt if rt is not None else "-", reason if st == "revoked" else "-"))

    if a.expect:
        wants = dict(parse_expect(e) for e in a.expect)
        check(set(seen) == set(wants), "answered serials %s, wanted %s"
              % (sorted("%x" % s for s in seen), sorted("%x" % s for s in wants)))
        for sn, w in wants.items():
            if sn not in seen:
                continue
            st, rt, reason = seen[sn]
            if not check(st == w["status"], "serial %x: %s, wanted %s" % (sn, st, w["status"])):
                continue
            if st == "revoked":
                check(rt == w["time"], "serial %x: revoked at %s, wanted %s" % (sn, fmt(rt), fmt(w["time"])))
                check(reason == w["reason"], "serial %x: reason %s, wanted %s" % (sn, reason, w["reason"]))

    # responseExtensions: nonce and extended-revoke only.
    ext_oids = [e.oid.dotted_string for e in r.extensions]
    check(set(ext_oids) <= {OID_NONCE, OID_EXTENDED_REVOKE},
          "unexpected response extensions %s" % ext_oids)
    has_ext = OID_EXTENDED_REVOKE in ext_oids
    check(has_ext == bool(a.extended_revoke),
          "extended-revoke extension %s" % ("present" if has_ext else "absent"))
    if has_ext:
        e = r.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_EXTENDED_REVOKE))
        check(not e.critical, "extended-revoke is critical")
    nonce_ext = None
    for e in r.extensions:
        if e.oid == OCSPExtensionOID.NONCE:
            nonce_ext = e
    # The nonce's raw extnValue, read by our own DER reader too.
    raw_nonce = None
    for t, _, body in tbs_parts:
        if t == 0xA1:  # responseExtensions
            exts = children(body, 0, len(body))[0][2]
            for _, _, e in children(exts, 0, len(exts)):
                ps = children(e, 0, len(e))
                if ps[0][1] == oid(OID_NONCE):
                    raw_nonce = ps[-1][2]
    if a.request is not None:
        if req_nonce is None:
            check(nonce_ext is None and raw_nonce is None, "a nonce in the response, none in the request")
        elif check(nonce_ext is not None and raw_nonce is not None, "the request's nonce is not echoed"):
            check(not nonce_ext.critical, "the nonce extension is critical")
            # RFC 9654 2.1: the same Nonce OCTET STRING, byte for byte.
            check(raw_nonce == req_nonce, "nonce extnValue echoed as %s, request had %s"
                  % (raw_nonce.hex(), req_nonce.hex()))
            _, s_, e_ = tlv(req_nonce)
            check(nonce_ext.value.nonce == req_nonce[s_:e_],
                  "cryptography reads the nonce as %s, request had %s"
                  % (nonce_ext.value.nonce.hex(), req_nonce[s_:e_].hex()))
    elif a.no_nonce:
        check(nonce_ext is None, "a nonce in the response")


# ---------------------------------------------------------------- request

def cmd_request(a):
    issuer = load_cert(a.issuer)
    algs = {"sha1": "1.3.14.3.2.26", "sha256": "2.16.840.1.101.3.4.2.1",
            "sha384": "2.16.840.1.101.3.4.2.2", "md5": "1.2.840.113549.2.5"}
    name_h = hashlib.new(a.hash, issuer.subject.public_bytes()).digest()
    key_h = hashlib.new(a.hash, key_bits(issuer)).digest()
    reqs = b""
    for s in a.serial:
        cid = seq(seq(oid(algs[a.hash]), b"\x05\x00"), enc(0x04, name_h), enc(0x04, key_h),
                  integer_from_hex(s.lower().removeprefix("0x")))
        reqs += seq(cid)
    exts = b""
    nonce = None
    if a.nonce_len is not None:
        nonce = bytes((i * 37 + 11) & 0xFF for i in range(a.nonce_len))
    if a.nonce is not None:
        nonce = bytes.fromhex(a.nonce)
    if nonce is not None:
        # RFC 9654 2.1: extnValue holds the DER of Nonce ::= OCTET STRING;
        # --nonce-not-octet-string puts an INTEGER there instead.
        inner = enc(0x02, nonce or b"\x00") if a.nonce_not_octet_string else enc(0x04, nonce)
        exts += seq(oid(OID_NONCE), enc(0x04, inner))
    if a.pad:
        exts += seq(oid("1.3.6.1.4.1.99999.1"), enc(0x04, enc(0x04, b"\x00" * a.pad)))
    tbs = enc(0x30, reqs)
    if exts:
        tbs += enc(0xA2, seq(exts))
    der = seq(seq(tbs))
    with open(a.out, "wb") as f:
        f.write(der)


# ---------------------------------------------------------------- CRL

def cmd_crl(a):
    data = open(a.file, "rb").read()
    if b"-----BEGIN X509 CRL" in data:
        crl = x509.load_pem_x509_crl(data)
        der = crl.public_bytes(serialization.Encoding.DER)
    else:
        der = data
        crl = x509.load_der_x509_crl(der)
    tbs = children(der)[0]
    check(tbs[0] == 0x30, "no TBSCertList")
    parts = children(tbs[1])
    tags = [p[0] for p in parts]
    # RFC 5280 5.1: version (v2 = INTEGER 1), signature, issuer, thisUpdate,
    # nextUpdate, revokedCertificates OPTIONAL, [0] crlExtensions.
    check(parts[0][1] == bytes.fromhex("020101"), "version is not v2 (%s)" % parts[0][1].hex())
    check(tags[3] in (0x17, 0x18) and tags[4] in (0x17, 0x18), "thisUpdate/nextUpdate missing")
    has_list = len(tags) > 5 and tags[5] == 0x30
    check(tags[-1] == 0xA0, "no crlExtensions")
    if has_list:
        check(len(parts[5][2]) > 0, "an empty revokedCertificates SEQUENCE (RFC 5280 5.1.2.6)")
    if a.empty:
        check(len(crl) == 0, "%d entries, wanted none" % len(crl))
        check(not has_list, "a revokedCertificates field on an empty CRL (RFC 5280 5.1.2.6)")
    times = []
    walk_times(tbs[1], times)
    for t, v in times:
        # RFC 5280 5.1.2.4: UTCTime through 2049.
        check((t == 0x17 and len(v) == 13) or (t == 0x18 and len(v) == 15),
              "time %r is not a UTCTime/GeneralizedTime with seconds and Z" % v)
    tu, nu = epoch(crl.last_update), epoch(crl.next_update)
    if a.now is not None:
        check(tu == parse_time(a.now), "thisUpdate %s, wanted %s" % (fmt(tu), a.now))
    if a.validity is not None:
        check(nu - tu == a.validity, "nextUpdate - thisUpdate = %d s, wanted %d" % (nu - tu, a.validity))
    check(nu - tu <= 864000, "nextUpdate more than 10 days after thisUpdate (BR 4.9.7)")
    oids = [e.oid for e in crl.extensions]
    check(set(oids) == {ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.CRL_NUMBER},
          "CRL extensions are %s, wanted AKI and CRL number only (no IDP)" % [o.dotted_string for o in oids])
    num = crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER)
    check(not num.critical, "CRL number is critical")
    if a.number is not None:
        check(num.value.crl_number == a.number, "CRL number %d, wanted %d" % (num.value.crl_number, a.number))
    aki = crl.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    check(not aki.critical, "AKI is critical")
    check(aki.value.authority_cert_issuer is None and aki.value.authority_cert_serial_number is None,
          "AKI has more than keyIdentifier")
    if a.issuer:
        issuer = load_cert(a.issuer)
        check(crl.is_signature_valid(issuer.public_key()), "signature does not verify with the issuer's key")
        check(parts[2][1] == issuer.subject.public_bytes(), "issuer is not byte-identical to the CA's subject")
        ski = issuer.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
        check(aki.value.key_identifier == ski, "AKI keyIdentifier is not the issuer's SKI")
    for e in crl:
        reason = "none"
        for x in e.extensions:
            check(x.oid == CRLEntryExtensionOID.CRL_REASON, "entry %x: extension %s" % (e.serial_number, x.oid.dotted_string))
            check(not x.critical, "entry %x: reasonCode is critical" % e.serial_number)
            reason = x.value.reason.value
            # BR 7.2.2: only 1, 3, 4, 5, 9; never unspecified (0) or hold (6).
            check(reason in ("keyCompromise", "affiliationChanged", "superseded",
                             "cessationOfOperation", "privilegeWithdrawn"),
                  "entry %x: reasonCode %s" % (e.serial_number, reason))
        if a.print:
            print("%s revoked %d %s" % (hexs(e.serial_number), epoch(e.revocation_date), reason))


def main():
    p = argparse.ArgumentParser(prog="check_ocsp.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("response")
    r.add_argument("file")
    r.add_argument("--status", default="successful", choices=sorted(STATUS))
    r.add_argument("--signer")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--delegated", action="store_true")
    g.add_argument("--ca-signed", action="store_true")
    r.add_argument("--issuer")
    r.add_argument("--hash", choices=("sha1", "sha256"))
    r.add_argument("--request")
    r.add_argument("--no-nonce", action="store_true")
    r.add_argument("--now")
    r.add_argument("--validity", type=int)
    r.add_argument("--next-update")
    r.add_argument("--expect", action="append", default=[])
    r.add_argument("--extended-revoke", action="store_true")
    r.add_argument("--print", action="store_true")
    q = sub.add_parser("request")
    q.add_argument("--issuer", required=True)
    q.add_argument("--serial", action="append", required=True)
    q.add_argument("--hash", default="sha1", choices=("sha1", "sha256", "sha384", "md5"))
    q.add_argument("--nonce-len", type=int)
    q.add_argument("--nonce")
    q.add_argument("--nonce-not-octet-string", action="store_true")
    q.add_argument("--pad", type=int, default=0)
    q.add_argument("--out", required=True)
    c = sub.add_parser("crl")
    c.add_argument("file")
    c.add_argument("--issuer")
    c.add_argument("--number", type=int)
    c.add_argument("--now")
    c.add_argument("--validity", type=int)
    c.add_argument("--empty", action="store_true")
    c.add_argument("--print", action="store_true")
    a = p.parse_args()
    {"response": cmd_response, "request": cmd_request, "crl": cmd_crl}[a.cmd](a)
    for f in failures:
        print("check_ocsp: %s" % f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
