"""Hardening found in the reliability review: error classes across the isolation boundary and
weak algorithms (ICAO Doc 9303-12 §4 hash/signature algorithms) surfaced in ``Result.warnings``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hw.pki import get_pki
from hw.vchip.chip import VirtualChip
from hw.vchip.personas import Persona, _build_files, spec

from checkedid import isolation
from checkedid.errors import AccessDenied, CheckedIDError, InternalError
from checkedid.nfc import pa
from checkedid.nfc.bac import BACError
from checkedid.nfc.transport import InProcessTransport
from checkedid.pipeline import check_warnings, run_pipeline
from checkedid.session import Session
from checkedid.verdict import CheckGroup, Verdict

DGS = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x01\x00"}


def test_error_subclass_from_another_module_crosses_as_its_errors_class() -> None:
    def work(emit: Any) -> dict[str, Any]:
        raise BACError("the chip rejected the access key", sw=0x6300, step="BAC")

    with pytest.raises(AccessDenied) as info:
        isolation.run_isolated(work)
    assert not isinstance(info.value, InternalError)
    assert info.value.sw == 0x6300
    assert "rejected the access key" in str(info.value)


def test_error_outside_the_tree_still_crosses_as_checkedid_error() -> None:
    class Odd(CheckedIDError):
        pass

    def work(emit: Any) -> dict[str, Any]:
        raise Odd("an odd but clean failure")

    with pytest.raises(CheckedIDError) as info:
        isolation.run_isolated(work)
    assert type(info.value) is CheckedIDError
    assert "odd but clean" in str(info.value)


def test_sha1_sod_warning_reaches_the_result_warnings() -> None:
    pki = get_pki()
    weak = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa", hash_alg="sha1"), DGS, None)
    strong = pa.passive_authenticate(pki.sign_sod(DGS, signer="ds-rsa"), DGS, None)
    assert any("SHA-1" in w for w in check_warnings(weak))
    assert check_warnings(strong) == []


def test_check_warnings_of_every_group_in_order() -> None:
    groups = [CheckGroup("passive", Verdict.PASSED, "", (), {"warnings": ["a", "b"]}),
              CheckGroup("active", Verdict.PASSED, "", (), {"warnings": "c"}),
              CheckGroup("chip", Verdict.NOT_SUPPORTED, "", (), {})]
    assert check_warnings(*groups) == ["a", "b", "c"]


def _chip(**changes: Any) -> VirtualChip:
    s = dataclasses.replace(spec("utopia-id-pace-gm"), **changes)
    return VirtualChip(Persona(s, *_build_files(s)))


def test_pipeline_reports_a_weak_sod_hash_in_result_warnings() -> None:
    from checkedid.demo import virtual_trust_store

    chip = _chip(name="weak-sha1", hash_alg="sha1")
    with Session(trust=virtual_trust_store(), isolation="none") as session:
        out = run_pipeline(session, None, None, transport=lambda: InProcessTransport(chip),
                           can=spec("utopia-id-pace-gm").can, fields=())
    assert out["checks"]["passive"]["verdict"] == "PASSED"
    assert any("SHA-1" in w for w in out["warnings"]), out["warnings"]


ARABIC_INDIC_DIGITS = "\u0661\u0662\u0663\u0664\u0665\u0666"  # str.isdigit() says True


@pytest.mark.parametrize("can", ["12345", "1234567", "12345a", ARABIC_INDIC_DIGITS])
def test_session_refuses_a_malformed_can_before_touching_the_reader(can: str) -> None:
    from checkedid.errors import InputError

    def no_reader() -> Any:
        raise AssertionError("the reader must not be opened")

    with Session(transport=no_reader, isolation="none") as session, \
            pytest.raises(InputError, match="6-digit"):
        session.verify(None, None, can=can, fields=())


def test_timeout_bounds_the_chip_read_without_process_isolation() -> None:
    import time

    from hw.vchip.faults import make_fault

    from checkedid.errors import ChipTimeout

    persona = spec("utopia-id-pace-gm")
    chip = VirtualChip(Persona(persona, *_build_files(persona)), fault=make_fault("slow-chip:100"))
    t0 = time.monotonic()
    with Session(transport=lambda: InProcessTransport(chip), isolation="none") as session, \
            pytest.raises(ChipTimeout):
        session.verify(None, None, can=persona.can, fields=(), timeout=1.0)
    assert time.monotonic() - t0 < 3.0


def test_recursive_tlv_helpers_refuse_hostile_nesting_with_a_tlv_error() -> None:
    from checkedid.errors import TLVError
    from checkedid.nfc import tlv

    shallow = tlv.encode(0x30, tlv.encode(0x31, tlv.encode(0x04, b"\x2a")))
    assert bytes(tlv.find(shallow, 0x04, recursive=True) or b"") == b"\x2a"
    assert tlv.parse(shallow, recursive=True) == [(0x30, [(0x31, [(0x04, b"\x2a")])])]

    deep = tlv.encode(0x04, b"")
    for _ in range(5000):  # ~20 KB: well within a DG's size
        deep = tlv.encode(0x30, deep)
    for call in (lambda: tlv.find(deep, 0x04, recursive=True),
                 lambda: tlv.parse(deep, recursive=True)):
        with pytest.raises(TLVError, match="nest"):
            call()


def test_trust_store_key_of_a_certificate_with_a_broken_spki_is_a_certificate_error() -> None:
    from asn1crypto import x509

    from checkedid.errors import CertificateError
    from checkedid.nfc.trust import TrustStore

    der = get_pki().signer("ds-rsa").der
    spki = x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"].dump()
    at = der.index(spki)
    broken = der[:at] + b"\x17" + der[at + 1:]  # SEQUENCE tag -> UTCTime: parsed lazily
    store = TrustStore()
    cert = store.add_certificate(broken)
    with pytest.raises(CertificateError, match="public key"):
        store.public_key(cert)
