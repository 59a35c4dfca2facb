"""CLI command: pa (Passive Authentication of saved EF.SOD and DG files).

::

    checkedid pa --sod EF.SOD --dg 1=DG1.bin --dg 2=DG2.bin --trust csca/ --trust DE.ml

Prints each check of ICAO Doc 9303-11 5.1 (see :mod:`checkedid.nfc.pki.pa`) with its
verdict and reason. Exit 0 when every check PASSED, 1 when one FAILED or could not
be run (NOT_CHECKED: e.g. no ``--trust``), 2 for unusable input (a missing file,
a bad ``--dg`` argument, unusable trust material).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from checkedid.cli.output import EXIT_FAILED, EXIT_OK, add_json_flag, emit
from checkedid.errors import InputError
from checkedid.verdict import Verdict, json_list

__all__ = ["cmd_pa", "register"]

_MAX_FILE = 16 * 1024 * 1024


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "pa", help="run Passive Authentication on saved EF.SOD and DG files",
        description=("Run Passive Authentication (ICAO Doc 9303-11 5.1) on files saved from a "
                     "chip: the data-group hashes against EF.SOD, the document signer's "
                     "signature, its chain to a trusted CSCA, validity and revocation."),
        epilog="Exit codes: 0 all checks passed, 1 a check failed or could not be run, "
               "2 unusable input.")
    p.add_argument("--sod", required=True, metavar="FILE", help="EF.SOD as read from the chip")
    p.add_argument("--dg", action="append", default=[], metavar="N=FILE",
                   help="data group N as read from the chip (repeatable)")
    p.add_argument("--trust", action="append", default=[], metavar="PATH",
                   help="CSCA certificates dir, master list or CRL (repeatable)")
    p.add_argument("--at", metavar="DATE", help="judge certificate validity at this ISO date "
                   "(default: now)")
    add_json_flag(p)
    p.set_defaults(func=cmd_pa)


def _read(path: str, what: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_FILE:
            raise InputError(f"{what} file {path} is larger than 16 MiB: not a chip file")
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}") from None


def _dgs(specs: list[str]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for spec in specs:
        number, sep, path = spec.partition("=")
        number = number.strip().upper().removeprefix("DG")
        if not sep or not number.isdigit() or not 1 <= int(number) <= 16 or not path:
            raise InputError(f"--dg {spec!r}: use N=FILE with N from 1 to 16, e.g. --dg 1=DG1.bin")
        if int(number) in out:
            raise InputError(f"--dg: data group {int(number)} given twice")
        out[int(number)] = _read(path, f"DG{int(number)}")
    return out


def _when(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at {text!r}: use an ISO date such as 2030-01-31") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def cmd_pa(args: argparse.Namespace) -> int:
    from checkedid.nfc.pki.pa import passive_authenticate
    from checkedid.nfc.pki.trust import TrustStore

    sod = _read(args.sod, "EF.SOD")
    if sod[:1] != b"\x77":
        # Not even the EF.SOD wrapper (tag 77, Doc 9303-10 4.6.2): a wrong file, not a forgery.
        # A file that starts like an EF.SOD but does not parse is judged: sod_parse FAILED.
        raise InputError(f"{args.sod} is not an EF.SOD (it does not start with tag 77): pass "
                         "the file saved as EF.SOD (checkedid read --save writes it)")
    dgs = _dgs(args.dg)
    at = _when(args.at)
    trust = TrustStore.load(*args.trust) if args.trust else None
    group = passive_authenticate(sod, dgs, trust, at=at)
    data: dict[str, Any] = {"passive": group.to_dict()}
    if trust is not None:
        data["trust"] = {"certificates": len(trust), "crls": trust.crl_count,
                         "sources": [asdict(s) for s in trust.sources]}
    lines = [f"Passive Authentication: {group.verdict.value}"]
    width = max(len(c.name) for c in group.checks)
    for c in group.checks:
        lines.append(f"  {c.name:<{width}}  {c.verdict.value:<13} {c.reason}")
    details = group.details
    for key in ("hash_algorithm", "signature_algorithm", "ds_key", "ds_country", "csca_subject"):
        if key in details:
            lines.append(f"  {key}: {details[key]}")
    for warning in json_list(details.get("warnings")):
        lines.append(f"  warning: {warning}")
    for source in trust.sources if trust is not None else []:
        if source.kind == "master_list":
            lines.append(f"  master list {source.path}: signed by {source.signer}, vouched for "
                         f"by the pinned CSCA {source.anchor}")
    if trust is None:
        lines.append("  (no --trust given: the chain to a CSCA and revocation were not checked)")
    emit(args, data, "\n".join(lines))
    return EXIT_OK if group.verdict is Verdict.PASSED else EXIT_FAILED
