"""The CSCA trust store: certificates, master lists and CRLs (ICAO Doc 9303 Part 12).

Passive Authentication trusts a document signer (DS) only when a CSCA
certificate in this store verifies it. The store holds

* CSCA certificates — self-signed roots *and* link certificates (Part 12, 5.2:
  a new CSCA key certified by the old one); every certificate in the store is a
  trust anchor, so loading a link certificate trusts its key;
* CRLs (Part 12, 7.1), indexed by issuer, verified against the issuing CSCA when
  used;
* the provenance of each loaded file (:attr:`TrustStore.sources`): for master
  lists the signer's subject and the pinned anchor that vouched for it.

Pinned anchors are the certificates loaded from certificate files and directories.
A master list adds anchors only when its signer was issued by a *pinned* anchor
(:func:`checkedid.nfc.pki.masterlist.parse_master_list`): a CSCA that arrived in a
master list never vouches for another list, and a list that cannot be anchored
fails to load with :class:`~checkedid.errors.TrustStoreError`.

::

    store = TrustStore.load("csca/", "DE_masterlist.ml", "crls/")   # cached per path+mtime
    store.find_issuers(ds_certificate)      # candidates by authority key id, then issuer name

:meth:`TrustStore.load` caches by the files' paths and modification times, so a
kiosk loading the same material for every document parses it once per process.
A loaded store is shared: do not add to a store returned by ``load``; build your
own with :class:`TrustStore` and :meth:`add_certificate` / :meth:`add_crl`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1crl
from asn1crypto import pem
from asn1crypto import x509 as asn1x509

from checkedid.errors import CertificateError, TrustStoreError
from checkedid.nfc.crypto.pubkey import PublicKey, load_public_key, verify_signature
from checkedid.nfc.pki.masterlist import parse_master_list
from checkedid.verdict import Verdict

__all__ = ["TrustSource", "TrustStore"]

PathLike = str | Path
_CERT_EXT = {".pem", ".cer", ".crt", ".der", ".cert"}
_CACHE: dict[tuple[tuple[str, int, int], ...], TrustStore] = {}
_CACHE_LOCK = threading.Lock()
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


@dataclass(frozen=True)
class TrustSource:
    """Where trust material came from. For master lists ``signer`` is the list signer's
    subject and ``anchor`` the subject of the pinned CSCA that vouched for it."""

    path: str
    kind: str  # "certificate", "crl", "master_list"
    certificates: int = 0
    crls: int = 0
    signer: str | None = None
    verified: bool | None = None
    reason: str = ""
    anchor: str | None = None


def _as_cert(cert: asn1x509.Certificate | bytes) -> asn1x509.Certificate:
    if isinstance(cert, asn1x509.Certificate):
        return cert
    try:
        parsed = asn1x509.Certificate.load(bytes(cert), strict=True)
        parsed.key_identifier  # noqa: B018 - parse extensions now
        parsed.subject.dump()
        return parsed
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise CertificateError(f"certificate is malformed ({type(exc).__name__})") from None


def _expand(paths: Iterable[PathLike | Iterable[PathLike]]) -> list[Path]:
    out: list[Path] = []
    for item in paths:
        if isinstance(item, (str, Path)):
            out.append(Path(item))
        else:
            out.extend(_expand(item))
    return out


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if path.is_file():
        return [path]
    raise TrustStoreError(f"trust path {path} does not exist")


class TrustStore:
    """CSCA certificates (indexed by subject key identifier and subject) and CRLs."""

    def __init__(self) -> None:
        self._certs: dict[bytes, asn1x509.Certificate] = {}
        self._by_ski: dict[bytes, list[asn1x509.Certificate]] = {}
        # Names are indexed by their DER (fast); the normalised form (RFC 5280 7.1 matching,
        # costly in asn1crypto) is built only when an exact lookup misses.
        self._by_subject: dict[bytes, list[asn1x509.Certificate]] = {}
        self._by_norm: dict[str, list[asn1x509.Certificate]] | None = None
        self._by_serial: dict[tuple[bytes, int], asn1x509.Certificate] = {}
        self._crls: dict[bytes, list[asn1crl.CertificateList]] = {}
        self._keys: dict[bytes, PublicKey] = {}
        self._pinned: dict[bytes, asn1x509.Certificate] = {}  # anchors given as certificates
        self.sources: list[TrustSource] = []

    # -- loading -------------------------------------------------------------------
    @classmethod
    def load(cls, *paths: PathLike | Iterable[PathLike]) -> TrustStore:
        """Load directories (certificates in PEM/DER, ``.ml`` master lists, ``.crl`` CRLs,
        searched recursively), master-list files, CRL files and certificate files.

        Each argument is a path or an iterable of paths. The result is cached per
        process by path, size and modification time of every file. Raises
        :class:`TrustStoreError` for missing paths and unusable files.
        """
        files = [f for p in _expand(paths) for f in _files(p)]
        if not files:
            raise TrustStoreError("no trust material found in the given paths")
        key = tuple((str(f.resolve()), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
            if cached is not None:
                return cached
        store = cls()
        # Certificates first, so master lists can find their signer's CSCA among them.
        order = sorted(files, key=lambda f: (f.suffix.lower() in (".ml", ".crl"), str(f)))
        for f in order:
            store.add_file(f)
        with _CACHE_LOCK:
            _CACHE[key] = store
        return store

    def add_file(self, path: PathLike) -> TrustSource:
        """Add one file: certificate(s) in PEM or DER, a CRL, or a master list."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise TrustStoreError(f"cannot read trust file {p}: {exc.strerror}") from None
        try:
            source = self._add_bytes(data, p.name, p.suffix.lower())
        except (CertificateError, TrustStoreError) as exc:
            raise TrustStoreError(f"{p}: {exc}") from None
        self.sources.append(source)
        return source

    def _add_bytes(self, data: bytes, name: str, suffix: str) -> TrustSource:
        if pem.detect(data):
            certs = crls = 0
            try:
                blocks = list(pem.unarmor(data, multiple=True))
            except ValueError:
                raise CertificateError("PEM armour is malformed") from None
            for kind, _headers, der in blocks:
                if kind == "X509 CRL":
                    self.add_crl(der)
                    crls += 1
                elif kind in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
                    self.add_certificate(der)
                    certs += 1
            return TrustSource(name, "crl" if crls and not certs else "certificate", certs, crls)
        if suffix == ".crl":
            self.add_crl(data)
            return TrustSource(name, "crl", crls=1)
        if suffix in _CERT_EXT:
            self.add_certificate(data)
            return TrustSource(name, "certificate", certificates=1)
        if suffix == ".ml" or b"\x06\x06\x67\x81\x08\x01\x01\x02" in data[:64]:
            return self.add_master_list(data, name=name)
        # Unknown extension: try a certificate, then a CRL.
        try:
            self.add_certificate(data)
            return TrustSource(name, "certificate", certificates=1)
        except CertificateError:
            self.add_crl(data)
            return TrustSource(name, "crl", crls=1)

    def add_master_list(self, data: bytes, *, name: str = "master list") -> TrustSource:
        """Verify a CSCA master list against the pinned anchors and add its certificates.

        Raises :class:`TrustStoreError` unless the list's signer was issued by a
        certificate pinned with :meth:`add_certificate` (see the module docstring).
        """
        ml = parse_master_list(data, anchors=self._pinned.values())
        for cert in ml.certificates:
            self._index(cert)
        return TrustSource(name, "master_list", len(ml.certificates), 0, ml.signer_subject,
                           True, ml.reason, ml.anchor_subject)

    def add_certificate(self, der: bytes | asn1x509.Certificate) -> asn1x509.Certificate:
        """Pin one CSCA (or link) certificate as a trust anchor; returns it parsed."""
        cert = _as_cert(der)
        self._index(cert)
        self._pinned[hashlib.sha256(cert.dump()).digest()] = cert
        return cert

    def _index(self, cert: asn1x509.Certificate) -> None:
        fp = hashlib.sha256(cert.dump()).digest()
        if fp in self._certs:
            return
        try:
            ski = cert.key_identifier
            subject = cert.subject.dump()
            issuer = cert.issuer.dump()
            serial = int(cert.serial_number)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CertificateError(f"certificate is malformed ({type(exc).__name__})") from None
        self._certs[fp] = cert
        if ski is not None:
            self._by_ski.setdefault(bytes(ski), []).append(cert)
        self._by_subject.setdefault(subject, []).append(cert)
        self._by_serial[(issuer, serial)] = cert
        self._by_norm = None

    def add_crl(self, der: bytes) -> asn1crl.CertificateList:
        """Add a CRL (its signature is checked against the CSCA when it is used)."""
        try:
            crl = asn1crl.CertificateList.load(bytes(der), strict=True)
            issuer = crl.issuer.dump()
            crl["tbs_cert_list"]["revoked_certificates"].native  # noqa: B018 - parse now
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise CertificateError(f"CRL is malformed ({type(exc).__name__})") from None
        self._crls.setdefault(issuer, []).append(crl)
        return crl

    # -- queries -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._certs)

    @property
    def certificates(self) -> list[asn1x509.Certificate]:
        return list(self._certs.values())

    @property
    def crl_count(self) -> int:
        return sum(len(v) for v in self._crls.values())

    def __contains__(self, cert: object) -> bool:
        if not isinstance(cert, asn1x509.Certificate):
            return False
        return hashlib.sha256(cert.dump()).digest() in self._certs

    def find_issuers(self, cert: asn1x509.Certificate | bytes) -> list[asn1x509.Certificate]:
        """Trusted certificates that may have issued ``cert``: by authority key identifier,
        else by issuer name. Signatures are not checked here (see :meth:`verifies`)."""
        c = _as_cert(cert)
        try:
            aki = c.authority_key_identifier
            if aki is not None and bytes(aki) in self._by_ski:
                return list(self._by_ski[bytes(aki)])
            exact = self._by_subject.get(c.issuer.dump())
            if exact:
                return list(exact)
            return list(self._normalised().get(c.issuer.hashable, []))
        except _PARSE_ERRORS as exc:
            raise CertificateError(f"certificate is malformed ({type(exc).__name__})") from None

    def _crls_by_norm(self, issuer: asn1x509.Certificate) -> list[asn1crl.CertificateList]:
        out = []
        for found in self._crls.values():
            for crl in found:
                try:
                    if crl.issuer.hashable == issuer.subject.hashable:
                        out.append(crl)
                except _PARSE_ERRORS:
                    continue
        return out

    def _normalised(self) -> dict[str, list[asn1x509.Certificate]]:
        if self._by_norm is None:
            norm: dict[str, list[asn1x509.Certificate]] = {}
            for cert in self._certs.values():
                try:
                    norm.setdefault(cert.subject.hashable, []).append(cert)
                except _PARSE_ERRORS:
                    continue  # a subject that does not normalise can only match exactly
            self._by_norm = norm
        return self._by_norm

    def find_by_serial(self, issuer: asn1x509.Name, serial: int) -> asn1x509.Certificate | None:
        """A stored certificate by issuer name and serial number (CMS issuerAndSerialNumber)."""
        return self._by_serial.get((issuer.dump(), int(serial)))

    def find_by_ski(self, ski: bytes) -> asn1x509.Certificate | None:
        found = self._by_ski.get(bytes(ski))
        return found[0] if found else None

    def public_key(self, cert: asn1x509.Certificate) -> PublicKey:
        """The certificate's public key (cached). Raises :class:`CertificateError`."""
        fp = hashlib.sha256(cert.dump()).digest()
        key = self._keys.get(fp)
        if key is None:
            try:
                info = cert.public_key  # parsed lazily: a malformed SPKI fails here
            except (ValueError, TypeError, KeyError) as exc:
                raise CertificateError("the certificate's public key cannot be parsed "
                                       f"({type(exc).__name__})") from None
            key = load_public_key(info)
            self._keys[fp] = key
        return key

    def verifies(self, issuer: asn1x509.Certificate, cert: asn1x509.Certificate) -> bool:
        """True when ``issuer``'s key (cached) verifies ``cert``'s signature."""
        try:
            key = self.public_key(issuer)
            return verify_signature(key, bytes(cert.signature), cert["tbs_certificate"].dump(),
                                    cert["signature_algorithm"])
        except (CertificateError, *_PARSE_ERRORS):
            return False

    def revocation(self, cert: asn1x509.Certificate, issuer: asn1x509.Certificate,
                   at: dt.datetime, grace: dt.timedelta = dt.timedelta(0)
                   ) -> tuple[Verdict, str]:
        """Revocation status of ``cert`` from the CRLs of ``issuer`` (Doc 9303-12, 7.1).

        FAILED when a CRL that verifies under ``issuer``'s key lists the serial number;
        PASSED when such a CRL is current and does not; NOT_CHECKED otherwise, with why.
        ``grace``: how long past its nextUpdate a CRL still counts as current (the
        operator's policy, :class:`checkedid.policy.Policy`; none by default).
        """
        crls = self._crls.get(issuer.subject.dump()) or self._crls_by_norm(issuer)
        if not crls:
            return Verdict.NOT_CHECKED, "no CRL from the issuing CSCA in the trust store"
        try:
            key = self.public_key(issuer)
        except CertificateError as exc:
            return Verdict.NOT_CHECKED, f"CSCA key unusable for the CRL: {exc}"
        usable = []
        for crl in crls:
            try:
                ok = verify_signature(key, bytes(crl.signature), crl["tbs_cert_list"].dump(),
                                      crl["signature_algorithm"])
            except CertificateError:
                ok = False
            if ok:
                usable.append(crl)
        if not usable:
            return Verdict.NOT_CHECKED, "the CSCA's CRL does not verify under its key"
        serial = int(cert.serial_number)
        for crl in usable:
            for entry in crl["tbs_cert_list"]["revoked_certificates"]:
                if int(entry["user_certificate"].native) == serial:
                    return Verdict.FAILED, ("the document signer certificate is revoked "
                                            "(on the CSCA's CRL)")
        current = [c for c in usable
                   if c["tbs_cert_list"]["next_update"].native is None
                   or c["tbs_cert_list"]["next_update"].native + grace >= at]
        if not current:
            return Verdict.NOT_CHECKED, ("the CSCA's CRL is out of date (nextUpdate passed); "
                                         "load a current one (checkedid trust update)")
        stale = [c for c in current if c["tbs_cert_list"]["next_update"].native is not None
                 and c["tbs_cert_list"]["next_update"].native < at]
        if len(stale) == len(current):
            return Verdict.PASSED, ("not on the CSCA's CRL, which is past its nextUpdate but "
                                    "within the policy's grace period")
        return Verdict.PASSED, "not on the CSCA's current CRL"
