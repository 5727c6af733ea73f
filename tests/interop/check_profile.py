#!/usr/bin/env python3
"""Independent check of an hsmca certificate against CONFORMANCE.md sections 0-9.

usage: check_profile.py [options] KIND CERT [ISSUER]

  KIND    root | subordinate | ocsp-responder | tls-server | precert-signer
  CERT    the certificate to check (PEM or DER)
  ISSUER  the issuing CA's certificate (PEM or DER). Needed for every kind but
          root: the issuer name, signature, signature algorithm and AKI are
          checked against it. A root is checked against itself.

options:
  --exts NAME,NAME,...  the profile's extensions in order (profile names such
                        as basic_constraints,key_usage,...): the certificate's
                        extensions must be exactly these, in this order (a
                        trailing CT poison or SCT list is allowed for
                        tls-server). Without it, the order must follow the
                        shipped profiles' order (docs/profiles.md) and each
                        kind's MUST / MUST NOT extensions are checked.
  --san dns:NAME,ip:ADDR,...  the exact subjectAltName entries, in order.
  --quiet               print nothing on success.

Exit status: 0 when every check passes; 1 with one line per failed check on
stderr; 2 for a usage error or an unreadable file. Uses only python3 and the
`cryptography` package (Debian's python3-cryptography 38 or later) plus a small
DER reader of its own, so it shares no code with hsmca. Used by
tests/unit/test_x509.c and by the ceremony tests.
"""
import datetime
import hashlib
import ipaddress
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

KINDS = ("root", "subordinate", "ocsp-responder", "tls-server", "precert-signer")

# ---------------------------------------------------------------- DER reader


class DERError(Exception):
    pass


def tlv(buf, off):
    """(tag, value_start, end) of the TLV at off; strict DER lengths."""
    if off + 2 > len(buf):
        raise DERError("truncated TLV at %d" % off)
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise DERError("multi-byte tag at %d" % off)
    n = buf[off + 1]
    p = off + 2
    if n == 0x80:
        raise DERError("indefinite length at %d (not DER)" % off)
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or p + k > len(buf):
            raise DERError("bad length at %d" % off)
        length = int.from_bytes(buf[p:p + k], "big")
        if buf[p] == 0 or length < 0x80:
            raise DERError("non-minimal length at %d (not DER)" % off)
        p += k
    else:
        length = n
    if p + length > len(buf):
        raise DERError("length overruns at %d" % off)
    return tag, p, p + length


def children(buf, start, end):
    out = []
    off = start
    while off < end:
        tag, vs, ve = tlv(buf, off)
        out.append((tag, off, vs, ve))
        off = ve
    if off != end:
        raise DERError("children overrun")
    return out


OID_NAMES = {
    "2.5.29.19": "basic_constraints",
    "2.5.29.15": "key_usage",
    "2.5.29.37": "extended_key_usage",
    "2.5.29.32": "certificate_policies",
    "1.3.6.1.5.5.7.1.1": "authority_info_access",
    "2.5.29.31": "crl_distribution_points",
    "2.5.29.30": "name_constraints",
    "2.5.29.14": "subject_key_identifier",
    "2.5.29.35": "authority_key_identifier",
    "1.3.6.1.5.5.7.48.1.5": "ocsp_nocheck",
    "2.5.29.17": "subject_alt_name",
    "2.5.29.56": "no_rev_avail",
    "1.3.6.1.4.1.11129.2.4.3": "ct_poison",
    "1.3.6.1.4.1.11129.2.4.2": "ct_sct_list",
}
# docs/profiles.md "Extension order in the shipped profiles".
CANONICAL_ORDER = [
    "basic_constraints", "key_usage", "extended_key_usage", "subject_key_identifier",
    "authority_key_identifier", "authority_info_access", "crl_distribution_points",
    "certificate_policies", "name_constraints", "subject_alt_name", "ocsp_nocheck",
    "no_rev_avail",
]


def decode_oid(b):
    arcs = []
    v = 0
    for i, c in enumerate(b):
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            arcs.append(v)
            v = 0
        elif v == 0 and (i == 0 or not b[i - 1] & 0x80):
            raise DERError("non-minimal OID arc")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


ATTR_ORDER = ["2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.17", "2.5.4.9", "2.5.4.10",
              "2.5.4.11", "2.5.4.3"]
ATTR_SHORT = {"2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L", "2.5.4.17": "postalCode",
              "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN"}
ATTR_MAX = {"C": 2, "ST": 128, "L": 128, "postalCode": 40, "street": 128, "O": 64, "OU": 64,
            "CN": 64}


class Cert:
    """A certificate read twice: by cryptography and by the DER reader."""

    def __init__(self, path):
        data = open(path, "rb").read()
        if b"-----BEGIN" in data:
            self.x = x509.load_pem_x509_certificate(data)
        else:
            self.x = x509.load_der_x509_certificate(data)
        from cryptography.hazmat.primitives.serialization import Encoding
        self.der = self.x.public_bytes(Encoding.DER)
        self.path = path
        d = self.der
        tag, vs, ve = tlv(d, 0)
        if tag != 0x30 or ve != len(d):
            raise DERError("not one SEQUENCE")
        top = children(d, vs, ve)
        if len(top) != 3:
            raise DERError("Certificate has %d fields, not 3" % len(top))
        self.tbs_der = d[top[0][1]:top[0][3]]
        self.outer_alg = d[top[1][1]:top[1][3]]
        f = children(d, top[0][2], top[0][3])
        self.tbs_fields = f
        i = 0
        self.version_der = None
        if f[0][0] == 0xA0:
            self.version_der = d[f[0][1]:f[0][3]]
            i = 1
        self.serial_content = d[f[i][2]:f[i][3]]
        self.serial_tag = f[i][0]
        self.tbs_alg = d[f[i + 1][1]:f[i + 1][3]]
        self.issuer_der = d[f[i + 2][1]:f[i + 2][3]]
        validity = children(d, f[i + 3][2], f[i + 3][3])
        self.times = [(t[0], d[t[2]:t[3]].decode("ascii", "replace")) for t in validity]
        self.subject_der = d[f[i + 4][1]:f[i + 4][3]]
        spki = children(d, f[i + 5][2], f[i + 5][3])
        self.spki_alg = d[spki[0][1]:spki[0][3]]
        bits = d[spki[1][2]:spki[1][3]]
        self.key_bits = bits[1:]  # without the unused-bits octet
        self.extra_tags = [t[0] for t in f[i + 6:]]
        self.exts = []  # (oid, critical, value bytes, full DER)
        for t in f[i + 6:]:
            if t[0] != 0xA3:
                continue
            seq = children(d, t[2], t[3])
            for e in children(d, seq[0][2], seq[0][3]):
                parts = children(d, e[2], e[3])
                oid = decode_oid(d[parts[0][2]:parts[0][3]])
                crit = False
                if len(parts) == 3:
                    if d[parts[1][2]:parts[1][3]] != b"\xff":
                        raise DERError("extension %s: critical is not DER TRUE" % oid)
                    crit = True
                val = d[parts[-1][2]:parts[-1][3]]
                self.exts.append((oid, crit, val, d[e[1]:e[3]]))

    def ext(self, name):
        for oid, crit, val, full in self.exts:
            if OID_NAMES.get(oid) == name:
                return crit, val, full
        return None

    def xext(self, oid):
        try:
            return self.x.extensions.get_extension_for_oid(oid)
        except x509.ExtensionNotFound:
            return None


def parse_name(der):
    """[(oid, tag, text)] per RDN, checking one AVA per RDN."""
    tag, vs, ve = tlv(der, 0)
    out = []
    for rdn in children(der, vs, ve):
        avas = children(der, rdn[2], rdn[3])
        out.append([])
        for ava in avas:
            p = children(der, ava[2], ava[3])
            out[-1].append((decode_oid(der[p[0][2]:p[0][3]]), p[1][0],
                            der[p[1][2]:p[1][3]].decode("utf-8", "replace")))
    return out


# ---------------------------------------------------------------- checks

SIGALG = {  # BR 7.1.3.2 / CONFORMANCE.md 2
    "rsa": bytes.fromhex("300d06092a864886f70d01010b0500"),
    "p256": bytes.fromhex("300a06082a8648ce3d040302"),
    "p384": bytes.fromhex("300a06082a8648ce3d040303"),
}
SPKIALG = {  # BR 7.1.3.1
    "rsa": bytes.fromhex("300d06092a864886f70d0101010500"),
    "p256": bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107"),
    "p384": bytes.fromhex("301006072a8648ce3d020106052b81040022"),
}
NOCHECK = bytes.fromhex("300f06092b060105050730010504020500")
RESPONDER_BC = bytes.fromhex("300c0603551d130101ff04023000")
POISON = bytes.fromhex("3013060a2b06010401d6790204030101ff04020500")
RESERVED_POLICIES = {"2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.2.3", "2.23.140.1.1"}
ANY_POLICY = "2.5.29.32.0"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
PRECERT_SIGNING = "1.3.6.1.4.1.11129.2.4.4"
DAY = 86400


def key_kind(pub):
    if isinstance(pub, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return {"secp256r1": "p256", "secp384r1": "p384"}.get(pub.curve.name, pub.curve.name)
    return type(pub).__name__


def parse_time(tag, text):
    if tag == 0x17:
        yy = int(text[0:2])
        return datetime.datetime.strptime(("19" if yy >= 50 else "20") + text[:12],
                                          "%Y%m%d%H%M%S")
    return datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S")


class Checker:
    def __init__(self, kind, cert, issuer, exts, san):
        self.kind = kind
        self.c = cert
        self.i = issuer if issuer is not None else cert
        self.exts = exts
        self.san = san
        self.fails = []
        self.notes = []

    def fail(self, msg):
        self.fails.append(msg)

    def need(self, cond, msg):
        if not cond:
            self.fail(msg)
        return cond

    # -- section 0 ----------------------------------------------------------
    def common(self):
        c = self.c
        self.need(c.version_der == bytes.fromhex("a003020102"),
                  "0 / BR 7.1.1: the TBS does not start with version v3 (a003020102)")
        self.need(not any(t in (0x81, 0xA1, 0x82, 0xA2) for t in c.extra_tags),
                  "0 / BR 7.1.1: unique identifiers present")
        self.need(c.issuer_der == self.i.subject_der,
                  "0 / BR 7.1.4.1: issuer DER is not byte-identical to the issuer's subject")
        for label, der in (("subject", c.subject_der), ("issuer", c.issuer_der)):
            self.check_name(label, der)
        self.check_name_types_cryptography()
        # Signature algorithm.
        self.need(c.tbs_alg == c.outer_alg,
                  "0: tbs.signature %s differs from signatureAlgorithm %s"
                  % (c.tbs_alg.hex(), c.outer_alg.hex()))
        self.need(c.der.count(c.outer_alg) == 2,
                  "0: the signature AlgorithmIdentifier appears %d times in the DER, not 2"
                  % c.der.count(c.outer_alg))
        ik = key_kind(self.i.x.public_key())
        want = SIGALG.get(ik)
        self.need(want is not None and c.outer_alg == want,
                  "2 / BR 7.1.3.2: signature AlgorithmIdentifier %s, expected %s for a %s "
                  "issuer key" % (c.outer_alg.hex(), want.hex() if want else "?", ik))
        hash_name = {"rsa": "sha256", "p256": "sha256", "p384": "sha384"}.get(ik)
        self.need(c.x.signature_hash_algorithm is not None and
                  c.x.signature_hash_algorithm.name == hash_name,
                  "2: signature hash %s, expected %s"
                  % (getattr(c.x.signature_hash_algorithm, "name", None), hash_name))
        self.verify_signature()
        # Times (RFC 5280 4.1.2.5).
        self.need(len(c.times) == 2, "0: validity does not hold two times")
        for (tag, text), which in zip(c.times, ("notBefore", "notAfter")):
            if tag == 0x17:
                ok = len(text) == 13 and text.endswith("Z") and text[:12].isdigit()
                self.need(ok, "0: %s UTCTime '%s' is not YYMMDDHHMMSSZ" % (which, text))
                if ok:
                    self.need(int(text[:2]) < 50,
                              "0: %s '%s' is a UTCTime for 1950-1999" % (which, text))
            elif tag == 0x18:
                ok = len(text) == 15 and text.endswith("Z") and text[:14].isdigit()
                self.need(ok, "0: %s GeneralizedTime '%s' is not YYYYMMDDHHMMSSZ"
                          % (which, text))
                if ok:
                    self.need(int(text[:4]) >= 2050,
                              "0 / RFC 5280 4.1.2.5: %s '%s' is a GeneralizedTime before 2050"
                              % (which, text))
            else:
                self.fail("0: %s has tag 0x%02x, not UTCTime or GeneralizedTime" % (which, tag))
        # Duplicate extensions (RFC 5280 4.2).
        oids = [e[0] for e in c.exts]
        self.need(len(oids) == len(set(oids)), "0 / RFC 5280 4.2: duplicate extensions")
        self.serial()
        self.keys()
        self.key_ids()
        self.order()

    def check_name(self, label, der):
        try:
            rdns = parse_name(der)
        except DERError as e:
            self.fail("0: %s: %s" % (label, e))
            return
        order = []
        for rdn in rdns:
            if not self.need(len(rdn) == 1, "0 / BR 7.1.4.1: %s has an RDN with %d AVAs"
                             % (label, len(rdn))):
                continue
            oid, tag, text = rdn[0]
            short = ATTR_SHORT.get(oid)
            if not self.need(short is not None, "0: %s has attribute %s outside BR 7.1.4.2"
                             % (label, oid)):
                continue
            order.append(ATTR_ORDER.index(oid))
            if short == "C":
                self.need(tag == 0x13, "0 / BR 7.1.4.2: %s C is not a PrintableString "
                          "(tag 0x%02x)" % (label, tag))
                self.need(len(text) == 2 and text.isalpha() and text.isupper(),
                          "0: %s C '%s' is not a two-letter code" % (label, text))
            else:
                # hsmca writes UTF8String for everything but C.
                self.need(tag == 0x0C, "0 / BR 7.1.4.2: %s %s is not a UTF8String (tag 0x%02x)"
                          % (label, short, tag))
            self.need(len(text) <= ATTR_MAX[short], "0: %s %s longer than %d characters"
                      % (label, short, ATTR_MAX[short]))
        self.need(order == sorted(order), "0 / BR 7.1.4.2: %s attributes out of order"
                  % label)

    def check_name_types_cryptography(self):
        # The same, as cryptography sees it (its _type is the ASN.1 string type).
        for rdn in self.c.x.subject.rdns:
            for attr in rdn:
                t = getattr(attr, "_type", None)
                if t is None:
                    continue
                want = 19 if attr.oid == NameOID.COUNTRY_NAME else 12
                self.need(t.value == want, "0: cryptography sees subject %s as ASN.1 type %d, "
                          "expected %d" % (attr.oid.dotted_string, t.value, want))

    def verify_signature(self):
        pub = self.i.x.public_key()
        h = self.c.x.signature_hash_algorithm
        try:
            if isinstance(pub, rsa.RSAPublicKey):
                pub.verify(self.c.x.signature, self.c.x.tbs_certificate_bytes,
                           padding.PKCS1v15(), h)
            else:
                pub.verify(self.c.x.signature, self.c.x.tbs_certificate_bytes, ec.ECDSA(h))
        except Exception as e:  # noqa: BLE001 - report whatever failed
            self.fail("2: the signature does not verify with the issuer's key (%s)"
                      % type(e).__name__)

    # -- section 1 ----------------------------------------------------------
    def serial(self):
        s = self.c.serial_content
        self.need(self.c.serial_tag == 0x02, "1: serial is not an INTEGER")
        self.need(1 <= len(s) <= 20, "1: serial has %d octets (1..20)" % len(s))
        if s:
            self.need(s[0] < 0x80, "1: serial is negative")
            self.need(not (len(s) > 1 and s[0] == 0 and s[1] < 0x80),
                      "1: serial is not minimal")
            self.need(any(s), "1: serial is zero")
            # At least 64 CSPRNG bits: hsmca draws 16 octets; fewer than 8
            # left after minimal encoding would be a 2^-56 event.
            self.need(len(s) >= 8, "1: serial has only %d octets (>= 64 random bits?)"
                      % len(s))

    # -- section 2 ----------------------------------------------------------
    def keys(self):
        pub = self.c.x.public_key()
        k = key_kind(pub)
        want = SPKIALG.get(k)
        self.need(want is not None and self.c.spki_alg == want,
                  "2 / BR 7.1.3.1: SPKI AlgorithmIdentifier %s for a %s key"
                  % (self.c.spki_alg.hex(), k))
        if k == "rsa":
            n = pub.public_numbers()
            self.need(pub.key_size >= 2048 and pub.key_size % 8 == 0,
                      "2 / BR 6.1.5: RSA modulus of %d bits" % pub.key_size)
            self.need(n.e % 2 == 1 and n.e >= 3, "2 / BR 6.1.6: RSA exponent %d" % n.e)

    # -- section 4 ----------------------------------------------------------
    def key_ids(self):
        c = self.c
        method1 = hashlib.sha1(c.key_bits).digest()
        ski = c.xext(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        if ski is not None:
            self.need(not ski.critical, "4 / RFC 5280 4.2.1.2: SKI is critical")
            self.need(ski.value.digest == method1,
                      "4: SKI %s is not SHA-1 of the key bits %s (method 1)"
                      % (ski.value.digest.hex(), method1.hex()))
        aki = c.xext(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        if aki is not None:
            self.need(not aki.critical, "4 / RFC 5280 4.2.1.1: AKI is critical")
            self.need(aki.value.authority_cert_issuer is None and
                      aki.value.authority_cert_serial_number is None,
                      "4 / BR 7.1.2.11.1: AKI has issuer/serial fields (keyIdentifier only)")
            issuer_ski = self.i.xext(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
            if self.need(issuer_ski is not None, "4: the issuer has no SKI to match the AKI"):
                self.need(aki.value.key_identifier == issuer_ski.value.digest,
                          "4: AKI keyIdentifier %s is not the issuer's SKI %s"
                          % ((aki.value.key_identifier or b"").hex(),
                             issuer_ski.value.digest.hex()))

    def order(self):
        names = [OID_NAMES.get(e[0], e[0]) for e in self.c.exts]
        ct = [n for n in names if n in ("ct_poison", "ct_sct_list")]
        body = [n for n in names if n not in ("ct_poison", "ct_sct_list")]
        if ct:
            self.need(self.kind == "tls-server" and len(ct) == 1 and names[-1] == ct[0],
                      "9 / docs/profiles.md: a CT extension is allowed only last, once, on "
                      "tls-server: %s" % names)
        if self.exts is not None:
            self.need(body == self.exts, "extensions are %s, expected exactly %s"
                      % (body, self.exts))
        else:
            idx = [CANONICAL_ORDER.index(n) if n in CANONICAL_ORDER else -1 for n in body]
            self.need(-1 not in idx and idx == sorted(idx),
                      "extension order %s does not follow docs/profiles.md" % body)

    # -- helpers for the kinds ---------------------------------------------
    def must(self, name, critical):
        e = self.c.ext(name)
        if self.need(e is not None, "%s: %s MUST be present" % (self.kind, name)):
            self.need(e[0] == critical, "%s: %s must be %s" % (
                self.kind, name, "critical" if critical else "non-critical"))
        return e is not None

    def must_not(self, *names):
        for n in names:
            self.need(self.c.ext(n) is None, "%s: %s must not be present" % (self.kind, n))

    def subject_attrs(self):
        return [ATTR_SHORT.get(a.oid.dotted_string) for a in self.c.x.subject]

    def ca_subject(self):
        attrs = self.subject_attrs()
        for a in ("C", "O", "CN"):
            self.need(a in attrs, "BR 7.1.2.10.2: subject lacks %s" % a)
        self.need("OU" not in attrs, "BR 7.1.2.10.2: subject has OU")

    def bc(self, ca, path_len="any"):
        v = self.c.xext(ExtensionOID.BASIC_CONSTRAINTS)
        if v is None:
            return
        self.need(v.value.ca == ca, "basicConstraints cA is %s, expected %s" % (v.value.ca, ca))
        if path_len != "any":
            self.need(v.value.path_length == path_len, "basicConstraints pathLen %s, expected "
                      "%s" % (v.value.path_length, path_len))

    def ku(self, required, allowed):
        v = self.c.xext(ExtensionOID.KEY_USAGE)
        if v is None:
            return
        ku = v.value
        have = set()
        for name in ("digital_signature", "content_commitment", "key_encipherment",
                     "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"):
            if getattr(ku, name):
                have.add(name)
        self.need(required <= have, "keyUsage %s lacks %s" % (sorted(have),
                                                              sorted(required - have)))
        self.need(have <= allowed, "keyUsage %s has %s beyond %s" % (
            sorted(have), sorted(have - allowed), sorted(allowed)))
        # Minimal DER BIT STRING: no trailing zero bits (X.690 11.2.2).
        raw = self.c.ext("key_usage")[1]
        tag, vs, ve = tlv(raw, 0)
        bits = raw[vs:ve]
        if len(bits) > 1:
            unused = bits[0]
            last = bits[-1]
            self.need(unused < 8 and last & (1 << unused), "keyUsage BIT STRING is not minimal")
            self.need(last & ((1 << unused) - 1) == 0, "keyUsage unused bits are not zero")

    def eku(self, exact=None, required=(), allowed=None):
        v = self.c.xext(ExtensionOID.EXTENDED_KEY_USAGE)
        if v is None:
            return
        oids = [o.dotted_string for o in v.value]
        if exact is not None:
            self.need(oids == exact, "EKU %s, expected exactly %s" % (oids, exact))
        for o in required:
            self.need(o in oids, "EKU %s lacks %s" % (oids, o))
        if allowed is not None:
            self.need(set(oids) <= set(allowed), "EKU %s has purposes beyond %s"
                      % (oids, allowed))

    def http_uris(self, what, names):
        for gn in names:
            if self.need(isinstance(gn, x509.UniformResourceIdentifier),
                         "%s: %s is not a URI" % (what, gn)):
                self.need(gn.value.startswith("http://"), "%s: %s is not an http:// URL"
                          % (what, gn.value))
                self.need("{" not in gn.value, "%s: unsubstituted placeholder in %s"
                          % (what, gn.value))

    def aia(self, need_ca_issuers=False):
        v = self.c.xext(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
        if v is None:
            return
        methods = []
        for ad in v.value:
            m = ad.access_method.dotted_string
            methods.append(m)
            self.need(m in ("1.3.6.1.5.5.7.48.1", "1.3.6.1.5.5.7.48.2"),
                      "AIA has access method %s (ocsp and caIssuers only)" % m)
            self.http_uris("AIA", [ad.access_location])
        # hsmca writes the ocsp entries first, then caIssuers.
        self.need(methods == sorted(methods), "AIA: ocsp entries must come before caIssuers")
        if need_ca_issuers:
            self.need("1.3.6.1.5.5.7.48.2" in methods, "AIA has no caIssuers")

    def crldp(self):
        v = self.c.xext(ExtensionOID.CRL_DISTRIBUTION_POINTS)
        if v is None:
            return
        dps = list(v.value)
        self.need(len(dps) == 1, "BR 7.1.2.11.2: %d DistributionPoints, expected 1" % len(dps))
        for dp in dps:
            self.need(dp.full_name is not None and dp.relative_name is None,
                      "CRLDP: not a fullName")
            self.need(dp.reasons is None, "CRLDP: reasons present")
            self.need(dp.crl_issuer is None, "CRLDP: cRLIssuer present")
            if dp.full_name:
                self.http_uris("CRLDP", dp.full_name)

    def policies(self, leaf):
        v = self.c.xext(ExtensionOID.CERTIFICATE_POLICIES)
        if v is None:
            return
        oids = [p.policy_identifier.dotted_string for p in v.value]
        reserved = [o for o in oids if o in RESERVED_POLICIES]
        if leaf:
            self.need(ANY_POLICY not in oids, "BR 7.1.2.7.9: anyPolicy in a leaf")
            self.need(len(reserved) == 1, "BR 7.1.2.7.9: %d reserved policy OIDs, expected 1"
                      % len(reserved))
        else:
            self.need(oids == [ANY_POLICY] or (len(reserved) == 1 and ANY_POLICY not in oids),
                      "BR 7.1.2.10.5: policies %s: anyPolicy alone or one reserved OID" % oids)
        for p in v.value:
            for q in p.policy_qualifiers or []:
                self.need(isinstance(q, str), "BR 7.1.2.10.5: a qualifier other than "
                          "id-qt-cps")

    def validity_days(self):
        nb = parse_time(*self.c.times[0])
        na = parse_time(*self.c.times[1])
        return ((na - nb).total_seconds() + 1) / DAY, nb

    # -- kinds ----------------------------------------------------------------
    def root(self):
        self.need(self.c.issuer_der == self.c.subject_der, "5: a root's issuer is its subject")
        self.ca_subject()
        self.must("basic_constraints", True)
        self.bc(True, None)
        self.must("key_usage", True)
        self.ku({"key_cert_sign", "crl_sign"}, {"key_cert_sign", "crl_sign", "digital_signature"})
        self.must("subject_key_identifier", False)
        self.must_not("extended_key_usage", "certificate_policies", "crl_distribution_points",
                      "subject_alt_name", "ocsp_nocheck", "no_rev_avail")
        days, _ = self.validity_days()
        self.need(2922 <= days <= 9132, "3 / BR 7.1.2.1.1: root validity %.3f days, not "
                  "2922..9132" % days)

    def subordinate(self):
        self.ca_subject()
        self.must("basic_constraints", True)
        self.bc(True)
        self.must("key_usage", True)
        self.ku({"key_cert_sign", "crl_sign"}, {"key_cert_sign", "crl_sign", "digital_signature"})
        self.must("extended_key_usage", False)
        self.eku(required=[SERVER_AUTH], allowed=[SERVER_AUTH, CLIENT_AUTH])
        self.must("subject_key_identifier", False)
        self.must("authority_key_identifier", False)
        self.must("certificate_policies", False)
        self.policies(leaf=False)
        self.must("crl_distribution_points", False)
        self.crldp()
        self.aia()
        self.must_not("subject_alt_name", "ocsp_nocheck", "no_rev_avail")
        nc = self.c.xext(ExtensionOID.NAME_CONSTRAINTS)
        if nc is not None and not nc.critical:
            self.notes.append("6: name constraints are non-critical (allowed; SHOULD be "
                              "critical)")
        days, _ = self.validity_days()
        if days > 1096:
            self.notes.append("3 / CRP 1.3.1.3: subordinate valid %.1f days (> 3 years)" % days)

    def ocsp_responder(self):
        self.ca_subject()
        e = self.c.ext("basic_constraints")
        if e is not None:
            self.need(e[2] == RESPONDER_BC, "7: basicConstraints is %s, not exactly %s"
                      % (e[2].hex(), RESPONDER_BC.hex()))
        self.must("key_usage", True)
        self.ku({"digital_signature"}, {"digital_signature"})
        self.must("extended_key_usage", False)
        self.eku(exact=[OCSP_SIGNING])
        self.must("authority_key_identifier", False)
        self.must("subject_key_identifier", False)
        if self.must("ocsp_nocheck", False):
            self.need(self.c.ext("ocsp_nocheck")[2] == NOCHECK,
                      "7: nocheck is %s, not exactly %s"
                      % (self.c.ext("ocsp_nocheck")[2].hex(), NOCHECK.hex()))
        self.must_not("crl_distribution_points", "subject_alt_name", "name_constraints",
                      "authority_info_access", "certificate_policies", "no_rev_avail")

    def precert_signer(self):
        self.notes.append("8: precert-signer is forbidden by the BRs from 2026-03-15 (SC-092); "
                          "checked as the legacy shape")
        self.ca_subject()
        self.must("basic_constraints", True)
        self.bc(True)
        self.must("key_usage", True)
        self.ku({"key_cert_sign", "crl_sign"}, {"key_cert_sign", "crl_sign", "digital_signature"})
        self.must("extended_key_usage", False)
        self.eku(exact=[PRECERT_SIGNING])
        self.must("subject_key_identifier", False)
        self.must("authority_key_identifier", False)
        self.crldp()
        self.aia()
        self.policies(leaf=False)
        self.need(self.c.spki_alg == self.i.spki_alg,
                  "8 / BR 7.1.2.4: SPKI algorithm differs from the issuer's")
        self.need(self.c.outer_alg == self.i.outer_alg,
                  "8 / BR 7.1.2.4: signature algorithm differs from the issuer's")
        self.must_not("subject_alt_name", "ocsp_nocheck", "no_rev_avail")

    def tls_server(self):
        c = self.c
        self.must("authority_info_access", False)
        self.aia(need_ca_issuers=True)
        self.must("authority_key_identifier", False)
        self.must("certificate_policies", False)
        self.policies(leaf=True)
        self.must("extended_key_usage", False)
        self.eku(required=[SERVER_AUTH], allowed=[SERVER_AUTH, CLIENT_AUTH])
        attrs = self.subject_attrs()
        self.need(set(attrs) <= {"C", "CN"}, "9 / BR 7.1.2.7.2: DV subject has %s" % attrs)
        san_ext = c.xext(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        if self.need(san_ext is not None, "9: subjectAltName MUST be present"):
            self.need(san_ext.critical == (len(attrs) == 0),
                      "9 / RFC 5280 4.2.1.6: SAN critical=%s with %d subject attributes"
                      % (san_ext.critical, len(attrs)))
            entries = []
            for gn in san_ext.value:
                if isinstance(gn, x509.DNSName):
                    entries.append("dns:" + gn.value)
                    self.need(not gn.value.endswith("."), "9: dNSName %s ends with a dot"
                              % gn.value)
                elif isinstance(gn, x509.IPAddress):
                    entries.append("ip:" + str(gn.value))
                else:
                    self.fail("9: SAN has %s (only dNSName and iPAddress)" % type(gn).__name__)
            self.need(len(entries) >= 1, "9: SAN is empty")
            if self.san is not None:
                want = []
                for s in self.san:
                    if s.startswith("ip:"):
                        want.append("ip:" + str(ipaddress.ip_address(s[3:])))
                    else:
                        want.append(s)
                self.need(entries == want, "SAN %s, expected %s" % (entries, want))
            for cn in c.x.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
                values = [e.split(":", 1)[1].lower() for e in entries]
                self.need(cn.value.lower() in values,
                          "9 / BR 7.1.2.7.2: CN %s is not one of the SANs" % cn.value)
        if self.need(c.ext("key_usage") is not None, "9: keyUsage SHOULD be present"):
            self.need(c.ext("key_usage")[0], "9: keyUsage SHOULD be critical")
            if key_kind(c.x.public_key()) == "rsa":
                self.ku(set(), {"digital_signature", "key_encipherment"})
            else:
                self.ku({"digital_signature"}, {"digital_signature"})
        bc = c.ext("basic_constraints")
        if bc is not None:
            self.need(bc[0], "9: basicConstraints must be critical")
            self.bc(False)
        self.must_not("name_constraints", "subject_key_identifier")
        aia = c.xext(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
        has_ocsp = aia is not None and any(
            ad.access_method.dotted_string == "1.3.6.1.5.5.7.48.1" for ad in aia.value)
        days, nb = self.validity_days()
        if not has_ocsp and days > 7:
            self.need(c.ext("crl_distribution_points") is not None,
                      "9 / BR 7.1.2.11.2: no CRLDP, no OCSP URL and not short-lived")
        self.crldp()
        # BR 6.3.2 (SC-081), by issuance date (notBefore stands in for it).
        limit = (398 if nb < datetime.datetime(2026, 3, 15) else
                 200 if nb < datetime.datetime(2027, 3, 15) else
                 100 if nb < datetime.datetime(2029, 3, 15) else 47)
        self.need(days <= limit, "3 / BR 6.3.2: leaf valid %.3f days, limit %d" % (days, limit))
        p = c.ext("ct_poison")
        if p is not None:
            self.need(p[2] == POISON, "9: poison extension is %s, not %s"
                      % (p[2].hex(), POISON.hex()))
            self.need(c.ext("ct_sct_list") is None, "9: poison and SCT list together")
        s = c.ext("ct_sct_list")
        if s is not None:
            self.need(not s[0], "11: SCT list is critical")

    def run(self):
        self.common()
        getattr(self, self.kind.replace("-", "_"))()
        return self.fails


def main(argv):
    args = []
    exts = None
    san = None
    quiet = False
    it = iter(argv[1:])
    for a in it:
        if a == "--exts":
            exts = [e for e in next(it, "").split(",") if e]
        elif a.startswith("--exts="):
            exts = [e for e in a[7:].split(",") if e]
        elif a == "--san":
            san = [e for e in next(it, "").split(",") if e]
        elif a.startswith("--san="):
            san = [e for e in a[6:].split(",") if e]
        elif a == "--quiet":
            quiet = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if len(args) not in (2, 3) or args[0] not in KINDS:
        sys.stderr.write("\n\n".join(__doc__.split("\n\n")[1:3]) + "\n(--help for more)\n")
        return 2
    kind = args[0]
    if kind != "root" and len(args) != 3:
        sys.stderr.write("check_profile.py: a %s certificate needs its ISSUER certificate\n"
                         % kind)
        return 2
    try:
        cert = Cert(args[1])
        issuer = Cert(args[2]) if len(args) == 3 else None
    except (OSError, ValueError, DERError) as e:
        sys.stderr.write("check_profile.py: cannot read a certificate: %s\n" % e)
        return 2
    ch = Checker(kind, cert, issuer, exts, san)
    try:
        fails = ch.run()
    except DERError as e:
        fails = ch.fails + ["DER: %s" % e]
    for n in ch.notes:
        if not quiet:
            sys.stderr.write("%s: note: %s\n" % (args[1], n))
    if fails:
        for f in fails:
            sys.stderr.write("%s (%s): FAIL: %s\n" % (args[1], kind, f))
        return 1
    if not quiet:
        print("%s: %s OK (%d extensions)" % (args[1], kind, len(cert.exts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
