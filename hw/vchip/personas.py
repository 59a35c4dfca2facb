"""The persona catalogue of the virtual chip.

Every persona is the ICAO Doc 9303 specimen holder (:mod:`hw.vchip.specimen`) "ERIKSSON,
ANNA MARIA" of Utopia (UTO), born 1974-08-12, with a *future* expiry date (2031-04-15) so the
document is valid today; check digits are recomputed (Doc 9303-3 §4.9). They
differ in document type and chip configuration (protocols, cipher suites,
extended length, read size, keys) — and, for fault personas, in deliberately
broken authenticity data.

Personas are built in memory at start-up (photos deterministic, keys generated
fresh) and never written to disk: EF.COM, DG1, DG2, DG11, DG12, DG14 (with CA, or an
EC AA key), DG15 (with AA) encoded by :mod:`hw.vchip.lds_build`, and EF.SOD signed by
the persona's document signer of the test PKI (:mod:`hw.pki`, built once per process).
:func:`specs` returns the static catalogue (cheap); :func:`build` makes the chip
contents of one persona.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hw.vchip import lds_build
from hw.vchip.iso7816 import tlv as encode
from hw.vchip.specimen import (
    BIRTH,
    EXPIRY,
    GIVEN,
    PHOTO_SIZE,
    SURNAME,
    check_digit,
    encode_photo,
    mrz_td1,
    mrz_td3,
)

__all__ = ["PHOTO_SIZE", "PaceConfig", "Persona", "PersonaSpec", "build", "check_digit",
           "encode_photo", "mrz_td1", "mrz_td3", "spec", "specs"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class PaceConfig:
    """One PACEInfo (BSI TR-03110-3 §A.1.1 / Doc 9303-11 §9.2.1)."""

    mapping: str  # "ECDH-GM", "DH-GM", "ECDH-IM", "ECDH-CAM"
    cipher: str  # "3DES", "AES-128", "AES-192", "AES-256"
    parameter_id: int  # standardized domain parameters (TR-03110-3 Table 4)

    @property
    def oid(self) -> str:
        mapping = {"DH-GM": 1, "ECDH-GM": 2, "DH-IM": 3, "ECDH-IM": 4, "ECDH-CAM": 6}[self.mapping]
        cipher = {"3DES": 1, "AES-128": 2, "AES-192": 3, "AES-256": 4}[self.cipher]
        return f"0.4.0.127.0.7.2.2.4.{mapping}.{cipher}"


@dataclass(frozen=True)
class PersonaSpec:
    """Static description of a persona (what ``--list-personas`` prints)."""

    name: str
    description: str
    doc_type: str  # "TD3" passport, "TD1" ID card or "DL1" driving licence
    document_number: str
    can: str
    pace: PaceConfig | None
    bac: bool = True
    extended_length: bool = True
    max_read: int = 65536
    photo: str = "obama_1.jpg"
    photo_format: str = "jpeg"  # or "jp2"
    aa: str | None = "rsa"  # DG15 key type: "rsa", "ec" or None
    ca: str | None = "ec"  # DG14 ChipAuthentication key: "ec", "dh" or None
    data_groups: tuple[int, ...] = (1, 2, 11, 12)
    fault: str | None = None
    signer: str = "ds-rsa"  # document signer of hw.pki for EF.SOD
    hash_alg: str = "sha256"  # EF.SOD data-group hash algorithm
    explicit_ec: bool = False  # DG14/DG15 EC keys with explicit domain parameters
    quirk: str | None = None  # behaviour layer of hw.vchip.quirks (``quirk-*`` personas)
    card_security: bool = False  # EF.CardSecurity in the MF (signed SecurityInfos)

    @property
    def mrz(self) -> str:
        return mrz_td3(self.document_number) if self.doc_type == "TD3" else \
            mrz_td1(self.document_number)

    @property
    def mrz_information(self) -> str:
        """Document number, birth and expiry dates with check digits (Doc 9303-11 §9.7.2)."""
        doc9 = self.document_number.ljust(9, "<")
        return doc9 + check_digit(doc9) + BIRTH + check_digit(BIRTH) + EXPIRY + check_digit(EXPIRY)

    @property
    def protocols(self) -> list[str]:
        return (["PACE"] if self.pace else []) + (["BAC"] if self.bac else [])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "document_number": self.document_number,
                "birth_date": BIRTH, "expiry_date": EXPIRY, "mrz": self.mrz, "can": self.can,
                "protocols": self.protocols, "fault": self.fault,
                "description": self.description}


@dataclass
class Persona:
    """A built persona: the chip's files and keys (in memory only)."""

    spec: PersonaSpec
    files: dict[int, bytes]  # FID -> content, in the eMRTD application
    mf_files: dict[int, bytes]  # FID -> content, at MF level (EF.CardAccess, EF.ATR/INFO)
    aa_key: Any = None  # private key of DG15 (cryptography object) or None
    ca_key: Any = None  # private key for Chip Authentication (DG14) or None
    extras: dict[str, Any] = field(default_factory=dict)  # for protocol handlers

    # Convenience for the chip-side protocol handlers.
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def mrz_information(self) -> str:
        return self.spec.mrz_information

    @property
    def can(self) -> str:
        return self.spec.can

    @property
    def pace(self) -> PaceConfig | None:
        return self.spec.pace

    @property
    def bac(self) -> bool:
        return self.spec.bac

    @property
    def extended_length(self) -> bool:
        return self.spec.extended_length

    @property
    def max_read(self) -> int:
        return self.spec.max_read

    @property
    def fault(self) -> str | None:
        return self.spec.fault


_BASE: tuple[PersonaSpec, ...] = (
    PersonaSpec("utopia-passport-bac", "TD3 passport, BAC only (3DES), short APDUs, 223-byte reads",
                "TD3", "L898902C3", "", None, extended_length=False, max_read=0xDF,
                photo="obama_1.jpg", photo_format="jpeg", aa="rsa", ca=None,
                signer="ds-rsa", hash_alg="sha256"),
    PersonaSpec("utopia-passport-bac-cs", "TD3 passport, BAC only, EF.CardSecurity with the CA "
                "key in the MF (readable after BAC)", "TD3", "L898902C4", "", None,
                photo="obama_1.jpg", photo_format="jpeg", aa="rsa", ca="ec",
                signer="ds-rsa", hash_alg="sha256", card_security=True),
    PersonaSpec("utopia-id-pace-gm", "TD1 ID card, PACE ECDH-GM brainpoolP256r1 AES-128, CAN",
                "TD1", "D23145890", "123456", PaceConfig("ECDH-GM", "AES-128", 13),
                photo="obama_3.jpg", photo_format="jp2", aa="ec", ca="ec",
                signer="ds-ec", hash_alg="sha256", explicit_ec=True),
    PersonaSpec("utopia-id-pace-dh", "TD1 ID card, PACE DH-GM 1024-bit MODP AES-128, short APDUs",
                "TD1", "D23145891", "234567", PaceConfig("DH-GM", "AES-128", 0),
                extended_length=False, max_read=0xFF, photo="obama_1.jpg",
                photo_format="jpeg", aa="rsa", ca="ec", signer="ds-rsa-pss", hash_alg="sha256"),
    PersonaSpec("utopia-id-pace-im", "TD1 ID card, PACE ECDH-IM brainpoolP256r1 AES-128",
                "TD1", "D23145892", "345678", PaceConfig("ECDH-IM", "AES-128", 13),
                photo="obama_2.jpg", photo_format="jp2", aa=None, ca="ec",
                signer="ds-p256", hash_alg="sha384"),
    PersonaSpec("utopia-id-pace-cam", "TD1 ID card, PACE-CAM NIST P-256 AES-256",
                "TD1", "D23145893", "456789", PaceConfig("ECDH-CAM", "AES-256", 12),
                photo="obama_2.jpg", photo_format="jpeg", aa=None, ca="ec",
                signer="ds-rsa", hash_alg="sha512"),
)

# Fault personas: (name, base persona, description); _build_lds applies them.
_FAULTS: tuple[tuple[str, str, str], ...] = (
    ("tampered-dg1", "utopia-id-pace-gm", "DG1 changed after signing (hash mismatch)"),
    ("tampered-dg2", "utopia-id-pace-gm", "DG2 changed after signing (hash mismatch)"),
    ("bad-sod-signature", "utopia-id-pace-gm", "EF.SOD signature does not verify"),
    ("unknown-csca", "utopia-id-pace-gm", "DS issued by a CSCA not in the trust store"),
    ("revoked-ds", "utopia-id-pace-gm", "document signer certificate is on the CRL"),
    ("expired-ds", "utopia-id-pace-gm", "document signer certificate has expired"),
    ("cloned-chip", "utopia-passport-bac", "Active Authentication answers with another key"),
    ("ca-key-mismatch", "utopia-id-pace-gm", "Chip Authentication key differs from DG14"),
    ("clone-no-dg15", "utopia-passport-bac",
     "clone: files copied, no AA key, DG15 (covered by EF.SOD) answers 6A82"),
    ("clone-no-dg14", "utopia-id-pace-im",
     "clone: files copied, no CA key, DG14 (covered by EF.SOD) answers 6A82"),
    ("pace-downgrade", "utopia-id-pace-gm",
     "EF.CardAccess answers 6A82 (hidden on the way): PACE offered in DG14, BAC used"),
    ("pace-downgrade-cardsecurity", "utopia-id-pace-gm",
     "EF.CardAccess answers 6A82 (hidden on the way): PACE offered only in the signed "
     "EF.CardSecurity (not in DG14), BAC used"),
)

#: Fault personas whose EF.CardAccess an on-path attacker hides (the reader falls back to BAC).
HIDES_CARD_ACCESS = frozenset({"pace-downgrade", "pace-downgrade-cardsecurity"})

#: Clone personas: the data group EF.SOD covers that the clone cannot serve (its key is
#: not on the card), keyed by fault name.
CLONE_HIDES: dict[str, int] = {"clone-no-dg15": 15, "clone-no-dg14": 14}


def specs() -> list[PersonaSpec]:
    """The whole catalogue: base personas, fault personas, quirk personas, then licences."""
    from hw.vchip import licence

    out = list(_BASE)
    by_name = {s.name: s for s in _BASE}
    for fault, base, text in _FAULTS:
        out.append(replace(by_name[base], name=f"fault-{fault}", description=text, fault=fault))
    from hw.vchip.quirks import QUIRK_PERSONAS

    for quirk, base, text in QUIRK_PERSONAS:
        out.append(replace(by_name[base], name=f"quirk-{quirk}", description=text, quirk=quirk))
    return out + licence.specs()


def spec(name: str) -> PersonaSpec:
    for s in specs():
        if s.name == name:
            return s
    raise KeyError(f"unknown persona {name!r}; list them with 'python -m hw.vchip --list-personas'")


_CACHE: dict[str, Persona] = {}
Builder = Callable[[PersonaSpec], Persona]


def build(name: str, *, cache: bool = True) -> Persona:
    """Build (or reuse) the chip contents of persona ``name``: a catalogue name, or a persona
    TOML file / ``checkedid read --save`` directory (:mod:`hw.vchip.persona_files`)."""
    if cache and name in _CACHE:
        return _CACHE[name]
    from hw.vchip import persona_files
    from hw.vchip.quirks import install_files

    if persona_files.is_persona_path(name):
        loaded = persona_files.load(name)
        install_files(loaded)
        return loaded
    s = spec(name)
    from hw.vchip import licence

    files, mf_files, aa_key, ca_key, extras = licence.build_files(s) \
        if isinstance(s, licence.LicenceSpec) else _build_files(s)
    persona = Persona(s, files, mf_files, aa_key, ca_key, extras)
    install_files(persona)  # a quirk's own files belong to the persona's contents
    if cache:
        _CACHE[name] = persona
    return persona


# --------------------------------------------------------------------------- content
def card_access(pace: PaceConfig) -> bytes:
    """EF.CardAccess with one PACEInfo (Doc 9303-11 §9.2.1): SET { SEQ { oid, 2, paramId } }."""
    return lds_build.card_access([lds_build.pace_info(pace.oid, pace.parameter_id)])


def atr_info(spec_: PersonaSpec) -> bytes:
    """EF.ATR/INFO: extended length information DO'7F66' (ISO/IEC 7816-4 §12.7.1)."""
    if not spec_.extended_length:
        return b""
    limit = min(spec_.max_read, 0xFFFF)
    return encode(0x7F66, _int(0xFFFF) + _int(limit))


def _int(v: int) -> bytes:
    return encode(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def _build_files(
    s: PersonaSpec,
) -> tuple[dict[int, bytes], dict[int, bytes], Any, Any, dict[str, Any]]:
    photo = encode_photo(s.photo, s.photo_format)
    files, aa_key, ca_key, extras = _build_lds(s, photo)
    mf: dict[int, bytes] = {}
    if s.pace is not None and s.fault not in HIDES_CARD_ACCESS:
        mf[0x011C] = card_access(s.pace)
    if s.card_security or s.fault == "pace-downgrade-cardsecurity":
        mf[0x011D] = _card_security(s, ca_key)
    info = atr_info(s)
    if info:
        mf[0x2F01] = info
    return files, mf, aa_key, ca_key, extras


def _card_security(s: PersonaSpec, ca_key: Any) -> bytes:
    """EF.CardSecurity (BSI TR-03110-3 §A.1.2.2): the PACEInfo and the CA key (as in DG14),
    signed by the persona's document signer (which chains to the same CSCA as EF.SOD)."""
    infos: list[bytes] = []
    if ca_key is not None:
        pub = ca_key.public_key()
        infos += [lds_build.ca_info(lds_build.ca_oid(pub, "AES-128")),
                  lds_build.ca_public_key_info(pub, explicit=s.explicit_ec)]
    if s.pace is not None:
        infos.append(lds_build.pace_info(s.pace.oid, s.pace.parameter_id))
    return lds_build.card_security(infos, signer=s.signer, hash_alg=s.hash_alg)


_CURVES = {12: ec.SECP256R1(), 13: ec.BrainpoolP256R1(), 16: ec.BrainpoolP384R1()}


def _keys(s: PersonaSpec) -> tuple[Any, Any]:
    """Fresh AA (DG15) and CA (DG14) private keys of the persona's types."""
    curve = _CURVES.get(s.pace.parameter_id if s.pace else 13, ec.BrainpoolP256R1())
    aa_key: Any = None
    if s.aa == "rsa":
        aa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif s.aa == "ec":
        aa_key = ec.generate_private_key(curve)
    ca_key: Any = None
    if s.ca == "ec":
        ca_key = ec.generate_private_key(curve)
    elif s.ca == "dh":
        ca_key = lds_build.DHPrivateKey.generate(0)
    return aa_key, ca_key


#: Fault persona -> (document signer, EF.SOD tamper) (hw.pki.ca signers, hw.pki.sod TAMPERS).
SOD_FAULTS: dict[str, tuple[str | None, str | None]] = {
    "bad-sod-signature": (None, "signature"),
    "unknown-csca": ("ds-unknown", None),
    "revoked-ds": ("ds-revoked", None),
    "expired-ds": ("ds-expired", None),
}


def _data_groups(s: PersonaSpec, photo: bytes, aa_key: Any, ca_key: Any,
                 expression: int = 1) -> dict[int, bytes]:
    w, h = PHOTO_SIZE
    dgs: dict[int, bytes] = {
        1: lds_build.dg1(s.mrz),
        2: lds_build.dg2([lds_build.face_record(photo, s.photo_format, w, h,
                                                expression=expression)]),
    }
    if 11 in s.data_groups:
        dgs[11] = lds_build.dg11(
            full_name=f"{SURNAME}<<{GIVEN.replace(' ', '<')}",
            personal_number="ZE184226B", full_date_of_birth="19" + BIRTH,
            place_of_birth="ZENITH")
    if 12 in s.data_groups:
        dgs[12] = lds_build.dg12(issuing_authority="UTOPIA", date_of_issue="20210415",
                                 personalisation_time="20210415093000",
                                 personalisation_device_serial="VCHIP-0001")
    if ca_key is not None or isinstance(aa_key, ec.EllipticCurvePrivateKey):
        cipher = "AES-256" if s.pace is not None and s.pace.cipher == "AES-256" else "AES-128"
        pace = [(s.pace.oid, s.pace.parameter_id)] if s.pace is not None and \
            s.fault != "pace-downgrade-cardsecurity" else []
        dgs[14] = lds_build.dg14(ca_key=ca_key, ca_cipher=cipher, aa_key=aa_key, pace=pace,
                                 explicit=s.explicit_ec)
    if aa_key is not None:
        dgs[15] = lds_build.dg15(aa_key.public_key(), explicit=s.explicit_ec)
    return dgs


def _tamper_dg1(dg1: bytes) -> bytes:
    """DG1 with one letter of the given name changed (still a well-formed MRZ)."""
    return dg1.replace(b"ANNA", b"ANNE", 1)


def _build_lds(s: PersonaSpec, photo: bytes) -> tuple[dict[int, bytes], Any, Any, dict[str, Any]]:
    """EF.COM, DGs and EF.SOD of one persona, then the persona's fault applied.

    Faults: ``tampered-dg1`` / ``tampered-dg2`` change the DG after EF.SOD was signed;
    ``bad-sod-signature``, ``unknown-csca``, ``revoked-ds``, ``expired-ds`` choose the
    document signer or tamper with EF.SOD (:data:`SOD_FAULTS`). ``cloned-chip`` and
    ``ca-key-mismatch`` leave the files intact: the AA / CA handlers (``chip_aa``,
    ``chip_ca``) answer with another key. ``clone-no-dg15`` / ``clone-no-dg14`` drop the
    data group (SELECT and READ answer 6A82) and its private key (:data:`CLONE_HIDES`);
    ``pace-downgrade`` drops EF.CardAccess (:func:`_build_files`);
    ``pace-downgrade-cardsecurity`` too, and lists the PACEInfo only in EF.CardSecurity.
    """
    aa_key, ca_key = _keys(s)
    dgs = _data_groups(s, photo, aa_key, ca_key)
    signer, tamper = SOD_FAULTS.get(s.fault or "", (None, None))
    sod = lds_build.sod(dgs, signer=signer or s.signer, hash_alg=s.hash_alg, tamper=tamper)
    if s.fault == "tampered-dg1":
        dgs[1] = _tamper_dg1(dgs[1])
    elif s.fault == "tampered-dg2":  # same size, another expression code
        dgs[2] = _data_groups(s, photo, aa_key, ca_key, expression=2)[2]
    files = {0x0100 | n: body for n, body in dgs.items()}
    files[0x011E] = lds_build.com(sorted(dgs))
    files[0x011D] = sod
    hidden = CLONE_HIDES.get(s.fault or "")
    if hidden is not None:  # the clone copied EF.COM and EF.SOD, but holds no private key
        del files[0x0100 | hidden]
        if hidden == 15:
            aa_key = None
        else:
            ca_key = None
    extras: dict[str, Any] = {"photo_format": s.photo_format, "photo_size": PHOTO_SIZE,
                              "signer": signer or s.signer, "hash_alg": s.hash_alg}
    return files, aa_key, ca_key, extras
