"""Trust store: a certificate whose SubjectPublicKeyInfo is broken is a CertificateError."""

from __future__ import annotations

import pytest
from hw.pki import get_pki


def test_trust_store_key_of_a_certificate_with_a_broken_spki_is_a_certificate_error() -> None:
    from asn1crypto import x509

    from checkedid.errors import CertificateError
    from checkedid.nfc.pki.trust import TrustStore

    der = get_pki().signer("ds-rsa").der
    spki = x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"].dump()
    at = der.index(spki)
    broken = der[:at] + b"\x17" + der[at + 1:]  # SEQUENCE tag -> UTCTime: parsed lazily
    store = TrustStore()
    cert = store.add_certificate(broken)
    with pytest.raises(CertificateError, match="public key"):
        store.public_key(cert)
