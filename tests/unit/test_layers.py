"""Imports point one way: the layers of checkedid, checked on the syntax tree of every module.

``checkedid.nfc`` is split by layer (docs/architecture.md): ``iso7816`` (APDUs, BER-TLV,
transports, PC/SC) and ``crypto`` (curves, domain parameters, public keys) at the bottom;
``sm`` (secure messaging and the connection that stacks it) and ``lds`` (every file parser)
above them; then reading files, Passive Authentication (``pki``), access (BAC/BAP, PACE)
and chip authentication (``auth``); the reader and the authentication verdicts on top. A
module may import its own part and the parts listed for it below, at module level or
inside a function alike. Outside ``nfc``: ``mrz`` and ``biometrics`` never import ``nfc``;
the core modules import none of the three; ``nfc`` never imports the pipeline, the
session, the kiosk or the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "checkedid"
NFC = SRC / "nfc"

#: part of checkedid.nfc -> the other parts it may import
ALLOWED: dict[str, set[str]] = {
    "iso7816": set(),
    "crypto": set(),
    "sm": {"iso7816", "crypto"},
    "lds": {"iso7816", "crypto"},
    "chunking": {"iso7816"},
    "files": {"iso7816", "lds", "chunking", "sm"},
    "pki": {"iso7816", "crypto", "lds"},
    "access": {"iso7816", "crypto", "sm", "lds", "files", "chunking"},
    "auth": {"iso7816", "crypto", "sm", "lds", "files", "access"},
    "application": {"files", "lds"},
    "chipdata": {"lds", "crypto"},
    "edl": {"application", "chipdata", "lds"},
    # the reader orchestrates a read and never judges it: no pki, no verdict rules
    "reader": {"iso7816", "crypto", "sm", "lds", "chunking", "files", "access", "auth",
               "application", "chipdata", "edl"},
    "genuine": {"iso7816", "crypto", "lds", "pki", "access", "auth", "chipdata"},
    "__init__": {"iso7816"},
}
CORE = ("errors", "secret", "verdict", "imaging")
HIGHER = ("pipeline", "session", "stepwise", "held", "kiosk", "cli", "demo")


def _imports(path: Path) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def _part(module: str) -> str | None:
    """The part of checkedid.nfc that ``module`` belongs to (None outside nfc)."""
    parts = module.split(".")
    if parts[:2] != ["checkedid", "nfc"] or len(parts) < 3:
        return None
    name = parts[2]
    return name if (NFC / name).is_dir() or (NFC / f"{name}.py").is_file() else None


def _source_part(path: Path) -> str:
    rel = path.relative_to(NFC).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def _nfc_files() -> list[Path]:
    return sorted(NFC.rglob("*.py"))


def test_every_part_has_a_rule() -> None:
    parts = {_source_part(p) for p in _nfc_files()}
    assert parts <= set(ALLOWED), f"no layering rule for {sorted(parts - set(ALLOWED))}"
    assert {"iso7816", "sm", "access", "auth", "pki", "lds", "crypto"} <= parts


@pytest.mark.parametrize("path", _nfc_files(), ids=lambda p: p.relative_to(NFC).as_posix())
def test_nfc_imports_point_down(path: Path) -> None:
    me = _source_part(path)
    bad = []
    for line, module in _imports(path):
        other = _part(module)
        if other is not None and other != me and other not in ALLOWED[me]:
            bad.append(f"line {line}: {module}")
        if module.split(".")[:2] in (["checkedid", h] for h in HIGHER):
            bad.append(f"line {line}: {module} (a higher layer)")
    assert not bad, f"nfc/{path.relative_to(NFC)} ({me}) imports upwards: {bad}"


@pytest.mark.parametrize("package", ["mrz", "biometrics"])
def test_mrz_and_biometrics_never_import_nfc(package: str) -> None:
    for path in sorted((SRC / package).rglob("*.py")):
        bad = [m for _, m in _imports(path)
               if m == "checkedid.nfc" or m.startswith("checkedid.nfc.")]
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_no_layer(module: str) -> None:
    path = SRC / f"{module}.py"
    layers = ("checkedid.nfc", "checkedid.mrz", "checkedid.biometrics", "checkedid.kiosk")
    bad = [m for _, m in _imports(path) if m.startswith(layers)]
    assert not bad, f"{module}.py imports {bad}"


def test_only_pcsc_imports_pyscard() -> None:
    users = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
                   if any(m == "smartcard" or m.startswith("smartcard.") for _, m in _imports(p)))
    assert users == ["nfc/iso7816/pcsc.py"], users
