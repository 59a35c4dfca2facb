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
    # the session a read runs in: access step, recovery, same-document check
    "readsession": {"iso7816", "sm", "files", "access", "application"},
    # the reader orchestrates a read and never judges it: no pki, no verdict rules
    "reader": {"iso7816", "crypto", "sm", "lds", "chunking", "files", "access", "auth",
               "application", "chipdata", "edl", "readsession"},
    "genuine": {"iso7816", "crypto", "lds", "pki", "access", "auth", "chipdata"},
    "__init__": {"iso7816"},
}
CORE = ("errors", "secret", "verdict", "imaging")
HIGHER = ("pipeline", "progress", "facestep", "session", "stepwise", "held", "kiosk", "cli", "demo")


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


def _runtime_imports(path: Path) -> set[str]:
    """The checkedid modules ``path`` imports when it runs (module level or inside a
    function); imports under ``if TYPE_CHECKING:`` are for annotations only and left out."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        visit(node)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def _top_module(name: str) -> str | None:
    """``checkedid.X`` for a name inside a top-level module or package X (None outside)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "checkedid" and len(parts) > 1 else None


#: The modules of the public API and the verification run: none may reach back to itself.
API_MODULES = ("api", "result", "pipeline", "progress", "facestep", "session", "stepwise",
               "held", "isolation", "serving", "workerwire", "document_fields", "policy",
               "docportrait")


def _api_graph() -> dict[str, set[str]]:
    names = {f"checkedid.{m}" for m in API_MODULES}
    graph: dict[str, set[str]] = {}
    for module in API_MODULES:
        targets = {_top_module(n) for n in _runtime_imports(SRC / f"{module}.py")}
        graph[f"checkedid.{module}"] = {t for t in targets if t in names} - {f"checkedid.{module}"}
    return graph


def test_api_modules_import_no_cycle() -> None:
    graph = _api_graph()
    cycles = []
    for start in graph:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join([*path, nxt]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, f"import cycles: {cycles}"


def test_cycle_finder_sees_a_lazy_import(tmp_path: Path) -> None:
    # the rule counts imports inside functions and ignores TYPE_CHECKING blocks
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from checkedid.session import Session\n"
                      "def f():\n    from checkedid.result import Result\n")
    assert {_top_module(n) for n in _runtime_imports(module)} >= {"checkedid.result"}
    assert "checkedid.session" not in {_top_module(n) for n in _runtime_imports(module)}


@pytest.mark.parametrize("module", ["checkedid.session", "checkedid.pipeline",
                                    "checkedid.result", "checkedid.api"])
def test_api_module_imports_alone(module: str) -> None:
    # a fresh interpreter imports the module first, before any other checkedid module
    import subprocess
    import sys

    code = f"import {module}, checkedid; assert checkedid.verify.__module__ == 'checkedid.session'"
    env_path = str(SRC.parent)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                          env={"PYTHONPATH": env_path, "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
