"""TEST-ONLY ECDSA signing keys on the Brainpool curves OpenSSL lacks (RFC 5639 §3).

The test PKI needs document signers and chip keys on brainpoolP160r1, P192r1, P224r1 and
P320r1 (German passports of 2008 used brainpoolP224r1) to check that checkedid verifies
them. ``cryptography`` cannot make such keys, and the verifier's own arithmetic
(``checkedid.nfc.crypto.ecmath``) must not check itself, so this module is a separate, deliberately
plain implementation: affine coordinates, a Montgomery ladder, FIPS 186-4 §6.4 signing with a
nonce derived by HMAC from the key and the digest. Not constant time, not for real keys.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property

from asn1crypto import algos, keys

__all__ = ["BRAINPOOL", "SIGNERS", "BrainpoolKey", "brainpool_key", "certify"]


@dataclass(frozen=True)
class _Params:
    oid: str
    p: int
    a: int
    b: int
    g: tuple[int, int]
    n: int


#: RFC 5639 §3.1-3.5 (the "r1" curves). Public constants.
BRAINPOOL: dict[str, _Params] = {
    "brainpoolP160r1": _Params(
        "1.3.36.3.3.2.8.1.1.1",
        0xE95E4A5F737059DC60DFC7AD95B3D8139515620F, 0x340E7BE2A280EB74E2BE61BADA745D97E8F7C300,
        0x1E589A8595423412134FAA2DBDEC95C8D8675E58,
        (0xBED5AF16EA3F6A4F62938C4631EB5AF7BDBCDBC3, 0x1667CB477A1A8EC338F94741669C976316DA6321),
        0xE95E4A5F737059DC60DF5991D45029409E60FC09),
    "brainpoolP192r1": _Params(
        "1.3.36.3.3.2.8.1.1.3",
        0xC302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297,
        0x6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF,
        0x469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9,
        (0xC0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6,
         0x14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F),
        0xC302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1),
    "brainpoolP224r1": _Params(
        "1.3.36.3.3.2.8.1.1.5",
        0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF,
        0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43,
        0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B,
        (0x0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D,
         0x58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD),
        0xD7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F),
    "brainpoolP320r1": _Params(
        "1.3.36.3.3.2.8.1.1.9",
        0xD35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27,
        0x3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4,
        0x520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6,
        (0x43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611,
         0x14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1),
        0xD35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311),
}

_Pt = tuple[int, int] | None


def _add(c: _Params, p1: _Pt, p2: _Pt) -> _Pt:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % c.p == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] ** 2 + c.a) * pow(2 * p1[1], c.p - 2, c.p)
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], c.p - 2, c.p)
    x = (slope * slope - p1[0] - p2[0]) % c.p
    return x, (slope * (p1[0] - x) - p1[1]) % c.p


def _mul(c: _Params, k: int, pt: _Pt) -> _Pt:
    r0: _Pt = None
    r1 = pt
    for bit in bin(k)[2:]:  # Montgomery ladder
        if bit == "1":
            r0, r1 = _add(c, r0, r1), _add(c, r1, r1)
        else:
            r0, r1 = _add(c, r0, r0), _add(c, r0, r1)
    return r0


@dataclass(frozen=True)
class BrainpoolKey:
    """A test ECDSA private key on a Brainpool curve (``curve`` as in :data:`BRAINPOOL`)."""

    curve: str
    d: int

    @property
    def params(self) -> _Params:
        return BRAINPOOL[self.curve]

    @cached_property
    def point(self) -> tuple[int, int]:
        q = _mul(self.params, self.d, self.params.g)
        assert q is not None
        return q

    @property
    def size(self) -> int:
        return (self.params.p.bit_length() + 7) // 8

    def encoded_point(self) -> bytes:
        x, y = self.point
        return b"\x04" + x.to_bytes(self.size, "big") + y.to_bytes(self.size, "big")

    def spki(self) -> bytes:
        """DER SubjectPublicKeyInfo with the named-curve OID (RFC 5480 §2)."""
        info = keys.PublicKeyInfo({
            "algorithm": {"algorithm": "ec",
                          "parameters": keys.ECDomainParameters(
                              name="named", value=self.params.oid)},
            "public_key": self.encoded_point()})
        return bytes(info.dump())

    def sign_digest(self, digest: bytes) -> tuple[int, int]:
        """FIPS 186-4 §6.4 signature (r, s) of a hash value; nonce = HMAC(d, digest) mod n."""
        c = self.params
        e = int.from_bytes(digest, "big") >> max(0, 8 * len(digest) - c.n.bit_length())
        counter = 0
        while True:
            mac = hmac.new(self.d.to_bytes(64, "big"), digest + bytes([counter]), "sha512")
            k = int.from_bytes(mac.digest(), "big") % (c.n - 1) + 1
            kg = _mul(c, k, c.g)
            assert kg is not None
            r = kg[0] % c.n
            s = pow(k, c.n - 2, c.n) * (e + r * self.d) % c.n
            if r and s:
                return r, s
            counter += 1

    def sign(self, data: bytes, hash_name: str) -> bytes:
        """DER ``ECDSA-Sig-Value`` over ``data`` hashed with ``hash_name`` (``sha256`` ...)."""
        r, s = self.sign_digest(hashlib.new(hash_name, data).digest())
        return bytes(algos.DSASignature({"r": r, "s": s}).dump())

    def sign_plain(self, data: bytes, hash_name: str) -> bytes:
        """BSI TR-03111 plain ``r || s`` (the form chips answer INTERNAL AUTHENTICATE with)."""
        r, s = self.sign_digest(hashlib.new(hash_name, data).digest())
        n = (self.params.n.bit_length() + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def brainpool_key(label: str, curve: str) -> BrainpoolKey:
    """The test key ``label`` on ``curve`` (derived from the public label: same everywhere)."""
    n = BRAINPOOL[curve].n
    seed = hashlib.sha512(f"brainpool:{curve}:{label}".encode()).digest()
    return BrainpoolKey(curve, int.from_bytes(seed, "big") % (n - 1) + 1)


#: Document signers on these curves, by the label ``TestPKI.signer`` knows them by.
SIGNERS = {"ds-bp160": "brainpoolP160r1", "ds-bp192": "brainpoolP192r1",
           "ds-bp224": "brainpoolP224r1", "ds-bp320": "brainpoolP320r1"}


def certify(key: BrainpoolKey, subject_cert_der: bytes, issuer_key: object) -> bytes:
    """Re-issue ``subject_cert_der`` (a DS certificate made by ``cryptography`` with a
    placeholder key) for ``key``: new SubjectPublicKeyInfo and subject key identifier, signed
    again by ``issuer_key`` (a ``cryptography`` EC or RSA private key)."""
    from asn1crypto import x509 as asn1x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    cert = asn1x509.Certificate.load(subject_cert_der)
    tbs = cert["tbs_certificate"]
    tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(key.spki())
    exts = []
    for ext in tbs["extensions"]:
        if ext["extn_id"].native == "key_identifier":
            ski = hashlib.sha256(key.encoded_point()).digest()[:20]
            ext = asn1x509.Extension({"extn_id": "key_identifier", "critical": False,
                                      "extn_value": ski})
        exts.append(ext)
    tbs["extensions"] = exts
    der = tbs.dump(force=True)
    algorithm = cert["signature_algorithm"]["algorithm"].native
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        h = hashes.SHA384() if "384" in algorithm else hashes.SHA256()
        signature = issuer_key.sign(der, ec.ECDSA(h, deterministic_signing=True))
    else:
        assert isinstance(issuer_key, rsa.RSAPrivateKey)
        signature = issuer_key.sign(der, padding.PKCS1v15(), hashes.SHA256())
    return bytes(asn1x509.Certificate({"tbs_certificate": tbs,
                                       "signature_algorithm": cert["signature_algorithm"],
                                       "signature_value": signature}).dump())
