"""The front door: exported names, and no ``Any`` in the public signatures."""

from __future__ import annotations

import enum
import inspect
import typing
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

import checkedid
from checkedid import api
from checkedid.errors import InputError
from checkedid.result import ALL_FIELDS, DEFAULT_FIELDS


def _mentions_any(hint: object) -> bool:
    if hint is Any:
        return True
    args = get_args(hint)
    if typing.get_origin(hint) is np.ndarray:  # numpy's own shape parameter is Any
        args = args[1:]
    return any(_mentions_any(a) for a in (args if isinstance(args, tuple) else ()))


def _hint_namespace() -> dict[str, object]:
    """The names the public modules import for annotations only (``TYPE_CHECKING``)."""
    import checkedid.pipeline
    import checkedid.session
    from checkedid.biometrics.embed import Embedding
    from checkedid.biometrics.match import MatchResult
    from checkedid.held import HeldWorker
    from checkedid.mrz.model import MRZ
    from checkedid.nfc.iso7816.transport import Transport
    from checkedid.nfc.pki.trust import TrustStore

    return {**vars(checkedid.session), **vars(checkedid.pipeline), **vars(api),
            "TrustStore": TrustStore, "Transport": Transport, "Embedding": Embedding,
            "MatchResult": MatchResult, "HeldWorker": HeldWorker, "MRZ": MRZ,
            "ProgressEvent": checkedid.ProgressEvent}


def _public_callables() -> dict[str, object]:
    """Every function, class (its fields) and public method or property exported by
    ``checkedid.__all__``; type aliases are hints themselves."""
    out: dict[str, object] = {}
    for name in checkedid.__all__:
        obj = getattr(checkedid, name)
        if inspect.ismodule(obj) or isinstance(obj, str | tuple):
            continue
        if not inspect.isclass(obj):
            out[name] = obj
            continue
        if issubclass(obj, enum.Enum):
            continue
        out[name] = obj  # the class's own annotations (dataclass fields)
        for attr, value in vars(obj).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            if isinstance(value, property):
                value = value.fget
            elif isinstance(value, classmethod | staticmethod):
                value = value.__func__
            if inspect.isfunction(value):
                out[f"{name}.{attr}"] = value
    return out


PUBLIC = _public_callables()


def test_the_walk_covers_the_front_door() -> None:
    assert {"Session.__init__", "Session.verify", "Session.read_document",
            "Session.match_selfie", "verify", "Result", "Result.to_dict", "Result.from_dict",
            "ProgressEvent", "ProgressEvent.from_dict", "CheckGroup.of", "FieldName",
            "ImageInput", "TrustStore"} <= set(PUBLIC)


def test_the_walk_finds_any() -> None:
    def leaky(x: dict[str, Any]) -> list[int]:
        return []

    hints = typing.get_type_hints(leaky)
    assert _mentions_any(hints["x"]) and not _mentions_any(hints["return"])
    assert not _mentions_any(api.ImageInput)  # ndarray's shape parameter is numpy's


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_no_any_in_public_signatures(name: str) -> None:
    obj = PUBLIC[name]
    if not callable(obj) or typing.get_origin(obj) is not None:  # a type alias
        assert not _mentions_any(obj), name
        return
    hints = typing.get_type_hints(obj, localns=_hint_namespace())
    with_any = sorted(k for k, v in hints.items() if _mentions_any(v))
    assert with_any == [], f"{name}: {with_any}"


def test_front_door_exports() -> None:
    from checkedid.nfc.iso7816.pcsc import list_readers
    from checkedid.nfc.pki.trust import TrustStore
    from checkedid.pipeline import ProgressEvent

    assert checkedid.ProgressEvent is ProgressEvent
    assert checkedid.TrustStore is TrustStore
    assert checkedid.list_readers is list_readers
    assert checkedid.DEFAULT_FIELDS == DEFAULT_FIELDS
    for name in checkedid.__all__:
        assert getattr(checkedid, name) is not None, name


def test_field_literal_matches_the_result_fields() -> None:
    assert get_args(api.FieldName) == ALL_FIELDS
    assert set(DEFAULT_FIELDS) <= set(get_args(api.FieldName))
    assert api.field_names("surname, age") == ("surname", "age")
    with pytest.raises(InputError, match="unknown result field"):
        api.field_names(["surname", "religion"])


def test_image_input_is_the_documented_union() -> None:
    args = set(get_args(api.ImageInput))
    assert {str, Path, bytes} <= args
    assert any(typing.get_origin(a) is np.ndarray for a in args)


def test_isolation_literal_is_enforced_at_run_time() -> None:
    assert get_args(api.Isolation) == ("process", "none")
    with pytest.raises(InputError, match="isolation must be"):
        checkedid.Session(isolation="thread")  # type: ignore[arg-type]


def test_progress_event_refuses_unknown_steps() -> None:
    from checkedid.errors import InternalError

    ev = checkedid.ProgressEvent.from_dict({"step": "chip", "state": "progress", "file": "DG2",
                                            "done": 10, "total": 20})
    assert (ev.step, ev.state, ev.done, ev.total) == ("chip", "progress", 10, 20)
    with pytest.raises(InternalError, match="unknown progress event"):
        checkedid.ProgressEvent.from_dict({"step": "teleport", "state": "start"})


def test_verify_signature_matches_session_verify() -> None:
    one_shot = inspect.signature(checkedid.verify).parameters
    method = inspect.signature(checkedid.Session.verify).parameters
    assert {"document_image", "selfie", "can", "fields", "progress", "timeout"} <= set(one_shot)
    assert {"document_image", "selfie", "can", "fields", "progress", "timeout"} <= set(method)
