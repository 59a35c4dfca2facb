"""Passive Authentication over SODs made by the test PKI (ICAO Doc 9303-11 5.1, 9303-12)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from hw.pki import TestPKI, get_pki

from checkedid.nfc.pki import pa
from checkedid.nfc.pki.trust import TrustStore
from checkedid.verdict import Verdict

DGS = {1: bytes.fromhex("615B5F1F58") + b"P<UTOERIKSSON<<ANNA<MARIA" + b"<" * 63,
       2: b"\x75\x82\x01\x00" + bytes(range(256)),
       14: b"\x6e\x05\x31\x03\x02\x01\x01",
       15: b"\x6f\x04\x30\x02\x05\x00"}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


@pytest.fixture(scope="module")
def trust(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    out = tmp_path_factory.mktemp("trust")
    pki.export(out)
    return TrustStore.load(out)


def verdicts(group: object) -> dict[str, Verdict]:
    return {c.name: c.verdict for c in group.checks}  # type: ignore[attr-defined]


@pytest.mark.parametrize("signer", ["ds-rsa", "ds-rsa-pss", "ds-ec", "ds-p256", "ds-linked"])
def test_every_signer_type_passes(pki: TestPKI, trust: TrustStore, signer: str) -> None:
    sod = pki.sign_sod(DGS, signer=signer)
    g = pa.passive_authenticate(sod, DGS, trust)
    assert g.name == "passive"
    assert [c.name for c in g.checks] == list(pa.CHECKS)
    assert g.verdict is Verdict.PASSED, g.reason
    assert all(c.verdict is Verdict.PASSED for c in g.checks)
    assert g.details["ds_country"] == "UT"
    assert g.details["dg_hashes"]["matched"] == [1, 2, 14, 15]


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
@pytest.mark.parametrize("signer", ["ds-rsa", "ds-ec"])
def test_every_hash_algorithm(pki: TestPKI, trust: TrustStore, hash_alg: str, signer: str) -> None:
    sod = pki.sign_sod(DGS, signer=signer, hash_alg=hash_alg)
    g = pa.passive_authenticate(sod, DGS, trust)
    assert g.verdict is Verdict.PASSED, g.reason
    assert g.details["hash_algorithm"] == hash_alg
    weak = any("SHA-1" in w for w in g.details.get("warnings", []))
    assert weak is (hash_alg == "sha1")


def test_weak_algorithms_are_warnings(pki: TestPKI, trust: TrustStore) -> None:
    g = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-weak", hash_alg="sha1"), DGS, trust)
    assert g.verdict is Verdict.PASSED, g.reason  # weak, yet valid: a warning, not a failure
    warnings = " ".join(g.details["warnings"])
    assert "RSA-1024" in warnings and "SHA-1" in warnings
    strong = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa"), DGS, trust)
    assert "warnings" not in strong.details


def test_pss_and_pkcs1_are_reported(pki: TestPKI, trust: TrustStore) -> None:
    pss = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa-pss"), DGS, trust)
    pkcs1 = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa"), DGS, trust)
    assert pss.details["signature_algorithm"] == "pss-sha256"
    assert pkcs1.details["signature_algorithm"] == "pkcs1-sha256"


@pytest.mark.parametrize("variant", [
    {"wrap_77": False}, {"signed_attrs": False}, {"sid_ski": True},
    {"digest_alg_for_signature": "sha512"}, {"lds_version": "0108"},
])
def test_sod_variants(pki: TestPKI, trust: TrustStore, variant: dict[str, object]) -> None:
    sod = pki.sign_sod(DGS, signer="ds-ec", **variant)  # type: ignore[arg-type]
    g = pa.passive_authenticate(sod, DGS, trust)
    assert g.verdict is Verdict.PASSED, g.reason


def test_ds_not_embedded_is_found_in_trust_store(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod(DGS, signer="ds-rsa", embed_cert=False)
    g = pa.passive_authenticate(sod, DGS, trust)
    assert g.check("ds_signature").verdict is Verdict.NOT_CHECKED  # type: ignore[union-attr]
    assert g.verdict is Verdict.NOT_CHECKED
    store = TrustStore()
    for der in pki.trusted_certificates.values():
        store.add_certificate(der)
    for crl in pki.crls.values():
        store.add_crl(crl)
    store.add_certificate(pki.signer("ds-rsa").der)
    g = pa.passive_authenticate(sod, DGS, store)
    assert g.verdict is Verdict.PASSED, g.reason
    assert g.details["ds_certificate"] == "from the trust store"


@pytest.mark.parametrize(("kwargs", "failed"), [
    ({"tamper": "dg2"}, "dg_hashes"),
    ({"tamper": "signature"}, "ds_signature"),
    ({"tamper": "message_digest"}, "signed_attributes"),
    ({"tamper": "content_type"}, "signed_attributes"),
    ({"tamper": "econtent"}, "signed_attributes"),
    ({"signer": "ds-revoked"}, "revocation"),
    ({"signer": "ds-expired"}, "validity"),
])
def test_faults_fail_the_right_check(pki: TestPKI, trust: TrustStore, kwargs: dict[str, str],
                                     failed: str) -> None:
    signer = kwargs.pop("signer", "ds-ec") if "signer" in kwargs else "ds-ec"
    sod = pki.sign_sod(DGS, signer=signer, **kwargs)  # type: ignore[arg-type]
    g = pa.passive_authenticate(sod, DGS, trust)
    assert g.verdict is Verdict.FAILED
    assert verdicts(g)[failed] is Verdict.FAILED, g.to_dict()
    assert g.check(failed).reason  # type: ignore[union-attr]


def test_dg_changed_after_signing(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod(DGS, signer="ds-rsa")
    changed = dict(DGS)
    changed[1] = DGS[1][:-1] + b"X"
    g = pa.passive_authenticate(sod, changed, trust)
    assert verdicts(g)["dg_hashes"] is Verdict.FAILED
    assert g.details["dg_hashes"]["mismatched"] == [1]
    assert "DG1" in g.check("dg_hashes").reason  # type: ignore[union-attr]


def test_dg_read_but_not_in_sod_fails(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod({1: DGS[1], 2: DGS[2]}, signer="ds-rsa")
    g = pa.passive_authenticate(sod, DGS, trust)
    assert verdicts(g)["dg_hashes"] is Verdict.FAILED
    assert g.details["dg_hashes"]["not_in_sod"] == [14, 15]


def test_dg_in_sod_but_not_read_is_listed(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod(DGS, signer="ds-rsa")
    g = pa.passive_authenticate(sod, {1: DGS[1]}, trust)
    assert g.verdict is Verdict.PASSED
    assert g.details["dg_hashes"]["not_read"] == [2, 14, 15]


def test_no_dgs_is_not_checked(pki: TestPKI, trust: TrustStore) -> None:
    g = pa.passive_authenticate(pki.sign_sod(DGS), {}, trust)
    assert verdicts(g)["dg_hashes"] is Verdict.NOT_CHECKED


def test_without_trust_store_never_passes(pki: TestPKI) -> None:
    g = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-ec"), DGS, None)
    v = verdicts(g)
    assert v["csca_chain"] is Verdict.NOT_CHECKED and v["revocation"] is Verdict.NOT_CHECKED
    assert g.check("csca_chain").reason == "no trust store"  # type: ignore[union-attr]
    assert v["ds_signature"] is Verdict.PASSED
    assert g.verdict is Verdict.NOT_CHECKED


def test_missing_crl_is_not_checked(pki: TestPKI) -> None:
    store = TrustStore()
    for der in pki.trusted_certificates.values():
        store.add_certificate(der)
    g = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-revoked"), DGS, store)
    assert verdicts(g)["revocation"] is Verdict.NOT_CHECKED
    assert "CRL" in g.check("revocation").reason  # type: ignore[union-attr]
    assert g.verdict is Verdict.NOT_CHECKED


def test_crl_of_the_wrong_key_is_not_used(pki: TestPKI) -> None:
    store = TrustStore()
    for der in pki.trusted_certificates.values():
        store.add_certificate(der)
    crl = bytearray(pki.crls["csca-rsa"])
    crl[-5] ^= 0x40  # break the CRL signature: its revocation list must not be trusted
    store.add_crl(bytes(crl))
    g = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-revoked"), DGS, store)
    assert verdicts(g)["revocation"] is Verdict.NOT_CHECKED


def test_validity_judged_at_a_given_time(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod(DGS, signer="ds-ec")
    later = dt.datetime(2041, 1, 1, tzinfo=dt.UTC)
    g = pa.passive_authenticate(sod, DGS, trust, at=later)
    assert verdicts(g)["validity"] is Verdict.FAILED
    assert "2040" in g.check("validity").reason  # type: ignore[union-attr]
    earlier = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    assert verdicts(pa.passive_authenticate(sod, DGS, trust, at=earlier))["validity"] \
        is Verdict.FAILED


@pytest.mark.parametrize("blob", [b"", b"\x77", b"\x77\x05abc", b"\x30\x03\x02\x01\x01",
                                  b"\x77\x84\xff\xff\xff\xff", bytes(64)])
def test_malformed_sod_is_a_failed_check(blob: bytes) -> None:
    g = pa.passive_authenticate(blob, DGS, None)
    assert g.verdict is Verdict.FAILED
    assert verdicts(g)["sod_parse"] is Verdict.FAILED
    assert g.check("sod_parse").reason  # type: ignore[union-attr]
    assert pa.covered_dgs(blob) == set()


def test_covered_dgs(pki: TestPKI) -> None:
    assert pa.covered_dgs(pki.sign_sod(DGS)) == {1, 2, 14, 15}


def test_reasons_and_details_hold_no_personal_data(pki: TestPKI, trust: TrustStore) -> None:
    changed = dict(DGS)
    changed[1] = DGS[1].replace(b"ANNA", b"ANNE")
    g = pa.passive_authenticate(pki.sign_sod(DGS), changed, trust)
    text = repr(g.to_dict())
    assert "ERIKSSON" not in text and "ANN" not in text
    assert hashlib.sha256(DGS[1]).hexdigest() not in text


def test_pa_is_repeatable(pki: TestPKI, trust: TrustStore) -> None:
    sod = pki.sign_sod(DGS, signer="ds-rsa-pss")
    for _ in range(5):  # caches (trust index, parsed SOD) never change the verdict
        assert pa.passive_authenticate(sod, DGS, trust).passed


def test_export_writes_usable_material(pki: TestPKI, tmp_path: Path) -> None:
    files = pki.export(tmp_path)
    assert {p.suffix for p in files} == {".der", ".pem", ".crl", ".ml"}
    # the list's signer chains to csca-rsa, pinned as a certificate; the list adds the link
    store = TrustStore.load(tmp_path / "csca-rsa.der", tmp_path / "test-masterlist.ml",
                            *tmp_path.glob("*.crl"))
    g = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-linked"), DGS, store)
    assert g.verdict is Verdict.PASSED, g.reason


@pytest.mark.parametrize(("persona", "failed"), [
    ("utopia-passport-bac", None), ("utopia-id-pace-gm", None), ("utopia-id-pace-cam", None),
    ("fault-tampered-dg1", "dg_hashes"), ("fault-tampered-dg2", "dg_hashes"),
    ("fault-bad-sod-signature", "ds_signature"),
    ("fault-revoked-ds", "revocation"), ("fault-expired-ds", "validity"),
])
def test_personas(trust: TrustStore, persona: str, failed: str | None) -> None:
    """The virtual chip's personas: genuine ones pass, each PKI fault fails its check."""
    from hw.vchip import personas

    p = personas.build(persona)
    dgs = {fid & 0xFF: body for fid, body in p.files.items() if 0x0101 <= fid <= 0x0110}
    g = pa.passive_authenticate(p.files[0x011D], dgs, trust)
    if failed is None:
        assert g.verdict is Verdict.PASSED, g.reason
    else:
        assert g.verdict is Verdict.FAILED
        assert verdicts(g)[failed] is Verdict.FAILED, g.to_dict()


def test_unknown_csca_is_not_checked_and_names_the_missing_country(trust: TrustStore) -> None:
    """No CSCA of the issuing state: nothing can be told (INCOMPLETE), which is not a forgery
    (REJECTED); the reason says whose CSCA the operator must add."""
    from hw.vchip import personas

    p = personas.build("fault-unknown-csca")
    dgs = {fid & 0xFF: body for fid, body in p.files.items() if 0x0101 <= fid <= 0x0110}
    g = pa.passive_authenticate(p.files[0x011D], dgs, trust)
    assert g.verdict is Verdict.NOT_CHECKED, g.to_dict()
    chain = g.check("csca_chain")
    assert chain is not None and chain.verdict is Verdict.NOT_CHECKED
    assert "no CSCA of UT in the trust store" in chain.reason, chain.reason
    assert verdicts(g)["ds_signature"] is Verdict.PASSED  # the SOD itself is intact


def test_unsupported_algorithm_is_not_checked_not_failed(pki: TestPKI, trust: TrustStore) -> None:
    """An algorithm this installation cannot verify proves nothing either way."""
    from asn1crypto import cms

    info = cms.ContentInfo.load(pki.sign_sod(DGS, signer="ds-rsa", wrap_77=False))
    info["content"]["signer_infos"][0]["signature_algorithm"] = {"algorithm": "md5_rsa"}
    g = pa.passive_authenticate(info.dump(force=True), DGS, trust)
    assert verdicts(g)["ds_signature"] is Verdict.NOT_CHECKED
    assert "md5" in g.check("ds_signature").reason  # type: ignore[union-attr]
    assert g.verdict is Verdict.NOT_CHECKED
