#!/usr/bin/env python3
"""Write the PEM public key of a weak RSA-2048 key that BR 6.1.1.3 (4) makes
a CA refuse, for the issuance tests:

  weak_rsa.py roca OUT    both primes of Infineon RSALib's shape (ROCA,
                          CVE-2017-15361): k*M + (65537^a mod M), M the
                          product of the primes 3..167
  weak_rsa.py fermat OUT  two consecutive primes (Fermat's method factors
                          the modulus in its first round)

Built here with python3-cryptography, independently of hsmca's lint."""
import math
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SMALL = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
         71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139,
         149, 151, 157, 163, 167]


def probably_prime(n, rounds=40):
    if n < 2:
        return False
    for p in [2] + SMALL:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def top_prime(candidates):
    """The first 1024-bit prime with its top two bits set (so that two of
    them make a 2048-bit modulus)."""
    for p in candidates:
        if p.bit_length() == 1024 and p >> 1022 == 3 and probably_prime(p):
            return p
    raise SystemExit("no prime found")


def roca_prime(a):
    m = math.prod(SMALL)
    g = pow(65537, a, m)

    def candidates():
        for _ in range(100000):
            p = secrets.randbits(1025 - m.bit_length()) * m + g
            yield p if p % 2 else p + m
    return top_prime(candidates())


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("roca", "fermat"):
        raise SystemExit("usage: weak_rsa.py roca|fermat OUT.pem")
    if sys.argv[1] == "roca":
        n = roca_prime(secrets.randbelow(1000) + 1) * roca_prime(secrets.randbelow(1000) + 1)
    else:
        start = (3 << 1022) | secrets.randbits(1022) | 1
        p = top_prime(range(start, start + 100000, 2))
        q = top_prime(range(p + 2, p + 100000, 2))
        n = p * q
    assert n.bit_length() == 2048
    key = rsa.RSAPublicNumbers(65537, n).public_key()
    with open(sys.argv[2], "wb") as f:
        f.write(key.public_bytes(serialization.Encoding.PEM,
                                 serialization.PublicFormat.SubjectPublicKeyInfo))


if __name__ == "__main__":
    main()
