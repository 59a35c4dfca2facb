"""CLI commands: readers (list PC/SC readers) and read (read the chip with PACE or BAC).

``checkedid read`` prints what was read — protocol, files and sizes, AA/CA outcomes,
timings — and, with ``--trust``, the Passive Authentication verdict. It prints no
personal data and writes nothing to disk, unless ``--save DIR`` is given: then
EF.SOD and the data groups are written there exactly as read (for QA and for
``checkedid pa``); those files hold personal data and are the caller's to protect.
``--trace FILE`` writes the APDU exchange without any data field
(:mod:`checkedid.nfc.iso7816.trace`), owner-readable, for reporting a document that fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from checkedid.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    add_json_flag,
    emit,
    positive_float,
    readable_file,
)
from checkedid.errors import InputError
from checkedid.nfc.application import EMRTD, LICENCE, Application
from checkedid.secret import Secret

__all__ = ["CAN_ENV", "CAN_HELP", "access_from_args", "can_from_args", "read_access",
           "register"]

CAN_ENV = "CHECKEDID_CAN"
CAN_HELP = ("the 6-digit card access number printed on the card, or a driving licence's "
            "10-character licence number; '-' reads it from standard input, and without "
            f"--can/--mrz the environment variable {CAN_ENV} is used (both keep it out of the "
            "process list)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("readers", help="list PC/SC readers and whether a card is present",
                       description="List PC/SC readers, whether a document is on each and its ATR.")
    add_json_flag(p)
    p.set_defaults(func=cmd_readers)
    p = sub.add_parser(
        "read", help="read the chip (PACE or BAC) and print what it holds",
        description=("Read the eMRTD chip: PACE (or BAC when the chip has no PACE), secure "
                     "messaging, EF.COM, EF.SOD and the data groups, Chip and Active "
                     "Authentication. Prints the protocol, the files and their sizes, the "
                     "holder's DG1 fields (omit them with --no-fields), the photo dimensions, "
                     "checks and timings. With --trust, runs Passive Authentication and "
                     "reports whether the chip data is authentic (exit 1 when not). Nothing "
                     "is written to disk unless --save or --trace is given."))
    p.add_argument("--reader", help="use the reader whose name contains this text "
                   "(default: the first with a document)")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--mrz", metavar="TEXT",
                     help="the MRZ text (lines separated by newlines or spaces), or document "
                     "number + birth date + expiry date with their check digits (24 characters),"
                     " or a driving licence's one-line MRZ (30 characters, D1...);"
                     " '-' reads it from standard input (keeps it out of the process list)")
    key.add_argument("--mrz-image", metavar="IMG", type=readable_file,
                     help="photo of the document's MRZ")
    key.add_argument("--can", help=CAN_HELP)
    p.add_argument("--trust", action="append", default=[], metavar="PATH",
                   help="CSCA certificates dir, master list or CRL (repeatable)")
    p.add_argument("--timeout", type=positive_float, default=10.0,
                   help="seconds to wait for a document on the reader (default 10)")
    p.add_argument("--read-timeout", type=positive_float, default=60.0,
                   help="seconds allowed for the whole read, recoveries included (default 60)")
    p.add_argument("--trace", metavar="FILE", type=Path,
                   help="record the APDU exchange (headers, lengths, status words, timing; "
                        "no data, no keys) as JSON lines to this new file (mode 0600), for "
                        "reporting a document that cannot be read")
    p.add_argument("--save", metavar="DIR", type=Path,
                   help="QA only: write EF.SOD and the data groups as read to DIR "
                   "(they contain personal data; off by default)")
    p.add_argument("--no-fields", action="store_true",
                   help="do not print the holder's DG1 fields (protocol, files and checks only)")
    add_json_flag(p)
    p.set_defaults(func=cmd_read)


def cmd_readers(args: argparse.Namespace) -> int:
    from checkedid.nfc.iso7816.pcsc import list_readers

    readers = list_readers()
    data: dict[str, Any] = {"readers": [r.to_dict() for r in readers]}
    if not readers:
        human = "no PC/SC readers found (is a reader plugged in and pcscd running?)"
    else:
        human = "\n".join(
            f"{r.name}: " + (f"card present (ATR {r.atr.hex().upper()})" if r.card_present and r.atr
                             else "card present" if r.card_present else "no card")
            for r in readers)
    emit(args, data, human)
    return EXIT_OK


def _mrz_information(text: str) -> Secret | None:
    """24+ characters of document number, birth and expiry dates with check digits."""
    from checkedid.mrz import check_digit

    s = text.strip().upper()
    if len(s) < 24 or not all(c.isalnum() or c == "<" for c in s):
        return None
    tail = s[-14:]
    number, number_cd = s[:-15], s[-15]
    if (check_digit(number) != number_cd or check_digit(tail[0:6]) != tail[6]
            or check_digit(tail[7:13]) != tail[13]):
        raise InputError("the document number, birth date or expiry date does not match its "
                         "check digit: re-type them as printed in the MRZ")
    return Secret(s.encode("ascii"), label="MRZ information")


def can_from_args(args: argparse.Namespace, *, env: bool = True) -> str | None:
    """The CAN from ``--can N``, ``--can -`` (standard input) or, with ``env`` and no
    ``--can``, the environment variable :data:`CAN_ENV`; ``None`` when none is given.

    A CAN is the 6 digits printed on an ID card or passport, or a driving licence's
    10-character licence number (its PACE CAN, ISO/IEC 18013-3 Annex C).
    """
    value = getattr(args, "can", None)
    source = "--can"
    if value == "-":
        value = sys.stdin.readline()
    elif value is None and env:
        value, source = os.environ.get(CAN_ENV), CAN_ENV
    if value is None:
        return None
    can = str(value).strip().upper()
    if len(can) == 10 and can.isascii() and can.isalnum():
        return can
    if not (len(can) == 6 and can.isascii() and can.isdigit()):
        raise InputError(f"{source} must be the 6 digits printed on the card (or the "
                         "10-character number of a driving licence)")
    return can


def access_from_args(args: argparse.Namespace) -> Secret | str:
    """The CAN, or the MRZ access key from --mrz text / stdin / --mrz-image."""
    return read_access(args)[0]


def read_access(args: argparse.Namespace) -> tuple[Secret | str, Application]:
    """The access key and the application it opens: a licence MRZ (one line of 30
    characters starting with D) or a 10-character licence number open a driving licence."""
    can = can_from_args(args, env=args.mrz is None and args.mrz_image is None)
    if can is not None:
        return can, (LICENCE if len(can) == 10 else EMRTD)
    if args.mrz is None and args.mrz_image is None:
        raise InputError(f"give --mrz, --mrz-image or --can (or set {CAN_ENV}) to open the chip")
    if args.mrz == "-" and getattr(args, "can", None) == "-":
        raise InputError("only one of --mrz and --can can read standard input")
    from checkedid import mrz as mrzlib
    from checkedid.mrz.licence import is_licence_line, parse_licence

    m: Any
    if args.mrz_image is not None:
        m = mrzlib.read(args.mrz_image)
    else:
        text = sys.stdin.read() if args.mrz == "-" else args.mrz
        if is_licence_line(text):
            m = parse_licence(text)
        else:
            info = _mrz_information(text)
            if info is not None:
                return info, EMRTD
            lines = [line for line in text.replace("\\n", "\n").split() if line]
            m = mrzlib.parse(lines)
    if not m.valid:
        raise InputError("the MRZ does not pass its check digits, so it cannot open the chip: "
                         "re-type it or re-take the photo")
    key = m.access_key()
    assert isinstance(key, Secret)
    return key, (LICENCE if m.format == "DL1" else EMRTD)


def _save(directory: Path, data: Any) -> list[str]:
    """EF.COM, EF.SOD, the DGs and EF.CardAccess as read, readable by the owner only (they
    hold personal data). ``python -m hw.vchip --persona DIR`` serves such a directory.

    The directory is created 0700 (an existing one is tightened to 0700 and must not be
    a symbolic link); files are created with ``O_EXCL | O_NOFOLLOW``, so an existing file
    or a planted symlink is never overwritten or followed.
    """
    if directory.is_symlink():
        raise InputError(f"--save {directory}: is a symbolic link; give a real directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    com = getattr(getattr(data, "com", None), "raw", b"")
    card_access = getattr(data, "card_access", b"")
    written = ([("EF.COM", bytes(com))] if com else []) + [("EF.SOD", data.sod_bytes)] \
        + [(f"DG{n}.bin", raw) for n, raw in sorted(data.dg_bytes.items())] \
        + ([("EF.CardAccess", card_access)] if card_access else [])
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for name, raw in written:
        try:
            fd = os.open(directory / name, flags, 0o600)
        except FileExistsError:
            raise InputError(f"--save {directory}: {name} exists already; save into an empty "
                             "directory") from None
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
    return [name for name, _ in written]


def cmd_read(args: argparse.Namespace) -> int:
    from checkedid.nfc.iso7816.pcsc import PcscTransport
    from checkedid.nfc.reader import ChipReader
    from checkedid.secret import SecretRegistry

    access, application = read_access(args)
    show = Progress(not args.json)
    secrets = SecretRegistry()
    if isinstance(access, Secret):
        secrets.add(access)
    transport: Any = PcscTransport(args.reader, timeout=args.timeout)
    if getattr(args, "trace", None) is not None:
        from checkedid.nfc.iso7816.trace import TraceRecorder

        transport = TraceRecorder(transport, args.trace)
    try:
        transport.connect()
        reader = ChipReader(transport, secrets=secrets, timeout=args.read_timeout,
                            progress=lambda f, d, t: show("reading", f, d, t),
                            application=application)
        data = reader.read(access)
        show.done()
        out = data.summary()
        if not args.no_fields:
            from checkedid.nfc.lds.edl import LicenceDG1

            out["dg1"] = (data.dg1.licence.to_dict() if isinstance(data.dg1, LicenceDG1)
                          else _dg1_fields(data.dg1.mrz))
        code = EXIT_OK
        if args.trust:
            code = _authenticate(args.trust, data, out)
        else:
            _unauthenticated(out)
        if args.save is not None:
            out["saved"] = {"directory": str(args.save), "files": _save(args.save, data)}
        emit(args, out, _human(out))
        return code
    finally:
        show.done()
        transport.disconnect()
        close = getattr(transport, "close", None)
        if callable(close):
            close()
        secrets.wipe_all()


_DG1_FIELDS = ("document_code", "issuing_state", "document_number", "surname", "given_names",
               "nationality", "birth_date", "sex", "expiry_date")


def _dg1_fields(mrz: Any) -> dict[str, Any]:
    """The holder's DG1 fields as printed for the operator (never the access key)."""
    out: dict[str, Any] = {}
    for name in _DG1_FIELDS:
        value = getattr(mrz, name, None)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _authenticate(trust_paths: list[str], data: Any, out: dict[str, Any]) -> int:
    """Passive Authentication with ``--trust``; AA/CA bound to it; ``verified`` and exit code."""
    from checkedid.nfc import genuine
    from checkedid.nfc.pki.trust import TrustStore
    from checkedid.verdict import Verdict

    groups = genuine.authenticate(data, TrustStore.load(trust_paths))
    out["authentication"] = {n: g.to_dict() for n, g in groups.items()}
    verified = all(g.passed or (n in ("active", "chip") and g.verdict is Verdict.NOT_SUPPORTED)
                   for n, g in groups.items())
    out["verified"] = verified
    return EXIT_OK if verified else EXIT_FAILED


def _unauthenticated(out: dict[str, Any]) -> None:
    """Without ``--trust`` nothing proves the files genuine: say so instead of PASSED.

    Active and Chip Authentication only show that the chip holds the private key of the
    DG15/DG14 it presents; until Passive Authentication binds those files to a trusted
    CSCA, a cloned or forged chip passes them with keys of its own.
    """
    unbound = ("not bound: the chip proved it holds the key in its own {dg}, but without "
               "--trust that {dg} is not authenticated (Passive Authentication was not run)")
    auth = out.setdefault("authentication", {})
    for group, dg in (("active", "DG15"), ("chip", "DG14")):
        seen = auth.get(group) or {}
        if seen.get("verdict") == "PASSED":
            auth[group] = {**seen, "verdict": "NOT_CHECKED", "reason": unbound.format(dg=dg)}
    auth["passive"] = {"verdict": "NOT_CHECKED", "reason": "Passive Authentication was not run: "
                       "give --trust with the issuing state's CSCA to authenticate the data"}
    out["verified"] = None


def _human(out: dict[str, Any]) -> str:
    lines = [f"protocol: {out['protocol']}"]
    acc = out["access"]
    lines.append(f"chunks: {acc.get('chunk_size')} bytes"
                 + (" (extended length)" if acc.get("extended_length") else " (short APDUs)"))
    lines.append("files:")
    lines += [f"  {name:10} {size:7} bytes" for name, size in out["files"].items()]
    if out.get("face_image"):
        h, w = out["face_image"][:2]
        lines.append(f"face image: {w}x{h}")
    for name, value in out.get("dg1", {}).items():
        lines.append(f"  {name:16} {value}")
    for key, group in out["authentication"].items():
        lines.append(f"{key} authentication: {group['verdict']} ({group['reason']})")
    if "verified" in out:
        verified = out["verified"]
        lines.append("verified: " + ("not checked (no --trust)" if verified is None
                                     else "yes" if verified else "NO"))
    t = out["timings"]
    lines.append(f"time: {t.get('total', 0):.2f} s, {out['apdu_count']} APDUs"
                 + (f", {out['recoveries']} recoveries" if out["recoveries"] else ""))
    lines += [f"warning: {w}" for w in out["warnings"]]
    if "saved" in out:
        lines.append(f"saved {len(out['saved']['files'])} files to {out['saved']['directory']}")
    return "\n".join(lines)
