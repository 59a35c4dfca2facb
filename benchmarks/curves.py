"""Host CPU of PA, AA and CA per curve: OpenSSL curves against the project's own arithmetic.

For each document-signer / chip-key curve, in this process (no chip, no PC/SC):

* ``pa_ms``: ``passive_authenticate`` of an EF.SOD over two data groups signed by a test
  document signer on that curve, with the test trust store (chain to ``csca-ec``);
* ``aa_verify_ms``: the host's share of Active Authentication, ``aa.verify_ecdsa`` of a plain
  TR-03111 signature over an 8-byte challenge (the chip's signing is not counted);
* ``ca_agree_ms``: the host's share of Chip Authentication, ``ca._agree`` (ephemeral key pair
  and ECDH with the DG14 key; KDF and secure messaging are curve-independent).

Same-run baseline: brainpoolP256r1 through OpenSSL (``cryptography``), the curve of most
documents; ``own_arithmetic_P256r1`` forces the project's arithmetic on the same curve, so
``ratio_own_to_openssl`` isolates the cost of the pure-Python path. Median of ``--runs``.

Usage: ``python benchmarks/curves.py [--runs 30]``; prints JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

DGS = {1: b"\x61\x05\x5f\x1f\x02AB", 2: b"\x75\x03\x7f\x61\x00"}


def _ms(fn: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        samples.append(time.process_time() - t)
    return round(statistics.median(samples) * 1000, 3)


def _trust() -> Any:
    from hw.pki import get_pki

    from checkedid.nfc.pki.trust import TrustStore

    store = TrustStore()
    for der in get_pki().trusted_certificates.values():
        store.add_certificate(der)
    return store


def _openssl_row(runs: int, trust: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from hw.pki import get_pki

    from checkedid.nfc.auth import aa, ca
    from checkedid.nfc.pki import pa

    sod = get_pki().sign_sod(DGS, signer="ds-ec")
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    challenge = bytes(8)
    r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    plain = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pub = key.public_key()
    assert aa.verify_ecdsa(plain, challenge, pub, ["sha256"]) == "sha256"
    return {"curve": "brainpoolP256r1", "path": "OpenSSL",
            "pa_ms": _ms(lambda: pa.passive_authenticate(sod, DGS, trust), runs),
            "aa_verify_ms": _ms(lambda: aa.verify_ecdsa(plain, challenge, pub, ["sha256"]),
                                runs),
            "ca_agree_ms": _ms(lambda: ca._agree(pub), runs)}


def _own_row(curve: str, signer: str | None, runs: int, trust: Any) -> dict[str, Any]:
    from hw.pki import get_pki
    from hw.pki.brainpool import brainpool_key

    from checkedid.nfc.auth import aa, ca
    from checkedid.nfc.crypto.ecdsa import NAMED_CURVES, CurvePublicKey
    from checkedid.nfc.pki import pa

    row: dict[str, Any] = {"curve": curve, "path": "own arithmetic"}
    if signer is not None:
        sod = get_pki().sign_sod(DGS, signer=signer)
        assert pa.passive_authenticate(sod, DGS, trust).check("ds_signature").verdict.value \
            == "PASSED"  # type: ignore[union-attr]
        row["pa_ms"] = _ms(lambda: pa.passive_authenticate(sod, DGS, trust), runs)
    if curve == "brainpoolP256r1":  # the same curve through our arithmetic, for the ratio
        c = NAMED_CURVES[curve]
        d = int.from_bytes(hashlib.sha256(b"bench").digest(), "big") % c.n
        q = c.mul(d, c.generator)
        assert q is not None
        pub = CurvePublicKey(c, q)
        e = int.from_bytes(hashlib.sha256(bytes(8)).digest(), "big")
        k = int.from_bytes(hashlib.sha256(b"nonce").digest(), "big") % c.n
        r = c.mul_base(k)[0] % c.n
        s = pow(k, -1, c.n) * (e + r * d) % c.n
        plain = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        bk = brainpool_key("bench", curve)
        pub = CurvePublicKey(NAMED_CURVES[curve], bk.point)
        plain = bk.sign_plain(bytes(8), "sha256")
    assert aa.verify_ecdsa(plain, bytes(8), pub, ["sha256"]) == "sha256"
    row["aa_verify_ms"] = _ms(lambda: aa.verify_ecdsa(plain, bytes(8), pub, ["sha256"]), runs)
    row["ca_agree_ms"] = _ms(lambda: ca._agree(pub), runs)
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30)
    args = p.parse_args(argv)
    trust = _trust()
    baseline = _openssl_row(args.runs, trust)
    rows = [_own_row("brainpoolP256r1", None, args.runs, trust)]
    for curve, signer in (("brainpoolP160r1", "ds-bp160"), ("brainpoolP192r1", "ds-bp192"),
                          ("brainpoolP224r1", "ds-bp224"), ("brainpoolP320r1", "ds-bp320")):
        rows.append(_own_row(curve, signer, args.runs, trust))
    same = rows[0]
    out = {
        "benchmark": "curves", "runs": args.runs, "python": platform.python_version(),
        "baseline_openssl": baseline, "own_arithmetic_P256r1": same,
        "ratio_own_to_openssl": {
            k: round(same[k] / baseline[k], 1) for k in ("aa_verify_ms", "ca_agree_ms")
            if baseline[k] > 0},
        "own_arithmetic": rows[1:],
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
