"""checkedid's test PKI: CSCAs, document signers, link certificate, CRLs, master list.

TEST-ONLY KEY MATERIAL — every private key is derived from a public label
(:mod:`hw.pki.keys`), so the same PKI comes out of every process without any
key on disk; nothing here may ever be trusted outside tests.

>>> pki = get_pki()                                   # built once per process (~2 s)
>>> sod = pki.sign_sod({1: dg1, 2: dg2}, signer="ds-ec", hash_alg="sha384")
>>> pki.export("trust/")                              # what `--trust trust/` needs

See :mod:`hw.pki.ca` for the named CSCAs and document signers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

from asn1crypto import x509 as asn1x509
from cryptography.hazmat.primitives.serialization import Encoding

from hw.pki import brainpool
from hw.pki.asn1 import MASTER_LIST_OID, CscaMasterList
from hw.pki.ca import CertifiedKey, Hierarchy, build_hierarchy
from hw.pki.sod import TAMPERS, sign_cms, sign_sod_with

__all__ = ["TAMPERS", "CertifiedKey", "TestPKI", "get_pki", "sign_sod"]

TRUSTED_CSCAS = ("csca-rsa", "csca-ec", "csca-edl")


class TestPKI:
    """The test hierarchy with helpers to sign SODs and export the trust material."""

    __test__ = False  # not a pytest test class

    def __init__(self, hierarchy: Hierarchy) -> None:
        self._h = hierarchy

    @property
    def cscas(self) -> Mapping[str, CertifiedKey]:
        return self._h.cscas

    @property
    def signers(self) -> Mapping[str, CertifiedKey]:
        return self._h.signers

    def csca(self, name: str) -> CertifiedKey:
        return self._h.cscas[name]

    def signer(self, name: str) -> CertifiedKey:
        if name in brainpool.SIGNERS and name not in self._h.signers:
            self._h.signers[name] = self._brainpool_signer(name)
        try:
            return self._h.signers[name]
        except KeyError:
            raise KeyError(f"unknown signer {name!r}; known: {sorted(self._h.signers)}") from None

    def _brainpool_signer(self, label: str) -> CertifiedKey:
        """A DS on a Brainpool curve OpenSSL lacks (:mod:`hw.pki.brainpool`), under
        ``csca-ec``: the certificate is made with a placeholder key, then re-issued."""
        from cryptography import x509

        key = brainpool.brainpool_key(label, brainpool.SIGNERS[label])
        issuer = self._h.cscas["csca-ec"]
        template = self._h.signers["ds-ec"].der
        der = brainpool.certify(key, template, issuer.key)
        cert = x509.load_der_x509_certificate(der)
        return CertifiedKey(label, key, cert, "csca-ec", "ecdsa")  # type: ignore[arg-type]

    @property
    def link_certificates(self) -> list[bytes]:
        """DER link certificates (``csca-rsa`` -> ``csca-rsa-2``)."""
        return [c.public_bytes(Encoding.DER) for c in self._h.links]

    @property
    def trusted_certificates(self) -> dict[str, bytes]:
        """The CSCA certificates a verifier trusts: the self-signed anchors plus the link."""
        out = {name: self._h.cscas[name].der for name in TRUSTED_CSCAS}
        out["link-csca-rsa-2"] = self.link_certificates[0]
        return out

    @property
    def crls(self) -> dict[str, bytes]:
        """DER CRL per CSCA (``csca-rsa``'s revokes ``ds-revoked``; the others are empty)."""
        return {name: crl.public_bytes(Encoding.DER) for name, crl in self._h.crls.items()}

    @cached_property
    def master_list(self) -> bytes:
        """CscaMasterList (CMS SignedData) of the trusted certificates, signed by ``ml-signer``."""
        return self.master_list_by("ml-signer", extra_certs=[self.csca("csca-rsa").der])

    def master_list_by(self, signer: str, certs: Sequence[bytes] | None = None, *,
                       extra_certs: Sequence[bytes] = ()) -> bytes:
        """A CscaMasterList of ``certs`` (DER; default: the trusted certificates) signed by
        the signer ``signer`` (e.g. ``ml-signer-rogue`` with ``csca-unknown`` in ``certs``:
        a list that vouches for itself)."""
        ders = list(self.trusted_certificates.values()) if certs is None else list(certs)
        content = CscaMasterList({"version": 0, "cert_list": [
            asn1x509.Certificate.load(d) for d in ders]}).dump()
        return sign_cms(MASTER_LIST_OID, content, self.signer(signer),
                        extra_certs=list(extra_certs))

    def sign_sod(self, dgs: Mapping[int, bytes], *, signer: str = "ds-rsa",
                 hash_alg: str = "sha256", signed_attrs: bool = True, wrap_77: bool = True,
                 embed_cert: bool = True, sid_ski: bool = False, prehashed: bool = False,
                 digest_alg_for_signature: str | None = None, lds_version: str | None = None,
                 tamper: str | None = None) -> bytes:
        """EF.SOD for ``dgs`` ({DG number: raw DG file}, or hashes with ``prehashed=True``).

        ``tamper``: ``"signature"`` (flip a signature bit), ``"message_digest"`` (signed
        messageDigest does not match), ``"econtent"`` (LDSSecurityObject changed after
        signing), ``"content_type"`` (wrong signed contentType) or ``"dgN"`` (a wrong hash
        for DG N, validly signed).
        """
        return sign_sod_with(self.signer(signer), dgs, prehashed=prehashed, hash_alg=hash_alg,
                             signed_attrs=signed_attrs, wrap=wrap_77, embed_cert=embed_cert,
                             sid_ski=sid_ski, sig_hash=digest_alg_for_signature,
                             lds_version=lds_version, tamper=tamper)

    def export(self, directory: str | Path) -> list[Path]:
        """Write trusted CSCA certificates (DER and PEM), CRLs and the master list."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def put(name: str, data: bytes) -> None:
            path = out / name
            path.write_bytes(data)
            written.append(path)

        for name, der in self.trusted_certificates.items():
            put(f"{name}.der", der)
            cert = asn1x509.Certificate.load(der)
            from asn1crypto import pem

            put(f"{name}.pem", pem.armor("CERTIFICATE", cert.dump()))
        for name, crl in self.crls.items():
            put(f"{name}.crl", crl)
        put("test-masterlist.ml", self.master_list)
        return written


@lru_cache(maxsize=1)
def get_pki() -> TestPKI:
    """The process-wide test PKI (deterministic: the same in every process)."""
    return TestPKI(build_hierarchy())


def sign_sod(dgs: Mapping[int, bytes], **kwargs: object) -> bytes:
    """Shortcut for ``get_pki().sign_sod(dgs, **kwargs)``."""
    return get_pki().sign_sod(dgs, **kwargs)  # type: ignore[arg-type]
