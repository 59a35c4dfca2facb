"""Is the chip genuine? The proofs EF.SOD demands (ICAO Doc 9303-11 §6.1, §6.2, §4.2).

A clone copies EF.COM, EF.SOD and every data group of a genuine document onto
another card, but it cannot copy the private keys. Passive Authentication alone
therefore proves only that the *data* is genuine. The chip is proven genuine by
the protocols whose keys EF.SOD's signed hashes vouch for:

* EF.SOD covers DG15 -> Active Authentication (Doc 9303-11 §6.1) must run and pass;
* EF.SOD covers DG14 and DG14 holds a ChipAuthenticationPublicKey -> Chip
  Authentication (§6.2) or PACE-CAM (§4.4.3.5) must run and pass;
* the signed DG14 lists a PACEInfo (Doc 9303-11 §9.2.1; BSI TR-03110-3 §A.1.1)
  -> PACE must have been used: a chip that offers PACE opened with BAC means an
  attacker hid EF.CardAccess to force the weaker protocol (§4.2 "PACE first");
* the same holds when the PACEInfo is listed only in EF.CardSecurity (the signed
  SecurityInfos in the MF, BSI TR-03110-3 §A.1.2.2, Doc 9303-11 §9.2) and its
  document signer's signature verifies and chains to a trusted CSCA.

A covered data group that the chip does not serve (6A82, 6982, ...) turns the
proof into FAILED: a genuine chip always serves the files its EF.SOD covers.
:func:`require_chip_proof` and :func:`check_pace_downgrade` apply these rules to the
check groups the reader produced; the decision (:func:`checkedid.result.decide`)
then gives REJECTED for FAILED and INCOMPLETE for NOT_CHECKED.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from checkedid.verdict import Check, CheckGroup, Verdict

__all__ = ["CLONE", "DOWNGRADE", "check_card_security", "check_pace_downgrade", "offers_pace",
           "require_chip_proof"]

CLONE = "the chip could not prove it is genuine: possible clone"
DOWNGRADE = "the chip offers PACE but it was not used"

_AA = ("active", "active_authentication", "Active Authentication")
_CA = ("chip", "chip_authentication", "Chip Authentication")


def _demand(group: CheckGroup, proof: tuple[str, str, str], verdict: Verdict,
            reason: str) -> CheckGroup:
    name, check, _ = proof
    return CheckGroup.of(name, [*group.checks, Check(f"{check}_required", verdict, reason)],
                         **group.details)


def _has_ca_key(dg14: Any) -> bool:
    return bool(getattr(dg14, "ca_public_keys", None))


def require_chip_proof(active: CheckGroup, chip: CheckGroup, covered: Set[int],
                       unread: Mapping[int, str], dg14: Any, *,
                       aa_dg: int = 15) -> tuple[CheckGroup, CheckGroup]:
    """Make AA / CA mandatory where EF.SOD vouches for their keys.

    ``covered``: the DG numbers EF.SOD holds hashes for; ``unread``: DG number -> why
    the chip did not serve it (``"answered 6A82"``); ``dg14``: the parsed DG14 or
    ``None``. A group that is not PASSED although its proof is required gets a
    ``*_required`` check: FAILED when the covered data group was not served or the
    protocol failed (REJECTED, :data:`CLONE`), NOT_CHECKED when the data group was
    served but the protocol could not be run with it (INCOMPLETE). Groups whose proof
    is not required, or that passed, are returned unchanged. ``aa_dg`` is the data group
    of the AA key: 15 in a passport, 13 in a driving licence (ISO/IEC 18013-3 §8.2.2).
    """
    groups = {aa_dg: active, 14: chip}
    proofs = {aa_dg: _AA, 14: _CA}
    for dg, group in groups.items():
        if dg not in covered or group.verdict is Verdict.PASSED:
            continue
        proof = proofs[dg]
        protocol = proof[2]
        if dg in unread:
            groups[dg] = _demand(group, proof, Verdict.FAILED,
                                 f"{CLONE} (EF.SOD covers DG{dg}, but the chip {unread[dg]}; "
                                 f"{protocol} could not run)")
        elif group.verdict is Verdict.FAILED:
            groups[dg] = _demand(group, proof, Verdict.FAILED,
                                 f"{CLONE} (EF.SOD covers DG{dg} and {protocol} failed)")
        elif dg == 14 and not _has_ca_key(dg14) and dg14 is not None:
            continue  # DG14 without a chip key (only PACE / AA infos): CA is not offered
        elif group.verdict is Verdict.NOT_SUPPORTED:
            groups[dg] = _demand(group, proof, Verdict.NOT_CHECKED,
                                 f"EF.SOD covers DG{dg}, but {protocol} could not be run with "
                                 "it (unsupported or unparseable key): the chip is not proven "
                                 "genuine")
    return groups[aa_dg], groups[14]


def offers_pace(dg14: Any) -> bool:
    """True when DG14 lists a PACEInfo that checkedid can run (unsupported variants
    cannot have been downgraded by anyone)."""
    infos = list(getattr(dg14, "pace_infos", None) or [])
    if not infos:
        return False
    from checkedid.errors import InputError
    from checkedid.nfc.access import pace

    class _Offered:
        pace = infos

    try:
        pace.choose(_Offered())  # type: ignore[arg-type]
    except InputError:
        return False
    return True


def check_pace_downgrade(access: CheckGroup, protocol: str | None, dg14: Any,
                         covered: Set[int]) -> CheckGroup:
    """FAIL the access group when the signed DG14 offers PACE and PACE was not used.

    Only a DG14 covered by EF.SOD counts (an unsigned DG14 is rejected by Passive
    Authentication anyway). The reason names the likely cause: EF.CardAccess was
    hidden (answered 6A82) on the way to force BAC.
    """
    if 14 not in covered or dg14 is None or (protocol or "").startswith("PACE"):
        return access
    if not offers_pace(dg14):
        return access
    return CheckGroup.of("access", [*access.checks, Check(
        "pace_required", Verdict.FAILED,
        f"{DOWNGRADE} (the signed DG14 lists PACEInfo, the chip was opened with "
        f"{protocol or 'another protocol'}): EF.CardAccess was hidden on the way")],
        **access.details)


def _card_security_trusted(card_security: Any, trust: Any) -> str | None:
    """``None`` when EF.CardSecurity's signature verifies and its signer chains to a CSCA of
    ``trust`` (the store EF.SOD is checked with); otherwise why it cannot be relied on."""
    from checkedid.errors import CheckedIDError
    from checkedid.nfc.pki import pa

    if trust is None:
        return "there is no trust store to verify its signer"
    try:
        if not card_security.signature_verifies():
            return "its document signer's signature does not verify"
        chain = pa.signer_chain(card_security.signer_certificate(), trust)
    except (CheckedIDError, ValueError, TypeError) as exc:
        return f"its signature cannot be checked ({exc})"
    if chain.verdict is not Verdict.PASSED:
        return f"its document signer is not trusted ({chain.reason})"
    return None


def check_card_security(access: CheckGroup, protocol: str | None, raw: bytes,
                        trust: Any) -> CheckGroup:
    """The downgrade check of :func:`check_pace_downgrade` with EF.CardSecurity's PACEInfo.

    ``raw`` is EF.CardSecurity as read after a session without PACE (empty: not read).
    A *verified* file (signature and chain, :func:`_card_security_trusted`) that lists a
    PACE variant checkedid runs FAILS the access group with :data:`DOWNGRADE`. One that
    cannot be verified never counts for the chip: when it lists PACE the check is
    NOT_CHECKED (INCOMPLETE: the downgrade cannot be excluded), otherwise nothing changes.
    A malformed file is noted in the details and not used.
    """
    if not raw or (protocol or "").startswith("PACE") or any(
            c.name == "pace_required" and c.verdict is Verdict.FAILED for c in access.checks):
        return access  # not read, PACE used, or the signed DG14 showed the downgrade already
    from checkedid.errors import LDSError
    from checkedid.nfc.lds.cardsecurity import parse_card_security

    try:
        card_security = parse_card_security(raw)
    except LDSError as exc:
        return CheckGroup.of("access", access.checks, **{
            **access.details, "card_security": f"not used: {exc}"})
    if not offers_pace(card_security.infos):
        return access
    why = _card_security_trusted(card_security, trust)
    if why is not None:
        return CheckGroup.of("access", [*access.checks, Check(
            "pace_required", Verdict.NOT_CHECKED,
            f"EF.CardSecurity lists PACEInfo, but {why}: whether PACE was bypassed on the way "
            "cannot be told")], **access.details)
    return CheckGroup.of("access", [*access.checks, Check(
        "pace_required", Verdict.FAILED,
        f"{DOWNGRADE} (the signed EF.CardSecurity lists PACEInfo, the chip was opened with "
        f"{protocol or 'another protocol'}): EF.CardAccess was hidden on the way")],
        **access.details)


def authenticate(data: Any, trust: Any, *, crl_grace: Any = None) -> dict[str, CheckGroup]:
    """The authentication groups of a chip read: ``access``, ``passive``, ``active``, ``chip``.

    ``data`` is a :class:`~checkedid.nfc.chipdata.ChipData`; ``trust`` a trust store or
    ``None``. Passive Authentication (Doc 9303-11 §5.1), AA / CA bound to EF.SOD
    (:func:`checkedid.nfc.auth.ca.apply_trust`), then the proofs EF.SOD demands
    (:func:`require_chip_proof`, :func:`check_pace_downgrade`, :func:`check_card_security`).
    """
    from checkedid.nfc.auth import ca
    from checkedid.nfc.pki import pa

    aa_dg = 13 if getattr(data, "application", "eMRTD") == "eDL" else 15
    grace = {} if crl_grace is None else {"crl_grace": crl_grace}
    passive = pa.passive_authenticate(data.sod_bytes, data.dg_bytes, trust, **grace)
    covered = pa.covered_dgs(data.sod_bytes)
    active, chip = ca.apply_trust(data.active, data.chip, passive, covered, aa_dg=aa_dg)
    active, chip = require_chip_proof(active, chip, covered, data.unread, data.dg14,
                                      aa_dg=aa_dg)
    access = CheckGroup.of("access", [Check("access", Verdict.PASSED,
                                            f"{data.protocol} succeeded")],
                           **data.access_details)
    access = check_pace_downgrade(access, data.protocol, data.dg14, covered)
    access = check_card_security(access, data.protocol, getattr(data, "card_security", b""),
                                 trust)
    return {"access": access, "passive": passive, "active": active, "chip": chip}
