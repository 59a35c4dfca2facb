"""The operator's decision policy: parsing, bounds, and each rule where it applies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checkedid.errors import InputError
from checkedid.pipeline import _require_chip_authentication
from checkedid.policy import MAX_CRL_GRACE_DAYS, Policy
from checkedid.session import Session
from checkedid.verdict import Check, CheckGroup, Verdict


def test_load_a_policy_file(tmp_path: Path) -> None:
    f = tmp_path / "policy.toml"
    f.write_text('crl_grace_days = 3\nrequire_chip_authentication = true\n'
                 'face_threshold = 0.45\ndocument_portrait = "decide"\n')
    p = Policy.load(f)
    assert p == Policy(3, True, 0.45, "decide")
    assert p.crl_grace == dt.timedelta(days=3)
    assert Policy() == Policy(0, False, None, "warn")  # the defaults are the strict rules


@pytest.mark.parametrize(("text", "words"), [
    ("crl_grace_days = -1", "crl_grace_days must be a whole number of days from 0 to 30"),
    (f"crl_grace_days = {MAX_CRL_GRACE_DAYS + 1}", "from 0 to 30"),
    ("crl_grace_days = 2.5", "crl_grace_days must be"),
    ("require_chip_authentication = 1", "must be true or false"),
    ("face_threshold = 1.5", "face_threshold must be a number between 0 and 1"),
    ("document_portrait = \"maybe\"", "document_portrait must be"),
    ("crl_grace_day = 3", "unknown setting(s) crl_grace_day"),
    ("crl_grace_days = ", "is not valid TOML"),
])
def test_bad_policies_are_refused_with_the_setting_named(tmp_path: Path, text: str,
                                                         words: str) -> None:
    f = tmp_path / "policy.toml"
    f.write_text(text + "\n")
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Policy.load(f)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the policy"):
        Policy.load(tmp_path / "none.toml")


def test_session_takes_threshold_and_portrait_from_the_policy() -> None:
    s = Session(isolation="none", policy=Policy(face_threshold=0.5, document_portrait="decide"))
    assert s.face_threshold == 0.5 and s.document_portrait == "decide"
    s = Session(isolation="none", policy=Policy(face_threshold=0.5), face_threshold=0.3,
                document_portrait="off")
    assert s.face_threshold == 0.3 and s.document_portrait == "off"  # explicit arguments win


def _group(name: str, verdict: Verdict) -> CheckGroup:
    return CheckGroup.of(name, [Check(name, verdict, "as read")])


def test_chip_authentication_required_by_policy() -> None:
    checks = {"active": _group("active", Verdict.NOT_SUPPORTED),
              "chip": _group("chip", Verdict.NOT_SUPPORTED)}
    _require_chip_authentication(checks)
    assert checks["chip"].verdict is Verdict.NOT_CHECKED
    assert "it cannot be told from a clone" in checks["chip"].reason
    # one proof is enough; a FAILED proof stays FAILED
    for active, chip in ((Verdict.PASSED, Verdict.NOT_SUPPORTED),
                         (Verdict.NOT_SUPPORTED, Verdict.FAILED)):
        checks = {"active": _group("active", active), "chip": _group("chip", chip)}
        _require_chip_authentication(checks)
        assert (checks["active"].verdict, checks["chip"].verdict) == (active, chip)


def test_crl_grace_period_at_the_trust_store() -> None:
    from hw.pki import get_pki

    from checkedid.demo import virtual_trust_store
    from checkedid.nfc.pki import pa

    pki = get_pki()
    store = virtual_trust_store()
    dgs = {1: b"\x61\x03\x5f\x1f\x00"}
    sod = pki.sign_sod(dgs, signer="ds-rsa")
    next_update = dt.datetime(2045, 1, 1, tzinfo=dt.UTC)  # the test PKI's CRLs (hw.pki.ca)
    late = next_update + dt.timedelta(days=2)
    strict = pa.passive_authenticate(sod, dgs, store, at=late).check("revocation")
    assert strict is not None and strict.verdict is Verdict.NOT_CHECKED
    assert "out of date" in strict.reason
    graced = pa.passive_authenticate(sod, dgs, store, at=late,
                                     crl_grace=dt.timedelta(days=3)).check("revocation")
    assert graced is not None and graced.verdict is Verdict.PASSED
    assert "within the policy's grace period" in graced.reason
    beyond = pa.passive_authenticate(sod, dgs, store, at=late + dt.timedelta(days=2),
                                     crl_grace=dt.timedelta(days=3)).check("revocation")
    assert beyond is not None and beyond.verdict is Verdict.NOT_CHECKED
