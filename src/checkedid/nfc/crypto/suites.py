"""The names of the protocol variants an OID selects: cipher suites and PACE mappings.

A PACE, Chip Authentication or secure-messaging OID ends in the cipher suite (ICAO Doc
9303-11 §9.2.1 and §9.2.5, BSI TR-03110-3 Table 2): ``id-PACE-ECDH-GM-AES-CBC-CMAC-128``
is the Generic Mapping over elliptic curves with AES-128 secure messaging. The enums are
``StrEnum``: a member *is* its name as text (``Cipher.AES_128 == "AES-128"``), so the
protocol descriptions, warnings and JSON details read as they always did.
"""

from __future__ import annotations

import enum

__all__ = ["Cipher", "PaceMapping"]


class Cipher(enum.StrEnum):
    """A secure-messaging cipher suite (Doc 9303-11 §9.8: 3DES with the retail MAC, or AES
    in CBC mode with CMAC; the key length is the suite's)."""

    TDES = "3DES"
    AES_128 = "AES-128"
    AES_192 = "AES-192"
    AES_256 = "AES-256"

    @property
    def block_size(self) -> int:
        """The cipher's block length in bytes: 8 for 3DES, 16 for AES."""
        return 8 if self is Cipher.TDES else 16


class PaceMapping(enum.StrEnum):
    """A PACE mapping (Doc 9303-11 §4.4.3.3: Generic, Integrated or Chip Authentication
    Mapping) over finite-field (DH) or elliptic-curve (ECDH) groups."""

    DH_GM = "DH-GM"
    ECDH_GM = "ECDH-GM"
    DH_IM = "DH-IM"
    ECDH_IM = "ECDH-IM"
    ECDH_CAM = "ECDH-CAM"

    @property
    def integrated(self) -> bool:
        """The Integrated Mapping: the terminal sends a second nonce t (§4.4.3.3.2)."""
        return self in (PaceMapping.DH_IM, PaceMapping.ECDH_IM)

    @property
    def elliptic(self) -> bool:
        """Over an elliptic curve (ECDH) rather than a finite-field group (DH)."""
        return self.startswith("ECDH")
