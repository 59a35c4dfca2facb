"""A master list never vouches for itself (ICAO Doc 9303-12 §7.1.1, §9): its signer must be
issued by a CSCA pinned separately, carry the master-list signing purpose and be valid;
otherwise loading fails with TrustStoreError, never a partial trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1x509
from hw.pki import TestPKI, get_pki

from checkedid.cli import main as cli_main
from checkedid.errors import TrustStoreError
from checkedid.nfc.pki.trust import TrustStore


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return get_pki()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_anchored_list_adds_its_cscas_and_names_the_anchor(pki: TestPKI, tmp_path: Path) -> None:
    csca = _write(tmp_path, "csca-rsa.der", pki.csca("csca-rsa").der)
    ml = _write(tmp_path, "list.ml", pki.master_list_by(
        "ml-signer", [pki.csca("csca-ec").der]))
    store = TrustStore.load(csca, ml)
    assert asn1x509.Certificate.load(pki.csca("csca-ec").der) in store
    (source,) = [s for s in store.sources if s.kind == "master_list"]
    assert source.anchor == asn1x509.Certificate.load(pki.csca("csca-rsa").der) \
        .subject.human_friendly
    assert source.verified is True


def test_self_vouching_list_is_refused(pki: TestPKI, tmp_path: Path) -> None:
    """The attacker's CSCA signs the list signer and travels inside the list."""
    rogue = pki.master_list_by("ml-signer-rogue", [pki.csca("csca-unknown").der],
                               extra_certs=[pki.csca("csca-unknown").der])
    ml = _write(tmp_path, "rogue.ml", rogue)
    with pytest.raises(TrustStoreError, match="not issued by any pinned CSCA"):
        TrustStore.load(_write(tmp_path, "csca-rsa.der", pki.csca("csca-rsa").der), ml)
    with pytest.raises(TrustStoreError, match="never vouches for itself"):
        TrustStore.load(ml)


def test_unchained_list_is_refused(pki: TestPKI, tmp_path: Path) -> None:
    ml = _write(tmp_path, "unchained.ml", pki.master_list_by("ml-signer-rogue"))
    with pytest.raises(TrustStoreError, match="not issued by any pinned CSCA"):
        TrustStore.load(_write(tmp_path, "csca-ec.der", pki.csca("csca-ec").der), ml)


def test_a_csca_from_one_list_does_not_vouch_for_another(pki: TestPKI, tmp_path: Path) -> None:
    first = _write(tmp_path, "a.ml", pki.master_list_by("ml-signer",
                                                       [pki.csca("csca-unknown").der]))
    second = _write(tmp_path, "b.ml", pki.master_list_by("ml-signer-rogue",
                                                        [pki.csca("csca-ec").der]))
    csca = _write(tmp_path, "csca-rsa.der", pki.csca("csca-rsa").der)
    TrustStore.load(csca, first)  # anchored: fine on its own
    with pytest.raises(TrustStoreError, match=r"b\.ml"):
        TrustStore.load(csca, first, second)


@pytest.mark.parametrize(("signer", "message"), [
    ("ml-signer-no-eku", r"2\.23\.136\.1\.1\.3"),
    ("ml-signer-expired", "not valid now"),
])
def test_signer_without_purpose_or_validity_is_refused(pki: TestPKI, tmp_path: Path,
                                                       signer: str, message: str) -> None:
    ml = _write(tmp_path, f"{signer}.ml", pki.master_list_by(signer))
    with pytest.raises(TrustStoreError, match=message):
        TrustStore.load(_write(tmp_path, "csca-rsa.der", pki.csca("csca-rsa").der), ml)


def test_pa_json_names_the_anchor_of_each_list(pki: TestPKI, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    dgs = {1: b"\x61\x03\x5f\x1f\x00"}
    sod = _write(tmp_path, "EF.SOD", pki.sign_sod(dgs, signer="ds-ec"))
    dg1 = _write(tmp_path, "DG1.bin", dgs[1])
    trust = tmp_path / "trust"
    trust.mkdir()
    _write(trust, "csca-rsa.der", pki.csca("csca-rsa").der)
    _write(trust, "list.ml", pki.master_list_by("ml-signer", [pki.csca("csca-ec").der]))
    _write(trust, "csca-ec.crl", pki.crls["csca-ec"])
    code = cli_main(["pa", "--sod", str(sod), "--dg", f"1={dg1}", "--trust", str(trust),
                     "--json"])
    out = json.loads(capsys.readouterr().out)
    (source,) = [s for s in out["trust"]["sources"] if s["kind"] == "master_list"]
    assert "checkedid Test CSCA RSA" in source["anchor"]
    assert out["passive"]["checks"][4]["name"] == "csca_chain"
    assert out["passive"]["checks"][4]["verdict"] == "PASSED"  # csca-ec came from the list
    assert out["passive"]["verdict"] == "PASSED" and code == 0
