"""CLI command: trust — maintain the operator's trust directory.

See :mod:`checkedid.nfc.pki.trustdir` for the layout and the checks.

::

    checkedid trust add --dir /etc/checkedid/trust DE_CSCA.cer DE_masterlist.ml
    checkedid trust update --dir /etc/checkedid/trust      # fetch the CSCAs' CRLs
    checkedid trust show --dir /etc/checkedid/trust --json

The directory is then the ``--trust`` of ``verify``, ``read``, ``pa`` and the kiosk.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from checkedid.cli.output import EXIT_FAILED, EXIT_OK, add_json_flag, emit, positive_float
from checkedid.errors import InputError

__all__ = ["register"]

_ENV = "CHECKEDID_TRUST_DIR"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "trust", help="maintain the trust directory (CSCAs, master lists, CRLs)",
        description="Maintain the trust directory that Passive Authentication relies on: "
                    "csca/ (pinned CSCA certificates), masterlists/ (master lists vouched for "
                    "by a pinned CSCA), crls/ (CRLs signed by a pinned CSCA).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = actions.add_parser("add", help="check and add CSCA certificates, master lists or CRLs",
                           description="Add trust material after checking it: a CSCA must be a "
                                       "CA certificate, a master list must verify under a "
                                       "pinned CSCA, a CRL must be signed by a pinned CSCA. "
                                       "Pin CSCAs first, then add master lists and CRLs.")
    a.add_argument("files", nargs="+", metavar="FILE", help="certificate, master list or CRL")
    u = actions.add_parser("update", help="fetch the CRLs named by the pinned CSCAs",
                           description="Fetch the CRL of every pinned CSCA from its CRL "
                                       "distribution points (HTTP/HTTPS, with If-Modified-"
                                       "Since), keep those that verify, report stale ones. "
                                       "Exit 1 when a CRL could not be fetched or is stale.")
    u.add_argument("--timeout", type=positive_float, default=15.0,
                   help="seconds per download (default 15)")
    s = actions.add_parser("show", help="countries, anchors, master lists and CRL freshness",
                           description="List the pinned anchors, the master lists and who "
                                       "vouched for them, and every CRL with its freshness.")
    for q in (a, u, s):
        q.add_argument("--dir", metavar="DIR", default=os.environ.get(_ENV),
                       help=f"the trust directory (default: ${_ENV})")
        add_json_flag(q)
    p.set_defaults(func=cmd_trust)


def _root(args: argparse.Namespace) -> Path:
    if not args.dir:
        raise InputError(f"give the trust directory with --dir DIR (or set ${_ENV})")
    return Path(args.dir)


def cmd_trust(args: argparse.Namespace) -> int:
    from checkedid.nfc.pki import trustdir

    root = _root(args)
    if args.action == "add":
        added = []
        for name in args.files:
            try:
                material = Path(name).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {name}: {exc.strerror}") from None
            added.append(trustdir.add(root, material, name))
        lines = [f"added {a.kind:<10} {a.country or '':<3} {a.subject}  -> {a.path}"
                 + (f"  ({a.detail})" if a.detail else "") for a in added]
        emit(args, {"added": [vars(a) for a in added]}, "\n".join(lines))
        return EXIT_OK
    if args.action == "update":
        report = trustdir.update(root, timeout=args.timeout)
        bad = [r for r in report if r.status == "failed" or r.stale]
        lines = [f"{r.status:<13} {r.url}  ({r.csca})"
                 + (f": {r.reason}" if r.reason else "")
                 + (f"; next update {r.next_update}" if r.next_update else "")
                 + ("  STALE" if r.stale else "") for r in report]
        if not report:
            lines = ["no pinned CSCA names an HTTP(S) CRL distribution point: add CRLs with "
                     "'checkedid trust add'"]
        emit(args, {"fetched": [vars(r) for r in report], "problems": len(bad)},
             "\n".join(lines))
        return EXIT_FAILED if bad else EXIT_OK
    data = trustdir.show(root)
    emit(args, data, _show_text(data))
    return EXIT_OK


def _show_text(data: dict[str, Any]) -> str:
    lines = [f"trust directory {data['directory']}: {data['certificates']} CSCA certificates"]
    lines.append("countries:")
    for country, c in sorted(data["countries"].items()):
        crls = ", ".join(c["crls"]) or "no CRL (revocation cannot be checked: INCOMPLETE)"
        lines.append(f"  {country:<3} {c['anchors']} pinned anchor(s); CRL: {crls}")
    lines.append("pinned anchors:")
    lines += [f"  {a['country']:<3} {a['subject']}  until {a['not_after']}"
              + ("  EXPIRED" if a["expired"] else "") for a in data["anchors"]]
    if data["master_lists"]:
        lines.append("master lists:")
        lines += [f"  {m['path']}: {m['certificates']} CSCAs, signed by {m['signer']}; "
                  f"{m['reason']}" for m in data["master_lists"]]
    if data["crls"]:
        lines.append("CRLs:")
        lines += [f"  {c['country']:<3} next update {c['next_update']}"
                  + ("  STALE" if c["stale"] else "") + f"  ({c['file']})" for c in data["crls"]]
    return "\n".join(lines)
