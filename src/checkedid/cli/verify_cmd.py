"""CLI commands: verify (a document end to end) and demo (the same against the virtual chip)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from checkedid.cli.chip_cmd import can_from_args
from checkedid.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    add_json_flag,
    emit,
    positive_float,
    readable_file,
)
from checkedid.result import ALL_FIELDS, DEFAULT_FIELDS, Result

__all__ = ["format_result", "register"]

_MARK = {"PASSED": "ok  ", "FAILED": "FAIL", "NOT_SUPPORTED": "n/a ", "NOT_CHECKED": "--  "}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify a document end to end (MRZ, chip, authentication, face)",
        description=(
            "Read the MRZ from a photo of the document, open and read the chip on the reader, "
            "run Passive/Active/Chip Authentication and compare the selfie with the chip photo. "
            "Prints the verdict of every check; exit 0 VERIFIED, 1 REJECTED or INCOMPLETE."
        ),
    )
    doc = p.add_mutually_exclusive_group(required=True)
    doc.add_argument("--document", metavar="IMAGE", type=readable_file,
                     help="photo of the document's MRZ page")
    doc.add_argument("--document-video", metavar="FILE", type=readable_file,
                     help="video of the document's MRZ page (read with the frame scanner)")
    doc.add_argument("--document-camera", metavar="N", type=int,
                     help="camera device showing the document's MRZ page")
    p.add_argument("--selfie", required=True, metavar="IMAGE", type=readable_file,
                   help="live photo of the holder")
    p.add_argument(
        "--reader", metavar="R", help="PC/SC reader name (substring); default: first with a card"
    )
    p.add_argument(
        "--can", metavar="N", help="6-digit card access number, or a driving licence's "
        "licence number (PACE with CAN instead of MRZ); '-' reads it from standard input"
    )
    add_trust_option(p)
    add_policy_option(p)
    add_fields_option(p)
    p.add_argument("--timeout", type=positive_float, default=60.0,
                   help="seconds for the whole verification")
    add_sign_options(p)
    add_json_flag(p)
    p.set_defaults(func=_verify)

    d = sub.add_parser(
        "demo",
        help="run the full verification against the virtual chip",
        description=(
            "Start the virtual eMRTD chip on the vpcd reader, generate a photo of its document, "
            "and verify it end to end with a sample selfie, printing each step and its timing. "
            "Needs a source checkout (hw/) and pcscd with vpcd (bash hw/setup.sh)."
        ),
    )
    d.add_argument(
        "--persona",
        default=None,
        help="virtual chip persona (see python -m hw.vchip --list-personas)",
    )
    d.add_argument("--fault", default=None, help="fault profile for the virtual chip")
    d.add_argument(
        "--selfie",
        default=None,
        metavar="IMAGE",
        type=readable_file,
        help="selfie to use (default: another photo of the persona's face)",
    )
    d.add_argument(
        "--impostor", action="store_true", help="use a different person's photo as the selfie"
    )
    d.add_argument("--port", type=int, default=None,
                   help="vpcd chip port of the virtual reader slot (default: the first slot, "
                        "35963; 35964 is the second)")
    add_fields_option(d)
    add_sign_options(d)
    add_json_flag(d)
    d.set_defaults(func=_demo)


def add_policy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", metavar="TOML", type=readable_file,
                   help="the operator's decision policy (checkedid.policy: CRL grace days, "
                        "chip authentication required, face threshold, printed portrait)")


def load_policy(args: argparse.Namespace) -> Any:
    """The ``--policy`` file as a :class:`checkedid.policy.Policy` (None without it)."""
    if not getattr(args, "policy", None):
        return None
    from checkedid.policy import Policy

    return Policy.load(args.policy)


def add_trust_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="PATH",
        help="CSCA trust material: a certificate directory, a master list or a CRL (repeatable)",
    )


def add_sign_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sign-key",
        metavar="PEM",
        help="kiosk private key (PEM, ECDSA P-256 or Ed25519): add the result as a signed JWS",
    )
    p.add_argument("--key-id", metavar="KID", help="key id to put in the signed result's header")
    p.add_argument("--audience", metavar="RP",
                   help="with --sign-key: the relying party the signed result is for (aud)")
    p.add_argument("--nonce", metavar="NONCE",
                   help="with --sign-key: the relying party's request nonce (binds the result "
                   "to that request)")


def load_sign_key(args: argparse.Namespace) -> Any:
    """The ``--sign-key`` private key, checked before any chip is read (None without it).

    Problems (no such file, a public key, an encrypted key, an RSA key, a curve other than
    P-256) are :class:`~checkedid.errors.InputError` naming the file and what to use instead.
    """
    if not getattr(args, "sign_key", None):
        return None
    from checkedid.errors import InputError

    if not args.audience or not args.nonce:
        raise InputError("--sign-key needs --audience (the relying party) and --nonce (its "
                         "request's nonce): a signed result without them can be replayed")
    return read_sign_key(args.sign_key)


def read_sign_key(path: str) -> Any:
    """A kiosk signing key from a PEM file: ECDSA P-256 or Ed25519, unencrypted
    (:class:`~checkedid.errors.InputError` naming the file and what to use otherwise)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from checkedid.errors import InputError

    use = "use an ECDSA P-256 or Ed25519 private key in PEM"
    try:
        with open(path, "rb") as fh:
            pem = fh.read(1 << 20)
    except OSError as exc:
        raise InputError(f"cannot read the signing key {path}: {exc.strerror}") from None
    if b"PUBLIC KEY-----" in pem:
        raise InputError(f"the signing key {path} is a public key: {use}")
    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError:
        raise InputError(f"the signing key {path} is encrypted: {use} without a password") \
            from None
    except ValueError:
        raise InputError(f"the signing key {path} is not a PEM private key: {use}") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        kind = f"ECDSA {key.curve.name}"
    raise InputError(f"the signing key {path} cannot sign results (a {kind} key): {use}")


def _signed(args: argparse.Namespace, result: Result, data: dict[str, Any],
            key: Any) -> dict[str, Any]:
    """Add ``"signed": <JWS>`` (bound to ``--audience`` and ``--nonce``) when a key was given."""
    if key is None:
        return data
    from checkedid.signing import sign_result

    data["signed"] = sign_result(result, key, kid=args.key_id,
                                 audience=args.audience, nonce=args.nonce)
    return data


def add_fields_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fields",
        default=",".join(DEFAULT_FIELDS),
        metavar="LIST",
        help=f"comma-separated personal fields to include (choose from {', '.join(ALL_FIELDS)}; "
        "'' for none)",
    )


def format_result(result: Result) -> str:
    lines = [f"Decision: {result.decision.value}"]
    for reason in result.reasons:
        lines.append(f"  - {reason}")
    lines.append("Checks:")
    width = max((len(c.name) for g in result.checks.values() for c in g.checks), default=20)
    for name, group in result.checks.items():
        lines.append(f"  [{_MARK.get(group.verdict.value, '?')}] {name:<12} {group.reason}")
        for c in group.checks:
            if c.name != name:
                detail = f"         {c.name:<{width}} {c.verdict.value:<13} {c.reason}"
                lines.append(detail.rstrip())
    if result.face:
        lines.append(f"Face: score {result.face.score:.3f} (threshold {result.face.threshold:.3f})")
    if result.protocol:
        lines.append(f"Chip access: {result.protocol}")
    if result.fields:
        lines.append("Fields:")
        lines += [f"  {k:<16} {v}" for k, v in result.fields.items()]
    if result.timings:
        lines.append(
            "Timings: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.timings.items())
        )
    lines += [f"Warning: {w}" for w in result.warnings]
    return "\n".join(lines)


def _progress_printer(args: argparse.Namespace) -> tuple[Progress, Any]:
    bar = Progress(enabled=not args.json)

    def on_event(ev: Any) -> None:
        if ev.state == "progress":
            bar(f"{ev.step}", ev.file, ev.done, ev.total)
        else:
            bar(f"{ev.step} {ev.state}")

    return bar, on_event


def _verify(args: argparse.Namespace) -> int:
    from checkedid.session import Session

    fields = [f for f in args.fields.replace(",", " ").split() if f]
    key = load_sign_key(args)
    policy = load_policy(args)
    document: Any = args.document
    if document is None:  # a video or camera: the frame the scanner confirmed
        from checkedid.cli.mrz_video import document_frame

        document = document_frame(args.document_video, args.document_camera,
                                  args.timeout, quiet=args.json)
    bar, on_event = _progress_printer(args)
    with Session(trust=args.trust or None, reader=args.reader, policy=policy) as session:
        try:
            result = session.verify(
                document,
                args.selfie,
                can=can_from_args(args, env=False),
                fields=fields,
                progress=on_event,
                timeout=args.timeout,
            )
        finally:
            bar.done()
    data = _signed(args, result, result.to_dict(), key)
    text = format_result(result) + (
        f"\nSigned result: {data['signed']}" if "signed" in data else ""
    )
    emit(args, data, text)
    return EXIT_OK if result.verified else EXIT_FAILED


def _demo(args: argparse.Namespace) -> int:
    from checkedid.demo import run_demo

    fields = [f for f in args.fields.replace(",", " ").split() if f]
    key = load_sign_key(args)
    bar, on_event = _progress_printer(args)
    try:
        result, info = run_demo(
            persona=args.persona,
            fault=args.fault,
            selfie=args.selfie,
            impostor=args.impostor,
            fields=fields,
            progress=on_event,
            say=None if args.json else _say,
            **({"port": args.port} if args.port is not None else {}),
        )
    finally:
        bar.done()
    data = _signed(args, result, result.to_dict(), key)
    data["demo"] = info
    text = format_result(result) + (
        f"\nSigned result: {data['signed']}" if "signed" in data else ""
    )
    emit(args, data, text)
    return EXIT_OK if result.verified else EXIT_FAILED


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
