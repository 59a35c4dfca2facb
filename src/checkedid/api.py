"""The types of the public API's inputs (no ``Any`` in what a caller passes).

* :data:`ImageInput` — a document photo or a selfie: a path (``str`` or :class:`~pathlib.Path`),
  encoded bytes (JPEG, PNG, JPEG 2000, BMP …) or a decoded numpy array (HxW grey, HxWx3 BGR,
  HxWx4 BGRA). One loader with one set of limits reads them all (:mod:`checkedid.imaging`).
* :data:`FieldName` — a personal field a relying organisation may ask for in the result
  (:data:`checkedid.result.ALL_FIELDS`; the default set is
  :data:`checkedid.result.DEFAULT_FIELDS`).
* :data:`Isolation` — where the personal-data steps run: ``"process"`` (a forked worker per
  verification, the default on POSIX) or ``"none"`` (the caller's process).
* :data:`TrustInput` — CSCA trust material: a loaded
  :class:`~checkedid.nfc.pki.trust.TrustStore`, or paths (directories of certificates, master
  lists, CRLs), or ``None`` (no trusted CSCA: no result is VERIFIED).
* :class:`FaceMatcherLike` — what ``Session(face_matcher=...)`` accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, Union, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from checkedid.biometrics.embed import Embedding
    from checkedid.biometrics.match import MatchResult
    from checkedid.nfc.iso7816.transport import Transport
    from checkedid.nfc.pki.trust import TrustStore

__all__ = ["FaceMatcherLike", "FieldName", "ImageInput", "Isolation", "TransportFactory",
           "TrustInput", "field_names"]

ImageInput: TypeAlias = str | Path | bytes | npt.NDArray[np.generic]

FieldName = Literal["surname", "given_names", "sex", "birth_date", "nationality",
                    "document_number", "document_type", "issuing_state", "expiry_date",
                    "optional_data", "age", "photo", "licence_categories", "birth_place",
                    "personal_number", "permit_type", "permit_remarks"]

Isolation = Literal["process", "none"]

TrustInput: TypeAlias = Union["TrustStore", str, Path, Sequence[str | Path], None]

TransportFactory: TypeAlias = Callable[[], "Transport"]


class FaceMatcherLike(Protocol):
    """A face matcher: :class:`checkedid.biometrics.FaceMatcher` or one on another backend."""

    def embed(self, image: ImageInput, *, role: Literal["selfie", "document"] = "selfie"
              ) -> Embedding: ...

    def compare(self, a: Embedding, b: Embedding) -> MatchResult: ...


def field_names(names: str | Sequence[str] | None) -> tuple[FieldName, ...]:
    """Field names from text (``"surname,given_names"``) or a list, checked; ``None``: the
    default set. Unknown names raise :class:`~checkedid.errors.InputError`."""
    from checkedid.result import validate_fields

    return cast("tuple[FieldName, ...]", validate_fields(names))
