"""``checkedid demo``: the whole verification against the virtual chip of the test bed.

The test bed (virtual chip, test PKI, generated document photos, sample selfies) lives in the
source checkout's ``hw/testbed.py``, not in the library: :func:`load_testbed` is the one entry
point that reaches it, and it works only when checkedid runs from a clone of the repository
(``bash scripts/demo.sh``). The library never imports ``hw`` otherwise; an installed wheel
gets a clear :class:`~checkedid.errors.InputError` from the ``demo`` command instead.

The functions below are thin, typed doors to the test bed, for the CLI, the chip tests and
the benchmarks. What the demo does step by step is described in ``hw/testbed.py``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, overload

from checkedid.api import FieldName
from checkedid.errors import InputError
from checkedid.result import Result

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from checkedid.nfc.pki.trust import TrustStore
    from checkedid.pipeline import ProgressEvent

__all__ = ["DEFAULT_PERSONA", "document_photo", "load_testbed", "run_demo", "sample_selfie",
           "virtual_trust_store"]

DEFAULT_PERSONA = "utopia-id-pace-gm"
#: The checkout root when checkedid runs from ``src/`` of a clone (``hw/`` beside ``src/``).
CHECKOUT = Path(__file__).resolve().parents[2]
TESTBED_MODULE = "hw.testbed"


def load_testbed() -> ModuleType:
    """The source checkout's ``hw.testbed`` module: the one way the library reaches ``hw``.

    Raises :class:`InputError` with what to do when checkedid is not run from a checkout.
    """
    if not (CHECKOUT / "hw" / "testbed.py").is_file():
        raise InputError(
            "the demo needs a source checkout of checkedid (its hw/ directory holds the "
            "virtual chip); clone the repository and run 'bash scripts/demo.sh'"
        )
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    return importlib.import_module(TESTBED_MODULE)


def sample_selfie(photo: str, *, impostor: bool = False) -> Path:
    """Another sample photo of the person in ``photo`` (or of somebody else if ``impostor``)."""
    path: Path = load_testbed().sample_selfie(photo, impostor=impostor)
    return path


@overload
def document_photo(persona: str, *, seed: int = ...,
                   png: Literal[False] = ...) -> npt.NDArray[np.uint8]: ...
@overload
def document_photo(persona: str, *, seed: int = ..., png: Literal[True]) -> bytes: ...
def document_photo(persona: str, *, seed: int = 1,
                   png: bool = False) -> npt.NDArray[np.uint8] | bytes:
    """A generated, easily readable photo of ``persona``'s document (BGR array, or PNG bytes)."""
    tb = load_testbed()
    if png:
        encoded: bytes = tb.document_photo_png(persona, seed=seed)
        return encoded
    image: npt.NDArray[np.uint8] = tb.document_photo(persona, seed=seed)
    return image


def virtual_trust_store() -> TrustStore:
    """The trust store of the virtual chips: the test PKI's CSCAs, link certificate and CRLs."""
    store: TrustStore = load_testbed().virtual_trust_store()
    return store


def run_demo(
    *,
    persona: str | None = None,
    fault: str | None = None,
    selfie: str | Path | None = None,
    impostor: bool = False,
    fields: Sequence[FieldName] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    say: Callable[[str], None] | None = None,
    port: int | None = None,
) -> tuple[Result, dict[str, Any]]:
    """Run the full verification against the virtual chip; returns the result and demo facts."""
    out: tuple[Result, dict[str, Any]] = load_testbed().run_demo(
        persona=persona, fault=fault, selfie=selfie, impostor=impostor, fields=fields,
        progress=progress, say=say, port=port)
    return out
