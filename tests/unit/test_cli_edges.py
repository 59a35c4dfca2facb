"""Every command's --help, and one bad input each: a clear message, exit 2, never a traceback.

The commands run as a user runs them (``python -m checkedid`` in a subprocess), so what is
asserted is exactly what reaches the terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from checkedid import errors
from checkedid.cli import build_parser, version

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")) if p)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "checkedid", *argv], capture_output=True, text=True,
        input=stdin, timeout=120, env=env, cwd=ROOT, check=False)


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [None, *commands()])
def test_help_of_every_command(command: str | None) -> None:
    proc = run(*([command] if command else []), "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage: checkedid" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"checkedid {version()}"
    assert version()[0].isdigit()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    text = d / "notes.txt"
    text.write_text("not a chip file, not an image\n")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    out = {"text": text, "dir": d / "trust"}
    for name, data in {
        "rsa": rsa_key.private_bytes(pem, pkcs8, none),
        "p384": p384.private_bytes(pem, pkcs8, none),
        "public": p256.public_key().public_bytes(
            pem, serialization.PublicFormat.SubjectPublicKeyInfo),
        "encrypted": p256.private_bytes(pem, pkcs8, serialization.BestAvailableEncryption(b"pw")),
    }.items():
        out[name] = d / f"{name}.pem"
        out[name].write_bytes(data)
    return out


VERIFY = ["verify", "--document", "{text}", "--selfie", "{text}", "--audience", "rp.example",
          "--nonce", "n-1"]

#: (argv, the words the message must contain); every case is a usage or input error (exit 2).
BAD = {
    "unknown-command": (["nosuch"], "invalid choice: 'nosuch'"),
    "no-command": ([], "required: COMMAND"),
    "readers-bad-option": (["readers", "--bogus"], "unrecognized arguments: --bogus"),
    "read-negative-timeout": (["read", "--can", "123456", "--timeout", "-1"],
                              "--timeout: -1 must be a number greater than 0"),
    "read-no-key": (["read"], "give --mrz, --mrz-image or --can (or set CHECKEDID_CAN)"),
    "pa-not-a-sod": (["pa", "--sod", "{text}"], "is not an EF.SOD"),
    "pa-bad-dg": (["pa", "--sod", "{text}", "--dg", "x"], "is not an EF.SOD"),
    "mrz-missing-image": (["mrz", "/nonexistent/photo.jpg"],
                          "argument image: /nonexistent/photo.jpg: no such file"),
    "mrz-nothing": (["mrz"], "give the photo of a document"),
    "match-missing-image": (["match", "{text}", "/nonexistent/b.jpg"],
                            "argument IMAGE_B: /nonexistent/b.jpg: no such file"),
    "match-bad-threshold": (["match", "{text}", "{text}", "--threshold", "7"],
                            "must be a score threshold between 0 and 1"),
    "bench-zero-repeat": (["bench", "face", "--repeat", "0"],
                          "must be a whole number of at least 1"),
    "bench-unknown": (["bench", "gpu"], "invalid choice: 'gpu'"),
    "verify-negative-timeout": ([*VERIFY, "--timeout", "-5"],
                                "--timeout: -5 must be a number greater than 0"),
    "verify-rsa-key": ([*VERIFY, "--sign-key", "{rsa}"],
                       "cannot sign results (a RSA key)"),
    "verify-p384-key": ([*VERIFY, "--sign-key", "{p384}"],
                        "(a ECDSA secp384r1 key)"),
    "verify-public-key": ([*VERIFY, "--sign-key",
                           "{public}"], "is a public key"),
    "verify-encrypted-key": ([*VERIFY, "--sign-key",
                              "{encrypted}"], "is encrypted"),
    "verify-missing-key": ([*VERIFY, "--sign-key",
                            "/nonexistent/key.pem"], "cannot read the signing key"),
    "verify-key-without-audience": (["verify", "--document", "{text}", "--selfie", "{text}",
                                     "--sign-key", "{p384}"], "--sign-key needs --audience"),
    "verify-bad-policy": ([*VERIFY, "--policy", "{text}"], "is not valid TOML"),
    "verify-missing-policy": ([*VERIFY, "--policy", "/nonexistent/policy.toml"],
                              "argument --policy: /nonexistent/policy.toml: no such file"),
    "verify-missing-selfie": (["verify", "--document", "{text}", "--selfie", "/nonexistent/s.jpg"],
                              "argument --selfie: /nonexistent/s.jpg: no such file"),
    "trust-no-dir": (["trust", "show"], "give the trust directory with --dir DIR"),
    "trust-add-not-trust": (["trust", "add", "--dir", "{dir}", "{text}"],
                            "not a certificate, a CRL or a CSCA master list"),
    "trust-show-not-a-trust-dir": (["trust", "show", "--dir", "{text}"],
                                   "is not a trust directory"),
    "demo-unknown-fault": (["demo", "--fault", "nosuch"], "unknown fault 'nosuch'"),
    "demo-bad-fault-value": (["demo", "--fault", "slow-chip:abc"],
                             "the value after ':' is not valid"),
    "demo-unknown-persona": (["demo", "--persona", "nosuch"], "nosuch"),
    "demo-bad-port": (["demo", "--port", "1"], "vpcd port 1 is not a virtual reader slot"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_bad_input_is_a_usage_error_without_traceback(case: str, as_json: bool,
                                                      files: dict[str, Path]) -> None:
    argv, words = BAD[case]
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    proc = run(*argv, *(["--json"] if as_json else []))
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert words in proc.stderr
    if as_json:
        error = json.loads(proc.stdout)["error"]
        assert error["exit_code"] == 2 and words in error["message"]
        assert error["kind"] == "UsageError" or issubclass(
            getattr(errors, error["kind"]), errors.CheckedIDError)
    else:
        assert proc.stdout == ""
