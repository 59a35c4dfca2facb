"""The operator's trust directory: checked additions, loading, freshness, CRL updates over HTTP.

The CRL server is a real HTTP server on 127.0.0.1 that honours If-Modified-Since, so
``checkedid trust update`` is exercised exactly as against an issuing state's server.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checkedid.cli import main
from checkedid.errors import TrustStoreError
from checkedid.nfc.pki import trustdir
from checkedid.nfc.pki.trust import TrustStore

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _name(cn: str, country: str = "UT") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_csca(cn: str, url: str | None = None, *, ca: bool = True
              ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - dt.timedelta(days=365))
         .not_valid_after(NOW + dt.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, ca, ca, False, False),
                        True))
    if url:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(url)], None, None, None)]), False)
    return key, b.sign(key, hashes.SHA256())


def make_crl(key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate, *,
             next_update: dt.datetime, revoked: int | None = None) -> bytes:
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
         .last_update(NOW - dt.timedelta(days=1)).next_update(next_update))
    if revoked is not None:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(revoked)
                                      .revocation_date(NOW - dt.timedelta(days=1)).build())
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class CRLServer:
    """Serves ``self.body`` at /csca.crl with Last-Modified; answers 304 when not newer."""

    def __init__(self) -> None:
        self.body = b""
        self.modified = format_datetime(NOW, usegmt=True)
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers.items()))
                if self.path != "/csca.crl":
                    self.send_error(404)
                    return
                if self.headers.get("If-Modified-Since") == server.modified:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Last-Modified", server.modified)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/csca.crl"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[CRLServer]:
    s = CRLServer()
    yield s
    s.close()


def test_add_checks_each_kind_and_load_trusts_the_directory(tmp_path: Path) -> None:
    key, csca = make_csca("Test CSCA")
    added = trustdir.add(tmp_path, der(csca), "csca.der")
    assert added.kind == "csca" and added.country == "UT"
    assert Path(added.path).parent == tmp_path / "csca"
    crl = make_crl(key, csca, next_update=NOW + dt.timedelta(days=30))
    assert trustdir.add(tmp_path, crl, "csca.crl").kind == "crl"
    store = trustdir.load(tmp_path)
    assert isinstance(store, TrustStore) and len(store) == 1 and store.crl_count == 1
    # The whole directory is also usable as --trust (the caching metadata is a dot file).
    (tmp_path / "crls" / ".fetched.json").write_text("{}")
    assert len(TrustStore.load(tmp_path)) == 1


def test_add_refuses_what_it_cannot_vouch_for(tmp_path: Path) -> None:
    _, leaf = make_csca("Not a CA", ca=False)
    with pytest.raises(TrustStoreError, match="not a CA certificate"):
        trustdir.add(tmp_path, der(leaf), "ds.der")
    other_key, other = make_csca("Other CSCA")
    crl = make_crl(other_key, other, next_update=NOW + dt.timedelta(days=30))
    with pytest.raises(TrustStoreError, match="no pinned CSCA of UT verifies this CRL"):
        trustdir.add(tmp_path, crl, "other.crl")
    with pytest.raises(TrustStoreError, match="not a certificate, a CRL or a CSCA master list"):
        trustdir.add(tmp_path, b"hello, not trust material", "notes.txt")
    assert not (tmp_path / "crls").exists()


def test_master_list_needs_a_pinned_vouching_csca(tmp_path: Path) -> None:
    from hw.pki import get_pki

    pki = get_pki()
    with pytest.raises(TrustStoreError, match="pin the CSCA that vouches"):
        trustdir.add(tmp_path, pki.master_list, "test.ml")
    for name, cert_der in pki.trusted_certificates.items():
        trustdir.add(tmp_path, cert_der, name)
    added = trustdir.add(tmp_path, pki.master_list, "test.ml")
    assert added.kind == "masterlist" and "ml-signer" in added.subject
    shown = trustdir.show(tmp_path, at=NOW)
    assert shown["master_lists"][0]["verified"] is True


def test_update_fetches_verifies_and_caches_the_crl(tmp_path: Path, server: CRLServer) -> None:
    key, csca = make_csca("Test CSCA", server.url)
    trustdir.add(tmp_path, der(csca), "csca.der")
    server.body = make_crl(key, csca, next_update=NOW + dt.timedelta(days=30), revoked=7)

    first = trustdir.update(tmp_path, at=NOW)
    assert [(r.status, r.stale) for r in first] == [("updated", False)], first
    assert "If-Modified-Since" not in server.requests[-1]
    store = trustdir.load(tmp_path)
    assert store.crl_count == 1

    second = trustdir.update(tmp_path, at=NOW)
    assert [r.status for r in second] == ["not modified"]
    assert server.requests[-1]["If-Modified-Since"] == server.modified
    meta = json.loads((tmp_path / "crls" / ".fetched.json").read_text())
    assert meta[server.url]["last_modified"] == server.modified

    shown = trustdir.show(tmp_path, at=NOW)
    assert shown["countries"]["UT"] == {"anchors": 1, "crls": ["current"]}
    assert shown["crls"][0]["revoked"] == 1


def test_update_reports_stale_and_refuses_forged_crls(tmp_path: Path, server: CRLServer) -> None:
    key, csca = make_csca("Test CSCA", server.url)
    trustdir.add(tmp_path, der(csca), "csca.der")
    server.body = make_crl(key, csca, next_update=NOW - dt.timedelta(days=1))
    stale = trustdir.update(tmp_path, at=NOW)
    assert [(r.status, r.stale) for r in stale] == [("updated", True)]
    assert trustdir.show(tmp_path, at=NOW)["crls"][0]["stale"] is True

    # A CRL with the CSCA's name but another key (a forger on the network): not stored.
    forger = ec.generate_private_key(ec.SECP256R1())
    server.body = make_crl(forger, csca, next_update=NOW + dt.timedelta(days=30))
    server.modified = format_datetime(NOW + dt.timedelta(hours=1), usegmt=True)
    forged = trustdir.update(tmp_path, at=NOW)
    assert [r.status for r in forged] == ["failed"]
    assert "does not verify under the CSCA's key" in forged[0].reason
    server.body = b"<html>maintenance</html>"
    server.modified = format_datetime(NOW + dt.timedelta(hours=2), usegmt=True)
    assert trustdir.update(tmp_path, at=NOW)[0].reason == "the answer is not a CRL"


def test_trust_cli_add_show_update(tmp_path: Path, server: CRLServer,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    key, csca = make_csca("Test CSCA", server.url)
    (tmp_path / "csca.der").write_bytes(der(csca))
    trust = tmp_path / "trust"
    assert main(["trust", "add", "--dir", str(trust), str(tmp_path / "csca.der"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"][0]["kind"] == "csca"
    server.body = make_crl(key, csca, next_update=dt.datetime.now(dt.UTC) + dt.timedelta(days=9))
    assert main(["trust", "update", "--dir", str(trust)]) == 0
    assert "updated" in capsys.readouterr().out
    assert main(["trust", "show", "--dir", str(trust)]) == 0
    out = capsys.readouterr().out
    assert "UT  1 pinned anchor(s); CRL: current" in out
    server.body = b"junk"
    server.modified = "Mon, 01 Jan 2030 00:00:00 GMT"
    assert main(["trust", "update", "--dir", str(trust), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problems"] == 1
    assert main(["trust", "show"]) == 2
    assert "--dir DIR" in capsys.readouterr().err
