"""checkedid — verify identity documents the way a border kiosk does.

The safe front door::

    import checkedid

    with checkedid.Session(trust="csca/") as session:
        result = session.verify("document.jpg", "selfie.jpg")
    print(result.decision, result.to_dict())

``checkedid.verify(...)`` is the one-shot form. Everything personal stays in
memory and is zeroed when the session ends; only the fields you ask for leave it.

Lower layers are importable on their own: :mod:`checkedid.mrz` (MRZ parsing and
OCR), :mod:`checkedid.nfc` (PC/SC, PACE/BAC, secure messaging, LDS, PA/AA/CA),
:mod:`checkedid.biometrics` (face matching).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkedid import errors
from checkedid.errors import CheckedIDError
from checkedid.secret import Secret
from checkedid.verdict import Check, CheckGroup, Verdict

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_FIELDS",
    "Check",
    "CheckGroup",
    "CheckedIDError",
    "Decision",
    "FieldName",
    "ImageInput",
    "Isolation",
    "ProgressEvent",
    "Result",
    "Secret",
    "Session",
    "TrustStore",
    "Verdict",
    "__version__",
    "errors",
    "list_readers",
    "verify",
]

if TYPE_CHECKING:
    from checkedid.api import FieldName, ImageInput, Isolation
    from checkedid.nfc.iso7816.pcsc import list_readers
    from checkedid.nfc.pki.trust import TrustStore
    from checkedid.pipeline import ProgressEvent
    from checkedid.result import DEFAULT_FIELDS, Decision, Result
    from checkedid.session import Session, verify

_LAZY = {
    "Session": "checkedid.session",
    "Result": "checkedid.result",
    "Decision": "checkedid.result",
    "DEFAULT_FIELDS": "checkedid.result",
    "verify": "checkedid.session",
    "ProgressEvent": "checkedid.pipeline",
    "TrustStore": "checkedid.nfc.pki.trust",
    "list_readers": "checkedid.nfc.iso7816.pcsc",
    "FieldName": "checkedid.api",
    "ImageInput": "checkedid.api",
    "Isolation": "checkedid.api",
}


def __getattr__(name: str) -> Any:
    # Heavy modules (OpenCV, pyscard) load only when the pipeline is used.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'checkedid' has no attribute {name!r}")
