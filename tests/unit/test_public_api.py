"""The front door: exported names, and no ``Any`` in the public signatures."""

from __future__ import annotations

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

PUBLIC = {
    "Session.__init__": checkedid.Session.__init__,
    "Session.verify": checkedid.Session.verify,
    "Session.face_matcher": checkedid.Session.face_matcher,
    "Session.track": checkedid.Session.track,
    "verify": checkedid.verify,
    "ProgressEvent": checkedid.ProgressEvent,
}


def _mentions_any(hint: object) -> bool:
    if hint is Any:
        return True
    args = get_args(hint)
    if typing.get_origin(hint) is np.ndarray:  # numpy's own shape parameter is Any
        args = args[1:]
    return any(_mentions_any(a) for a in args)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_no_any_in_public_signatures(name: str) -> None:
    import checkedid.pipeline
    import checkedid.session
    from checkedid.biometrics.embed import Embedding
    from checkedid.biometrics.match import MatchResult
    from checkedid.nfc.iso7816.transport import Transport
    from checkedid.nfc.pki.trust import TrustStore

    ns = {**vars(checkedid.session), **vars(checkedid.pipeline), **vars(api),
          "TrustStore": TrustStore, "Transport": Transport, "Embedding": Embedding,
          "MatchResult": MatchResult, "ProgressEvent": checkedid.ProgressEvent}
    hints = typing.get_type_hints(PUBLIC[name], globalns=ns)
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
