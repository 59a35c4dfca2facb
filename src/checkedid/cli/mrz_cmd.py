"""CLI command: mrz — read and validate the MRZ of a document photo, or parse MRZ text.

``checkedid mrz IMAGE`` runs :func:`checkedid.mrz.read` (locate, OCR, check-digit-guided
correction); ``checkedid mrz --text 'LINE1 LINE2'`` (or ``--text -`` for stdin) parses
text an integrator already has. ``checkedid mrz --video FILE`` or ``--camera N`` feeds the
frames of a video file or a camera (OpenCV VideoCapture) to
:class:`checkedid.mrz.scanner.MRZScanner`, which votes per character over the frames and
prints guidance (reason codes such as ``mrz.hold_still``) while it reads. Output: the
fields, the MRZ lines, and the status of every check digit (ICAO Doc 9303-3 §4.9). Key
material is never printed.

Exit codes: 0 all check digits hold, 1 the MRZ was read but a check digit fails,
2 unreadable file, no MRZ found or malformed text.
"""

from __future__ import annotations

import argparse
import sys

from checkedid.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_json_flag,
    emit,
    readable_file,
)
from checkedid.errors import InputError
from checkedid.mrz.licence import LicenceMRZ
from checkedid.mrz.model import MRZ

__all__ = ["cmd_mrz", "register"]

_FORMAT_NAMES = {"TD1": "TD1 (ID card, 3 x 30)", "TD2": "TD2 (ID card, 2 x 36)",
                 "TD3": "TD3 (passport, 2 x 44)", "MRVA": "MRV-A (visa, 2 x 44)",
                 "MRVB": "MRV-B (visa, 2 x 36)"}
_MAX_STDIN = 64 * 1024


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "mrz", help="read and validate the MRZ in a document photo",
        description=("Read the machine-readable zone of a passport, ID card or visa photo (or "
                     "parse MRZ text with --text) and print its fields and check-digit status. "
                     "Exit 0 when every check digit holds, 1 when one fails, 2 when no MRZ "
                     "can be read."))
    p.add_argument("image", nargs="?", type=readable_file,
                   help="photo of the document (JPEG, PNG, ...)")
    p.add_argument("--engine", default="default",
                   help="OCR engine: 'default' (built-in OCR-B recogniser) or 'tesseract'")
    p.add_argument("--text", metavar="MRZ",
                   help="parse this MRZ text instead of reading a photo (lines separated by "
                        "newlines or spaces; '-' reads standard input)")
    p.add_argument("--correct", action="store_true",
                   help="with --text: repair OCR look-alikes (0/O, 1/I, ...) guided by the "
                        "check digits")
    p.add_argument("--video", metavar="FILE",
                   help="read the MRZ from the frames of a video file")
    p.add_argument("--camera", metavar="N", type=int,
                   help="read the MRZ from camera device N (e.g. 0)")
    p.add_argument("--timeout", metavar="S", type=float, default=60.0,
                   help="with --camera: give up after S seconds (default 60)")
    add_json_flag(p)
    p.set_defaults(func=cmd_mrz)


def _read_text(value: str) -> str:
    if value != "-":
        return value
    data = sys.stdin.read(_MAX_STDIN + 1)
    if len(data) > _MAX_STDIN:
        raise InputError("standard input is too long to be MRZ text")
    return data


def _human(m: MRZ) -> str:
    status = {True: "ok", False: "FAILED", None: "-"}
    rows = [
        ("format", _FORMAT_NAMES.get(m.format, m.format)),
        ("document code", m.document_code),
        ("issuing state", m.issuing_state),
        ("document number", m.document_number),
        ("surname", m.surname),
        ("given names", m.given_names),
        ("nationality", m.nationality),
        ("date of birth", m.birth_date.isoformat() if m.birth_date else "unknown"),
        ("sex", m.sex),
        ("date of expiry", m.expiry_date.isoformat() if m.expiry_date else "unknown"),
        ("optional data", m.optional_data or "-"),
    ]
    if m.format == "TD1":
        rows.append(("optional data 2", m.optional_data_2 or "-"))
    out = [f"{k:<16} {v}" for k, v in rows]
    out.append(f"{'MRZ':<16} {m.lines[0]}")
    out.extend(f"{'':<16} {ln}" for ln in m.lines[1:])
    out.append(f"{'check digits':<16} " + ", ".join(
        f"{k.replace('_', ' ')} {status[v]}" for k, v in m.checks.items()))
    out.append(f"{'valid':<16} {'yes' if m.valid else 'NO'}"
               + (f" ({m.corrections} character(s) corrected)" if m.corrections else ""))
    out.extend(f"{'warning':<16} {w}" for w in m.warnings)
    return "\n".join(out)


def _human_licence(m: LicenceMRZ) -> str:
    rows = [("format", "driving licence (1 x 30)"), ("document code", m.document_code),
            ("issuing state", m.issuing_state), ("BAP config", m.bap_configuration),
            ("version", m.version), ("licence number", m.document_number),
            ("MRZ", m.lines[0]),
            ("check digit", "ok" if m.checks["composite"] else "FAILED"),
            ("valid", ("yes" if m.valid else "NO")
             + (f" ({m.corrections} character(s) corrected)" if m.corrections else ""))]
    out = [f"{k:<16} {v}" for k, v in rows]
    out.extend(f"{'warning':<16} {w}" for w in m.warnings)
    return "\n".join(out)


def cmd_mrz(args: argparse.Namespace) -> int:
    from checkedid import mrz as mrzlib
    from checkedid.mrz.licence import is_licence_line, parse_licence

    sources = [x for x in (args.image, args.text, getattr(args, "video", None),
                           getattr(args, "camera", None)) if x is not None]
    if len(sources) > 1:
        raise InputError("give one of IMAGE, --text, --video or --camera")
    result: MRZ | LicenceMRZ
    if getattr(args, "video", None) is not None or getattr(args, "camera", None) is not None:
        from checkedid.cli.mrz_video import scan

        found = scan(args)
        if found is None:
            return EXIT_USAGE
        result = found
    elif args.text is not None:
        text = _read_text(args.text)
        result = parse_licence(text, correct=args.correct) if is_licence_line(text) \
            else mrzlib.parse(text, correct=args.correct)
    elif args.image is not None:
        result = mrzlib.read(args.image, engine=args.engine)
    else:
        raise InputError("give the photo of a document (IMAGE), MRZ text (--text), a video "
                         "(--video) or a camera (--camera)")
    human = _human_licence(result) if isinstance(result, LicenceMRZ) else _human(result)
    emit(args, result.to_dict(), human)
    return EXIT_OK if result.valid else EXIT_FAILED
