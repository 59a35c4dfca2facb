"""BAC on the virtual chip: EXTERNAL AUTHENTICATE (ICAO Doc 9303-11 §4.3.4, Appendix D.3).

GET CHALLENGE (:mod:`hw.vchip.filesystem`) leaves RND.IC in ``chip.challenge``. The
terminal's ``E_IFD || M_IFD`` is checked with the persona's MRZ-derived keys: MAC first
(constant time), then the decrypted RND.IC against the challenge. The chip answers
``E_IC || M_IC`` and puts the new 3DES session into ``chip.pending_sm``, which the router
installs after this (plain) response. Any failure answers 6300 and consumes the
challenge, like a real chip.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from checkedid.nfc import kdf
from checkedid.nfc.apdu import SW, Command, Response
from checkedid.nfc.bac import mutual_auth_keys
from checkedid.nfc.sm import SMSession, cbc_decrypt, cbc_encrypt, compute_mac

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Router

__all__ = ["external_authenticate", "register"]



def external_authenticate(chip: ChipState, cmd: Command) -> Response:
    """EXTERNAL AUTHENTICATE for BAC (P1 = P2 = 00, 40 data bytes)."""
    if not chip.persona.bac:
        return Response(b"", SW.INS_NOT_SUPPORTED)
    rnd_ic, chip.challenge = chip.challenge, None
    if rnd_ic is None:
        return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
    data = bytes(cmd.data)
    if len(data) != 40:
        return Response(b"", SW.WRONG_LENGTH)
    k_enc, k_mac = mutual_auth_keys(chip.persona.mrz_information.encode("ascii"))
    e_ifd, m_ifd = data[:32], data[32:]
    if not hmac.compare_digest(compute_mac("3DES", k_mac, e_ifd), m_ifd):
        return Response(b"", SW.VERIFICATION_FAILED)
    s = cbc_decrypt("3DES", k_enc, e_ifd)
    rnd_ifd, k_ifd = s[:8], s[16:32]
    if not hmac.compare_digest(s[8:16], rnd_ic):
        return Response(b"", SW.VERIFICATION_FAILED)
    k_ic = secrets.token_bytes(16)
    e_ic = cbc_encrypt("3DES", k_enc, rnd_ic + rnd_ifd + k_ic)
    m_ic = compute_mac("3DES", k_mac, e_ic)
    ks_seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    chip.pending_sm = SMSession("3DES", kdf.derive(ks_seed, kdf.ENC, "3DES"),
                                kdf.derive(ks_seed, kdf.MAC, "3DES"),
                                int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big"))
    chip.authenticated = "BAC"
    return Response(e_ic + m_ic, SW.OK)


def register(router: Router) -> None:
    router.add(0x82, external_authenticate)
