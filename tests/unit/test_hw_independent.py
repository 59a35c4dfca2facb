"""The test hardware in hw/ is an independent implementation: it imports nothing from checkedid.

The virtual chip is the other side of every end-to-end test. If it used the library's
secure messaging, PACE, KDF, CA, AA or EC maths, a bug shared by both sides would pass
unnoticed. This test walks the syntax tree of every ``hw/**/*.py`` and fails on any import
of ``checkedid`` (top-level or inside a function, ``import`` or ``from ... import``,
including ``importlib.import_module("checkedid...")`` with a literal name).

ALLOWED lists the (module, imported name) pairs that may stay. The chip and the test PKI have
none: the chip declares its own status words, APDU and TLV handling, and the test PKI its own
ASN.1 schemas. The one exception is ``hw/testbed.py``, the demo driver: it plays the *terminal*
(it runs the library's public API against the chip, as a kiosk does), so it imports the front
door, errors, results, the trust store, the reader list and the document-photo generator —
no protocol module. Test helpers under tests/ may import both sides.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HW = ROOT / "hw"

#: (path relative to the repository, imported module) pairs that are allowed: the demo driver's
#: public-API imports only. Never add a chip or PKI module here.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    ("hw/testbed.py", module) for module in (
        "checkedid", "checkedid.api", "checkedid.errors", "checkedid.result",
        "checkedid.nfc.pki.trust", "checkedid.nfc.iso7816.pcsc", "checkedid.mrz"))


def _is_checkedid(name: str | None) -> bool:
    return name is not None and (name == "checkedid" or name.startswith("checkedid."))


def checkedid_imports(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, module)`` of every checkedid import in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_checkedid(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and _is_checkedid(node.module):
                found.append((node.lineno, str(node.module)))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) and _is_checkedid(first.value):
                found.append((node.lineno, first.value))
    return found


def _hw_files() -> list[Path]:
    return sorted(HW.rglob("*.py"))


def test_hw_has_python_files() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _hw_files()}
    assert {"hw/vchip/chip.py", "hw/vchip/secure_messaging.py", "hw/vchip/chip_pace.py",
            "hw/pki/sod.py"} <= names


@pytest.mark.parametrize("path", _hw_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_checkedid_import(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    bad = [(line, mod) for line, mod in checkedid_imports(path.read_text(), rel)
           if (rel, mod) not in ALLOWED]
    assert not bad, (f"{rel} imports the library ({bad}); the virtual chip and the test PKI "
                     "must stay independent of src/checkedid (write the code in hw/)")


@pytest.mark.parametrize(("source", "expected"), [
    ("import checkedid", ["checkedid"]),
    ("import checkedid.nfc.sm.messaging as sm", ["checkedid.nfc.sm.messaging"]),
    ("from checkedid.nfc import kdf", ["checkedid.nfc"]),
    ("def f():\n    from checkedid.nfc.iso7816.apdu import SW\n", ["checkedid.nfc.iso7816.apdu"]),
    ("import importlib\nimportlib.import_module('checkedid.nfc.access.pace')",
     ["checkedid.nfc.access.pace"]),
    ("__import__('checkedid')", ["checkedid"]),
    ("import checkedid_tools\nfrom hw.vchip import chip\nfrom . import x", []),
])
def test_the_check_sees_every_form(source: str, expected: list[str]) -> None:
    assert [mod for _, mod in checkedid_imports(source)] == expected
