"""The operator's trust directory: pinned CSCAs, master lists, CRLs, and keeping CRLs current.

Passive Authentication is only as good as the trust material behind it (ICAO Doc 9303-12),
so a kiosk keeps it in one directory with a fixed layout::

    TRUST/csca/          pinned CSCA (and link) certificates, DER or PEM: the anchors
    TRUST/masterlists/   CSCA master lists (.ml); each must be signed by a master-list
                         signer that chains to a pinned CSCA, or it is refused
    TRUST/crls/          CRLs (.crl), added by hand or fetched by :func:`update`
    TRUST/crls/.fetched.json  what :func:`update` fetched (URL, Last-Modified, ETag, file):
                              caching metadata, no personal data

``checkedid trust add|update|show --dir TRUST`` drives it, and ``--trust TRUST`` (or
``Session(trust=["TRUST"])``) loads it. :func:`add` checks what it stores: a CSCA must be a CA
certificate; a master list must verify under the pinned anchors; a CRL must be signed by a
pinned CSCA. :func:`update` fetches the CRLs named in the CSCAs' CRL distribution points
over HTTP(S), with ``If-Modified-Since`` / ``If-None-Match``, keeps only CRLs whose signature
verifies under their CSCA, and reports the ones that are stale (``nextUpdate`` passed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1crl
from asn1crypto import pem
from asn1crypto import x509 as asn1x509

from checkedid.errors import CertificateError, TrustStoreError
from checkedid.nfc.crypto.pubkey import verify_signature
from checkedid.nfc.pki.trust import TrustStore

__all__ = ["SUBDIRS", "Added", "Fetched", "add", "classify", "load", "show", "update"]

#: kind -> sub-directory and file extension
SUBDIRS = {"csca": ("csca", ".der"), "masterlist": ("masterlists", ".ml"),
           "crl": ("crls", ".crl")}
_META = ".fetched.json"  # a dot file: trust loading skips it
_MAX_CRL = 16 * 1024 * 1024
_ML_OID = b"\x06\x06\x67\x81\x08\x01\x01\x02"  # id-icao-cscaMasterList (2.23.136.1.1.2)
_PARSE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)

#: ``fetch(url, headers, timeout) -> (status, headers, body)``; the default uses urllib.
Fetch = Callable[[str, dict[str, str], float], tuple[int, dict[str, str], bytes]]


@dataclass(frozen=True)
class Added:
    """What :func:`add` stored."""

    kind: str
    path: str
    subject: str
    country: str
    detail: str = ""


@dataclass
class Fetched:
    """One CRL distribution point visited by :func:`update`."""

    url: str
    csca: str
    status: str  # "updated", "not modified", "failed"
    reason: str = ""
    next_update: str | None = None
    stale: bool = False
    file: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _der(data: bytes) -> bytes:
    if pem.detect(data):
        try:
            _kind, _headers, der = pem.unarmor(data)
        except ValueError:
            raise TrustStoreError("the PEM armour is malformed") from None
        return bytes(der)
    return data


def classify(data: bytes) -> str:
    """``"csca"``, ``"masterlist"`` or ``"crl"`` for trust material, by its content."""
    if _ML_OID in data[:96]:
        return "masterlist"
    der = _der(data)
    try:
        asn1x509.Certificate.load(der, strict=True).subject.native  # noqa: B018 - parse now
        return "csca"
    except _PARSE:
        pass
    try:
        asn1crl.CertificateList.load(der, strict=True).issuer.native  # noqa: B018
        return "crl"
    except _PARSE:
        pass
    raise TrustStoreError("not a certificate, a CRL or a CSCA master list (DER or PEM)")


def _country(name: asn1x509.Name) -> str:
    try:
        return str(name.native.get("country_name") or "??")
    except _PARSE:
        return "??"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pinned(root: Path) -> TrustStore:
    store = TrustStore()
    for f in sorted((root / "csca").glob("*")):
        if f.is_file() and not f.name.startswith("."):
            store.add_file(f)
    return store


def _crl_signer(store: TrustStore, crl: asn1crl.CertificateList) -> asn1x509.Certificate | None:
    """The pinned CSCA whose key verifies ``crl`` (Doc 9303-12 7.1: CRLs are CSCA-signed)."""
    for cert in store.certificates:
        if cert.subject != crl.issuer:
            continue
        try:
            if verify_signature(store.public_key(cert), bytes(crl.signature),
                                crl["tbs_cert_list"].dump(), crl["signature_algorithm"]):
                return cert
        except (CertificateError, *_PARSE):
            continue
    return None


def add(root: str | Path, data: bytes, name: str = "") -> Added:
    """Check one piece of trust material and store it in the directory's layout."""
    root = Path(root)
    kind = classify(data)
    sub, ext = SUBDIRS[kind]
    digest = hashlib.sha256(data).hexdigest()[:12]
    if kind == "csca":
        cert = asn1x509.Certificate.load(_der(data))
        if not cert.ca:
            raise TrustStoreError(f"{name or 'the certificate'} is not a CA certificate: a CSCA "
                                  "must be one (a document signer is never an anchor)")
        country = _country(cert.subject)
        path = root / sub / f"{country}-{digest}{ext}"
        _write(path, cert.dump())
        return Added(kind, str(path), cert.subject.human_friendly, country)
    store = _pinned(root)
    if kind == "masterlist":
        if not len(store):
            raise TrustStoreError("pin the CSCA that vouches for this master list first "
                                  "(checkedid trust add CSCA-CERTIFICATE)")
        source = store.add_master_list(data, name=name or "master list")
        if not source.verified:
            raise TrustStoreError(f"{name or 'the master list'} is not vouched for by a pinned "
                                  f"CSCA: {source.reason}")
        path = root / sub / f"{digest}{ext}"
        _write(path, data)
        return Added(kind, str(path), source.signer or "?", "", source.reason)
    crl = asn1crl.CertificateList.load(_der(data))
    signer = _crl_signer(store, crl)
    country = _country(crl.issuer)
    if signer is None:
        raise TrustStoreError(f"no pinned CSCA of {country} verifies this CRL "
                              f"({crl.issuer.human_friendly}): pin that CSCA first")
    path = root / sub / f"{country}-{digest}{ext}"
    _write(path, crl.dump())
    return Added(kind, str(path), crl.issuer.human_friendly, country)


def load(root: str | Path) -> TrustStore:
    """The trust store of a directory: pinned CSCAs, then master lists, then CRLs."""
    root = Path(root)
    parts = [root / sub for sub, _ in SUBDIRS.values() if (root / sub).is_dir()]
    if not parts:
        raise TrustStoreError(f"{root} is not a trust directory (no csca/, masterlists/ or "
                              "crls/ in it): create one with 'checkedid trust add'")
    return TrustStore.load(*parts)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def show(root: str | Path, at: dt.datetime | None = None) -> dict[str, Any]:
    """Anchors, master lists and CRLs of the directory, by country, with CRL freshness."""
    root = Path(root)
    now = at or dt.datetime.now(dt.UTC)
    store = load(root)
    countries: dict[str, dict[str, Any]] = {}
    anchors = []
    for f in sorted((root / "csca").glob("*")) if (root / "csca").is_dir() else []:
        if not f.is_file() or f.name.startswith("."):
            continue
        cert = asn1x509.Certificate.load(_der(f.read_bytes()))
        validity = cert["tbs_certificate"]["validity"]
        until = validity["not_after"].native
        c = _country(cert.subject)
        anchors.append({"file": f.name, "country": c, "subject": cert.subject.human_friendly,
                        "not_after": _iso(until), "expired": until < now,
                        "sha256": hashlib.sha256(cert.dump()).hexdigest()})
        countries.setdefault(c, {"anchors": 0, "crls": []})["anchors"] += 1
    lists = [asdict(s) for s in store.sources if s.kind == "master_list"]
    crls = []
    for f in sorted((root / "crls").glob("*.crl")) if (root / "crls").is_dir() else []:
        crl = asn1crl.CertificateList.load(f.read_bytes())
        tbs = crl["tbs_cert_list"]
        nxt = tbs["next_update"].native
        c = _country(crl.issuer)
        entry = {"file": f.name, "country": c, "issuer": crl.issuer.human_friendly,
                 "this_update": _iso(tbs["this_update"].native), "next_update": _iso(nxt),
                 "stale": nxt is not None and nxt < now,
                 "revoked": len(tbs["revoked_certificates"])}
        crls.append(entry)
        countries.setdefault(c, {"anchors": 0, "crls": []})["crls"].append(
            "stale" if entry["stale"] else "current")
    return {"directory": str(root), "certificates": len(store), "anchors": anchors,
            "master_lists": lists, "crls": crls, "countries": countries}


def _urls(cert: asn1x509.Certificate) -> list[str]:
    out = []
    for dp in cert.crl_distribution_points or []:
        for name in dp["distribution_point"].native or []:
            if isinstance(name, str) and name.lower().startswith(("http://", "https://")):
                out.append(name)
    return out


def _urllib_fetch(url: str, headers: dict[str, str], timeout: float
                  ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            return resp.status, dict(resp.headers.items()), resp.read(_MAX_CRL + 1)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), b""


def _conditional(seen: dict[str, str]) -> dict[str, str]:
    """Conditional-GET headers (RFC 9110 §13.1) from what the last fetch of a URL returned."""
    headers = {}
    if seen.get("last_modified"):
        headers["If-Modified-Since"] = seen["last_modified"]
    if seen.get("etag"):
        headers["If-None-Match"] = seen["etag"]
    return headers


def _answer_body(root: Path, item: Fetched, seen: dict[str, str], status: int,
                 body: bytes) -> bytes | None:
    """The CRL bytes an HTTP answer stands for: the stored copy on 304 Not Modified, the body
    on 200; None (with ``item.reason`` set) for any other status or an oversized body."""
    if status == 304 and seen.get("file") and (root / "crls" / seen["file"]).is_file():
        item.status, item.file = "not modified", seen["file"]
        return (root / "crls" / seen["file"]).read_bytes()
    if status != 200:
        item.reason = f"HTTP {status}"
        return None
    if len(body) > _MAX_CRL:
        item.reason = "larger than 16 MiB: not a CRL"
        return None
    return body


def _checked_crl(store: TrustStore, cert: asn1x509.Certificate, body: bytes,
                 item: Fetched) -> tuple[asn1crl.CertificateList, dt.datetime | None] | None:
    """The CRL in ``body`` and its nextUpdate if it parses, names this CSCA as issuer and
    verifies under a pinned CSCA key (Doc 9303-12 §7.1); None with ``item.reason`` set
    otherwise."""
    try:
        crl = asn1crl.CertificateList.load(_der(body), strict=True)
        nxt: dt.datetime | None = crl["tbs_cert_list"]["next_update"].native
    except _PARSE:
        item.reason = "the answer is not a CRL"
        return None
    if crl.issuer != cert.subject:
        item.reason = "the CRL is not issued by this CSCA: not stored"
        return None
    if _crl_signer(store, crl) is None:
        item.reason = "the CRL does not verify under the CSCA's key: not stored"
        return None
    return crl, nxt


def _store_crl(root: Path, url: str, crl: asn1crl.CertificateList, lower: dict[str, str],
               meta: dict[str, dict[str, str]], item: Fetched) -> None:
    """Write a newly fetched CRL under ``crls/`` and remember its validators (``lower``: the
    answer's headers, lower-cased names) for the next conditional fetch (RFC 9110 §8.8)."""
    url_id = hashlib.sha256(url.encode()).hexdigest()[:12]
    name = f"{_country(crl.issuer)}-{url_id}.crl"
    _write(root / "crls" / name, crl.dump())
    item.status, item.file = "updated", name
    meta[url] = {"file": name,
                 **({"last_modified": lower["last-modified"]}
                    if "last-modified" in lower else {}),
                 **({"etag": lower["etag"]} if "etag" in lower else {})}


def _fetch_crl(root: Path, store: TrustStore, cert: asn1x509.Certificate, url: str,
               meta: dict[str, dict[str, str]], get: Fetch, timeout: float,
               now: dt.datetime) -> Fetched:
    """Fetch, check and store the CRL at one distribution point of one pinned CSCA
    (RFC 5280 §4.2.1.13); the outcome is reported, never raised."""
    seen = meta.get(url, {})
    item = Fetched(url, cert.subject.human_friendly, "failed")
    headers = _conditional(seen)
    try:
        status, got, body = get(url, headers, timeout)
    except (OSError, ValueError) as exc:
        item.reason = f"cannot fetch: {exc}"
        return item
    lower = {k.lower(): v for k, v in got.items()}
    data = _answer_body(root, item, seen, status, body)
    if data is None:
        return item
    checked = _checked_crl(store, cert, data, item)
    if checked is None:
        return item
    crl, nxt = checked
    if item.status != "not modified":
        _store_crl(root, url, crl, lower, meta, item)
    item.next_update = _iso(nxt)
    item.stale = nxt is not None and nxt < now
    item.headers = headers
    return item


def update(root: str | Path, *, timeout: float = 15.0, fetch: Fetch | None = None,
           at: dt.datetime | None = None) -> list[Fetched]:
    """Fetch the CRL of every pinned CSCA that names an HTTP(S) distribution point."""
    root = Path(root)
    now = at or dt.datetime.now(dt.UTC)
    get = fetch or _urllib_fetch
    store = _pinned(root)
    meta_path = root / "crls" / _META
    try:
        meta: dict[str, dict[str, str]] = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {}
    report = [_fetch_crl(root, store, cert, url, meta, get, timeout, now)
              for cert in store.certificates for url in _urls(cert)]
    if meta:
        _write(meta_path, json.dumps(meta, indent=1, sort_keys=True).encode())
    return report
