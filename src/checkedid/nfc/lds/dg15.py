"""EF.DG15: the Active Authentication public key (ICAO Doc 9303-10 §4.7.15; 9303-11 §6.1).

::

    6F  DG15 template
        30 …  SubjectPublicKeyInfo (RFC 5280): RSA, or EC with named or explicit
              domain parameters (explicit brainpool parameters are common)

The key is loaded with :func:`checkedid.nfc.crypto.pubkey.load_public_key`, which maps
explicit EC parameters onto the named curve they describe. The SubjectPublicKeyInfo
bytes are kept exactly as read in :attr:`DG15.spki`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from checkedid.errors import CertificateError, LDSError
from checkedid.nfc.crypto.pubkey import PublicKey, load_public_key
from checkedid.nfc.lds.template import children, unwrap

__all__ = ["DG15", "parse", "parse_dg15", "public_key_from_spki"]

_FILE = "EF.DG15"


def public_key_from_spki(spki: bytes, file: str) -> PublicKey:
    """An RSA or EC ``cryptography`` key from DER SubjectPublicKeyInfo; else :class:`LDSError`."""
    try:
        return load_public_key(bytes(spki))
    except CertificateError as exc:
        raise LDSError(f"public key unusable: {exc}", file=file) from None


@dataclass(frozen=True)
class DG15:
    """Parsed DG15: ``raw`` as read, the DER ``spki`` and the loaded ``public_key``."""

    raw: bytes = field(repr=False)
    spki: bytes = field(repr=False)
    public_key: PublicKey

    @property
    def key_type(self) -> str:
        """``"rsa"`` or ``"ec"``."""
        return "rsa" if isinstance(self.public_key, rsa.RSAPublicKey) else "ec"

    @property
    def curve(self) -> ec.EllipticCurve | None:
        return self.public_key.curve if isinstance(self.public_key, ec.EllipticCurvePublicKey) \
            else None

    @classmethod
    def from_bytes(cls, raw: bytes) -> DG15:
        return parse_dg15(raw)


def parse_dg15(raw: bytes) -> DG15:
    """Parse DG15 (tag ``6F``); malformed content raises :class:`LDSError` / ``TLVError``."""
    raw = bytes(raw)
    items = children(unwrap(raw, 0x6F, _FILE))
    if len(items) != 1 or items[0][0] != 0x30:
        raise LDSError("expected one SubjectPublicKeyInfo SEQUENCE", file=_FILE)
    spki = items[0][2]
    return DG15(raw, spki, public_key_from_spki(spki, _FILE))


#: Uniform name across the LDS parser modules (``dg2.parse(raw)``).
parse = parse_dg15
