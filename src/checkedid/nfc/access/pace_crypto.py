"""The PACE computations shared by the terminal and the virtual chip (ICAO Doc 9303-11 §4.4).

Everything here is a pure function of its inputs, so the ICAO worked examples
(Doc 9303-11 Appendices G and H) can be replayed step by step:

* :class:`Suite` — one PACE variant: mapping, cipher and the standardized domain parameters.
* Nonce encryption with K_π (§4.4.3.3: CBC with a zero IV, AES or two-key 3DES).
* Generic Mapping (§4.4.3.3.1): ``G' = s·G + H`` (ECDH) or ``g' = g^s · h mod p`` (DH).
* Integrated Mapping (§4.4.3.3.2): the pseudo-random function ``R_p(s, t)`` built on the
  block cipher (BSI TR-03110-3 §A.3.4.2.2 / Doc 9303-11 §4.4.3.3.2) and the point encoding of
  Doc 9303-11 Appendix B (simplified SWU / Icart, for p ≡ 3 mod 4); DH-IM uses
  ``g' = R_p(s,t)^((p-1)/q) mod p``.
* Key agreement on the mapped generator, session keys ``KDF(K, 1/2)`` (§9.7.1) and the
  authentication tokens ``MAC(KS_mac, 7F49{06 OID, 86/84 PK})`` (§4.4.3.4, §9.7.4).
* PACE-CAM chip authentication data (§4.4.3.5).

Scalar multiples of points other than the standard generator (the shared point H of the
Generic Mapping, keys on the mapped generator, the shared secret, the CAM check) go through
OpenSSL's ECDH (``cryptography``) on the curves it knows (:func:`ecdh_x`, :func:`mul_point`),
else through :meth:`~checkedid.nfc.crypto.ecmath.Curve.mul`. ECDH yields only the
x-coordinate of k·P; :func:`mul_point` recovers y up to its sign from the curve equation
and picks the sign for which (x, y) + k·G has the x-coordinate of k·(P + G), a second ECDH
(k·G comes with the private key).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from Crypto.Cipher import AES, DES3
from Crypto.Hash import CMAC
from cryptography.hazmat.primitives.asymmetric import ec

from checkedid.errors import InputError, ProtocolError
from checkedid.nfc.crypto.domainparams import domain_parameters
from checkedid.nfc.crypto.ecmath import Curve, DHGroup
from checkedid.nfc.crypto.suites import Cipher, PaceMapping
from checkedid.nfc.iso7816 import tlv
from checkedid.nfc.lds.securityinfos import PACEInfo, encode_oid
from checkedid.nfc.sm import kdf
from checkedid.nfc.sm.messaging import cbc_decrypt, cbc_encrypt, compute_mac, pad, unpad

__all__ = [
    "Suite",
    "auth_token",
    "cam_decrypt",
    "cam_encrypt",
    "decrypt_nonce",
    "ecdh_x",
    "encrypt_nonce",
    "im_point_encode",
    "im_prf",
    "mul_point",
    "public_key_data",
    "session_keys",
]

Buffer = bytes | bytearray | memoryview
Public = tuple[int, int] | int  # an EC point or a DH public value

#: Constants c0, c1 of the IM pseudo-random function (BSI TR-03110-3 Table 6).
_PRF_C0_128 = bytes.fromhex("a668892a7c41e3ca739f40b057d85904")
_PRF_C1_128 = bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")
_PRF_C0_256 = bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676")
_PRF_C1_256 = bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")


#: The standardized PACE curves (BSI TR-03110-3 Table 4) that OpenSSL knows, by the names of
#: :mod:`checkedid.nfc.crypto.domainparams`.
_OPENSSL_CURVES: dict[str, ec.EllipticCurve] = {
    "NIST P-192": ec.SECP192R1(), "NIST P-224": ec.SECP224R1(), "NIST P-256": ec.SECP256R1(),
    "NIST P-384": ec.SECP384R1(), "NIST P-521": ec.SECP521R1(),
    "brainpoolP256r1": ec.BrainpoolP256R1(), "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
}


def _exchange(key: ec.EllipticCurvePrivateKey, known: ec.EllipticCurve,
              pt: tuple[int, int]) -> int | None:
    """x(k·P) by ECDH; ``None`` when OpenSSL refuses (P not on the curve, k·P infinite)."""
    try:
        peer = ec.EllipticCurvePublicNumbers(pt[0], pt[1], known).public_key()
        return int.from_bytes(key.exchange(ec.ECDH(), peer), "big")
    except ValueError:
        return None


def ecdh_x(curve: Curve, k: int, pt: tuple[int, int]) -> int | None:
    """The x-coordinate of k·P through OpenSSL's ECDH (BSI TR-03111 §4.3.1), or ``None``
    where OpenSSL does not know the curve or the scalar is out of (0, n) (the caller then
    uses :meth:`Curve.mul`)."""
    known = _OPENSSL_CURVES.get(curve.name)
    if known is None or curve.h != 1 or not 0 < k < curve.n:
        return None
    return _exchange(ec.derive_private_key(k, known), known, pt)


def mul_point(curve: Curve, k: int, pt: tuple[int, int]) -> tuple[int, int] | None:
    """k·P through OpenSSL (see the module docstring), or ``None`` where that is not
    possible (unknown curve, scalar out of (0, n), a degenerate sum): the caller then
    uses :meth:`Curve.mul`.

    With x = x(k·P) the candidates are (x, ±y), y² = x³ + ax + b. For the right one Q,
    Q + k·G = k·(P + G); for the other, -Q + k·G, whose x-coordinate differs from that of
    k·(P + G) unless 2k·G or 2Q is infinite, impossible in a group of odd prime order.
    """
    known = _OPENSSL_CURVES.get(curve.name)
    if known is None or curve.h != 1 or not 0 < k < curve.n:
        return None
    key = ec.derive_private_key(k, known)
    kg_numbers = key.public_key().public_numbers()
    kg = (kg_numbers.x, kg_numbers.y)
    shifted = curve.add(pt, curve.generator)
    x = _exchange(key, known, pt)
    x2 = _exchange(key, known, shifted) if shifted is not None else None
    if x is None or x2 is None:
        return None
    p = curve.p
    y = curve.sqrt((x * x * x + curve.a * x + curve.b) % p)
    if y is None:
        return None
    found = [q for q in ((x, y), (x, (p - y) % p))
             if (total := curve.add(q, kg)) is not None and total[0] == x2]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Suite:
    """One PACE variant with resolved standardized domain parameters."""

    oid: str
    mapping: PaceMapping
    cipher: Cipher
    parameter_id: int
    domain: Curve | DHGroup

    def __post_init__(self) -> None:  # the names as text are accepted too ("ECDH-GM")
        object.__setattr__(self, "mapping", PaceMapping(self.mapping))
        object.__setattr__(self, "cipher", Cipher(self.cipher))

    @classmethod
    def from_info(cls, info: PACEInfo) -> Suite:
        """Resolve a PACEInfo; raises InputError for proprietary or unknown parameters."""
        if info.parameter_id is None:
            raise InputError("PACEInfo without a standardized parameterId (explicit domain "
                             "parameters are not supported)")
        domain = domain_parameters(info.parameter_id)
        if info.mapping.elliptic != isinstance(domain, Curve):
            raise InputError(f"PACE {info.mapping} does not match domain parameters "
                             f"{info.parameter_id}")
        return cls(info.oid, info.mapping, info.cipher, info.parameter_id, domain)

    @property
    def key_length(self) -> int:
        return kdf.key_length(self.cipher)

    @property
    def block(self) -> int:
        return self.cipher.block_size

    @property
    def nonce_length(self) -> int:
        """Length of the chip's nonce s: the key length rounded up to whole cipher blocks.

        (The IM nonce t is a block-cipher key and has the key length.)
        """
        return -(-self.key_length // self.block) * self.block

    @property
    def order(self) -> int:
        """Order of the (mapped) generator's group: n for curves, q for DH."""
        d = self.domain
        return d.n if isinstance(d, Curve) else d.q

    # -- keys on a generator -----------------------------------------------------
    def generator(self) -> Public:
        d = self.domain
        return d.generator if isinstance(d, Curve) else d.g

    def random_private(self) -> int:
        return secrets.randbelow(self.order - 1) + 1

    def public(self, private: int, generator: Public) -> Public:
        """private · generator (EC) or generator^private mod p (DH)."""
        d = self.domain
        if isinstance(d, Curve):
            assert isinstance(generator, tuple)
            if generator == d.generator and 0 < private < d.n:
                return d.mul_base(private)
            pt = mul_point(d, private, generator) or d.mul(private, generator)
            if pt is None:
                raise ProtocolError("key generation gave the point at infinity", step="PACE")
            return pt
        assert isinstance(generator, int)
        return d.exp(generator, private)

    def agree(self, private: int, other: Public) -> Public:
        """Diffie-Hellman: private · other (EC point) or other^private mod p (DH)."""
        value = self.public(private, other)
        if isinstance(value, int) and value in (0, 1):
            raise ProtocolError("Diffie-Hellman gave a trivial shared value", step="PACE")
        return value

    def agree_secret(self, private: int, other: Public) -> bytes:
        """:meth:`shared_secret` of :meth:`agree`: for a curve only the x-coordinate of
        private · other is needed, which OpenSSL's ECDH gives where it knows the curve."""
        d = self.domain
        if isinstance(d, Curve) and isinstance(other, tuple):
            x = ecdh_x(d, private, other)
            if x is not None:
                return x.to_bytes(d.size, "big")
        return self.shared_secret(self.agree(private, other))

    def shared_secret(self, value: Public) -> bytes:
        """The octet string fed to the KDF: x-coordinate (EC) or the value, padded (DH)."""
        d = self.domain
        if isinstance(value, tuple):
            return value[0].to_bytes(d.size, "big")
        return value.to_bytes(d.size, "big")

    def encode(self, value: Public) -> bytes:
        if isinstance(value, tuple):
            assert isinstance(self.domain, Curve)
            return self.domain.encode(value)
        return self.domain.encode(value) if isinstance(self.domain, DHGroup) else b""

    def decode(self, data: Buffer) -> Public:
        """Parse and validate a public key (on the curve / in the subgroup)."""
        return self.domain.decode(bytes(data))

    # -- mappings (Doc 9303-11 §4.4.3.3) ---------------------------------------------
    def map_generic(self, nonce: Buffer, shared: Public) -> Public:
        """Generic Mapping: G' = s·G + H, or g' = g^s · h mod p."""
        s = int.from_bytes(nonce, "big")
        d = self.domain
        if isinstance(d, Curve):
            assert isinstance(shared, tuple)
            mapped = d.add(d.mul_base(s) if 0 < s < d.n else d.mul(s, d.generator), shared)
            if mapped is None:
                raise ProtocolError("Generic Mapping gave the point at infinity", step="PACE")
            return mapped
        assert isinstance(shared, int)
        g2 = d.exp(d.g, s) * shared % d.p
        if g2 == 1:
            raise ProtocolError("Generic Mapping gave a trivial generator", step="PACE")
        return g2

    def map_integrated(self, nonce: Buffer, t: Buffer) -> Public:
        """Integrated Mapping: f_G(R_p(s, t))."""
        d = self.domain
        r = im_prf(self.cipher, nonce, t, d.p)
        if isinstance(d, Curve):
            pt: tuple[int, int] | None = im_point_encode(d, r)
            if d.h != 1:
                pt = d.mul(d.h, pt)
            if pt is None:
                raise ProtocolError("Integrated Mapping gave the point at infinity", step="PACE")
            return pt
        g2 = d.exp(r, (d.p - 1) // d.q)
        if g2 == 1:
            raise ProtocolError("Integrated Mapping gave a trivial generator", step="PACE")
        return g2


# --------------------------------------------------------------------------- symmetric parts
def _check_blocks(data: Buffer, block: int, what: str) -> None:
    if not data or len(data) % block:
        raise ProtocolError(f"{what} is not a whole number of cipher blocks", step="PACE")


def encrypt_nonce(cipher: str, k_pi: Buffer, nonce: Buffer) -> bytes:
    """z = E(K_π, s), CBC with a zero IV (Doc 9303-11 §4.4.3.3)."""
    return cbc_encrypt(cipher, k_pi, nonce)


def decrypt_nonce(cipher: str, k_pi: Buffer, z: Buffer) -> bytearray:
    """s = D(K_π, z); the nonce is returned in a bytearray the caller should zero."""
    _check_blocks(z, 8 if cipher == Cipher.TDES else 16, "the encrypted nonce")
    return bytearray(cbc_decrypt(cipher, k_pi, z))


def _prf_e(cipher: str, key: Buffer, data: bytes) -> bytes:
    if cipher == Cipher.TDES:
        return DES3.new(bytes(key), DES3.MODE_CBC, iv=bytes(8)).encrypt(data)
    return AES.new(bytes(key), AES.MODE_CBC, iv=bytes(16)).encrypt(data)


def im_prf(cipher: str, s: Buffer, t: Buffer, p: int) -> int:
    """R_p(s, t) of the Integrated Mapping (BSI TR-03110-3 §A.3.4.2.2).

    key_1 = E(t, s); then key_{i+1} = E(key_i, c0) and x_i = E(key_i, c1) until
    |x_1 || ... || x_n| ≥ log2(p) + 64 bits; the result is x mod p. E is CBC with a zero
    IV over the whole input; keys are truncated to the cipher's key length. The AES-128
    case reproduces Doc 9303-11 Appendix H.1.
    """
    klen = kdf.key_length(cipher)
    block = 8 if cipher == Cipher.TDES else 16
    if len(t) != klen or not s or len(s) % block:
        raise ProtocolError("Integrated Mapping nonces have wrong lengths", step="PACE")
    c0, c1 = (_PRF_C0_128, _PRF_C1_128) if klen == 16 else (_PRF_C0_256, _PRF_C1_256)
    key = _prf_e(cipher, t, bytes(s))[:klen]
    if len(key) < klen:
        raise ProtocolError("Integrated Mapping nonce s is shorter than the key", step="PACE")
    out = b""
    while len(out) * 8 < p.bit_length() + 64:
        out += _prf_e(cipher, key, c1)
        key = _prf_e(cipher, key, c0)[:klen]
    return int.from_bytes(out, "big") % p


def im_point_encode(curve: Curve, t: int) -> tuple[int, int]:
    """Point encoding f_G(t) for p ≡ 3 mod 4 (Doc 9303-11 Appendix B, simplified SWU)."""
    p, a, b = curve.p, curve.a, curve.b
    if p % 4 != 3 or a == 0:
        raise InputError(f"Integrated Mapping is not defined for {curve.name}")
    t %= p
    if t == 0:
        raise ProtocolError("Integrated Mapping got t = 0", step="PACE")
    alpha = -t * t % p
    denom = (alpha + alpha * alpha) % p
    if denom == 0:
        raise ProtocolError("Integrated Mapping hit an exceptional value", step="PACE")
    x2 = -b * pow(a, -1, p) * (1 + pow(denom, -1, p)) % p
    x3 = alpha * x2 % p
    h2 = (x2 * x2 * x2 + a * x2 + b) % p
    u = pow(t, 3, p) * h2 % p
    big_a = pow(h2, p - 1 - (p + 1) // 4, p)
    if big_a * big_a * h2 % p == 1:
        pt = (x2, big_a * h2 % p)
    else:
        pt = (x3, big_a * u % p)
    if not curve.contains(pt):
        raise ProtocolError("Integrated Mapping produced no curve point", step="PACE")
    return pt


# --------------------------------------------------------------------------- keys and tokens
def session_keys(suite: Suite, shared: Buffer) -> tuple[bytearray, bytearray]:
    """KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) (Doc 9303-11 §9.7.1) in bytearrays."""
    return (bytearray(kdf.derive(shared, kdf.ENC, suite.cipher)),
            bytearray(kdf.derive(shared, kdf.MAC, suite.cipher)))


def public_key_data(suite: Suite, public: Public) -> bytes:
    """``7F49 { 06 OID, 86 point | 84 value }`` (Doc 9303-11 §4.4.3.4, BSI TR-03110-3 §D.3)."""
    tag = 0x86 if isinstance(public, tuple) else 0x84
    body = tlv.encode(0x06, encode_oid(suite.oid)) + tlv.encode(tag, suite.encode(public))
    return tlv.encode(0x7F49, body)


def auth_token(suite: Suite, ks_mac: Buffer, other_public: Public) -> bytes:
    """T = MAC(KS_mac, public key data of the *other* party), 8 bytes (§4.4.3.4, §9.7.4).

    AES: CMAC over the unpadded data; 3DES: retail MAC with padding method 2.
    """
    data = public_key_data(suite, other_public)
    if suite.cipher == Cipher.TDES:
        return compute_mac(Cipher.TDES, ks_mac, data)
    mac = CMAC.new(bytes(ks_mac), ciphermod=AES)
    mac.update(data)
    return mac.digest()[:8]


def _cam_iv(ks_enc: Buffer) -> bytes:
    return AES.new(bytes(ks_enc), AES.MODE_ECB).encrypt(b"\xff" * 16)


def cam_encrypt(suite: Suite, ks_enc: Buffer, ca_ic: int) -> bytes:
    """A_IC = E(KS_enc, CA_IC), AES-CBC with IV = E(KS_enc, -1), padding method 2 (§4.4.3.5)."""
    if suite.cipher == Cipher.TDES:
        raise InputError("PACE-CAM is defined for AES only")
    size = (suite.order.bit_length() + 7) // 8
    return cbc_encrypt(suite.cipher, ks_enc, pad(ca_ic.to_bytes(size, "big"), 16),
                       iv=_cam_iv(ks_enc))


def cam_decrypt(suite: Suite, ks_enc: Buffer, a_ic: Buffer) -> int:
    """CA_IC from the encrypted chip authentication data (§4.4.3.5)."""
    _check_blocks(a_ic, 16, "the PACE-CAM chip authentication data")
    plain = unpad(cbc_decrypt(suite.cipher, ks_enc, a_ic, iv=_cam_iv(ks_enc)))
    if not plain:
        raise ProtocolError("the PACE-CAM chip authentication data is empty", step="PACE")
    return int.from_bytes(plain, "big")
