"""BAC on the virtual chip: EXTERNAL AUTHENTICATE (ICAO Doc 9303-11 §4.3, Appendix D).

GET CHALLENGE (:mod:`hw.vchip.filesystem`) leaves RND.IC in ``chip.challenge``. The
terminal sends ``E_IFD || M_IFD`` (40 bytes). :func:`respond` is the whole responder for
one key seed: K_enc/K_mac = KDF(K_seed, 1/2) (§9.7.1); M_IFD is checked (retail MAC,
constant time), ``S = RND.IFD || RND.IC || K.IFD`` decrypted and RND.IC compared with the
challenge; the chip answers ``E_IC || M_IC`` with ``R = RND.IC || RND.IFD || K.IC`` and
the new 3DES session: KS_seed = K.IFD xor K.IC, SSC = the low 4 bytes of RND.IC and of
RND.IFD (§4.3.3.3, §9.8.6.3).

The key seed comes from a function of the chip state, so that protocols with the same
exchange and another seed (ISO/IEC 18013-3 BAP for driving licences) can reuse
:func:`respond` through :func:`external_authenticate_with`. The default seed is BAC's:
the first 16 bytes of SHA-1 over the MRZ information (§9.7.2). The session goes to
``chip.pending_sm``, installed by the router after this (plain) response. Any failure
answers 6300 and consumes the challenge, like a real chip.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from hw.vchip import symmetric
from hw.vchip.iso7816 import SW, Command, Response
from hw.vchip.secure_messaging import ChipSession

if TYPE_CHECKING:
    from hw.vchip.chip import ChipState, Handler, Router

__all__ = ["external_authenticate", "external_authenticate_with", "mrz_key_seed", "register",
           "respond"]

KeySeed = Callable[["ChipState"], "bytes | None"]


def mrz_key_seed(mrz_information: bytes) -> bytes:
    """K_seed of BAC: the first 16 bytes of SHA-1(MRZ information) (Doc 9303-11 §9.7.2)."""
    return hashlib.sha1(mrz_information).digest()[:16]  # noqa: S324 - mandated by §9.7.2


def respond(k_seed: bytes, rnd_ic: bytes, data: bytes,
            k_ic: bytes | None = None) -> tuple[bytes, ChipSession] | None:
    """The chip's answer ``E_IC || M_IC`` and its new session, or ``None`` (6300).

    ``k_ic`` (16 bytes) is drawn at random unless given (the Appendix D example fixes it).
    """
    if len(data) != 40 or len(rnd_ic) != 8:
        return None
    k_enc = symmetric.derive_key(k_seed, symmetric.ENC, "3DES")
    k_mac = symmetric.derive_key(k_seed, symmetric.MAC, "3DES")
    e_ifd, m_ifd = data[:32], data[32:]
    if not hmac.compare_digest(symmetric.mac("3DES", k_mac, e_ifd), m_ifd):
        return None
    s = symmetric.cbc_decrypt("3DES", k_enc, e_ifd)
    rnd_ifd, k_ifd = s[:8], s[16:32]
    if not hmac.compare_digest(s[8:16], rnd_ic):
        return None
    k_ic = k_ic if k_ic is not None else secrets.token_bytes(16)
    e_ic = symmetric.cbc_encrypt("3DES", k_enc, rnd_ic + rnd_ifd + k_ic)
    m_ic = symmetric.mac("3DES", k_mac, e_ic)
    ks_seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    session = ChipSession("3DES", symmetric.derive_key(ks_seed, symmetric.ENC, "3DES"),
                          symmetric.derive_key(ks_seed, symmetric.MAC, "3DES"),
                          int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big"))
    return e_ic + m_ic, session


def external_authenticate_with(key_seed: KeySeed, label: str = "BAC") -> Handler:
    """An EXTERNAL AUTHENTICATE handler for the key seed ``key_seed(chip)``.

    ``None`` from ``key_seed`` means the chip does not offer the protocol (6D00);
    ``label`` is what ``chip.authenticated`` becomes on success.
    """

    def handler(chip: ChipState, cmd: Command) -> Response:
        seed = key_seed(chip)
        if seed is None:
            return Response(b"", SW.INS_NOT_SUPPORTED)
        rnd_ic, chip.challenge = chip.challenge, None
        if rnd_ic is None:
            return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
        if cmd.p1 != 0 or cmd.p2 != 0:
            return Response(b"", SW.WRONG_P1P2)
        data = bytes(cmd.data)
        if len(data) != 40:
            return Response(b"", SW.WRONG_LENGTH)
        answer = respond(seed, rnd_ic, data)
        if answer is None:
            return Response(b"", SW.VERIFICATION_FAILED)
        chip.pending_sm = answer[1]
        chip.authenticated = label
        return Response(answer[0], SW.OK)

    return handler


def _bac_seed(chip: ChipState) -> bytes | None:
    if not chip.persona.bac:
        return None
    return mrz_key_seed(chip.persona.mrz_information.encode("ascii"))


#: EXTERNAL AUTHENTICATE for BAC (P1 = P2 = 00, 40 data bytes).
external_authenticate = external_authenticate_with(_bac_seed)


def register(router: Router) -> None:
    router.add(0x82, external_authenticate)
