"""The minimised outcome of one verification, and its versioned JSON schema.

A :class:`Result` carries the overall :class:`Decision`, the verdict of every
check with its reason, the face score, per-step timings, and *only* the personal
fields the relying party asked for. Schema (``"schema": "checkedid.result/1"``)::

    {
      "schema": "checkedid.result/1",
      "decision": "VERIFIED" | "REJECTED" | "INCOMPLETE",
      "reasons": ["passive: dg_hashes: ..."],          # why not VERIFIED (empty when VERIFIED)
      "checks": {                                        # every check group, always present
        "mrz":       {"verdict", "reason", "checks": [{"name", "verdict", "reason"}]},
        "access":    {...},   # PACE/BAC chip access
        "passive":   {...},   # Passive Authentication (dg_hashes, signed_attributes, ds_signature,
                              #   csca_chain, validity, revocation)
        "active":    {...},   # Active Authentication (NOT_SUPPORTED when the chip has no DG15)
        "chip":      {...},   # Chip Authentication / PACE-CAM (NOT_SUPPORTED without DG14)
        "consistency": {...}, # the photographed MRZ equals the chip's DG1
        "face":      {...},   # selfie vs chip photo
        "document_portrait": {...}  # printed portrait vs chip photo (when both were there)
      },
      "face": {"score": float, "threshold": float, "is_match": bool} | null,
      "document_portrait": {"score", "threshold", "is_match"} | null,
      "protocol": "PACE" | "BAC" | null,
      "fields": {"surname": "...", ...},                # only the fields that were asked for
      "photo_jpeg_base64": "..." ,                      # only when the field "photo" was asked for
      "timings": {"mrz": 0.031, "chip": 0.52, ...},     # seconds per step
      "warnings": ["..."]
    }

Decision rule: VERIFIED needs every check group PASSED, except ``active`` and
``chip`` which may be NOT_SUPPORTED (the document does not offer them: EF.SOD covers
no DG15 / no DG14 chip key; where it does, :mod:`checkedid.nfc.genuine` makes them
mandatory). ``document_portrait`` is warning-level unless the session makes it decide
(:mod:`checkedid.docportrait`): then it is in the groups the rule is applied to.
Any FAILED check gives REJECTED. Anything else (a check that could not run, e.g.
no trust store) gives INCOMPLETE: never a partial result presented as verified.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, cast

from checkedid.errors import InputError
from checkedid.verdict import CheckGroup, JSONValue, Verdict, json_list, json_map

__all__ = [
    "ALL_FIELDS",
    "CHECK_ORDER",
    "DEFAULT_FIELDS",
    "SCHEMA",
    "Decision",
    "FaceScore",
    "LicenceCategoryFields",
    "Result",
    "ResultFields",
    "decide",
    "validate_fields",
]

SCHEMA = "checkedid.result/1"

#: What a relying organisation usually needs; used when ``fields`` is not given.
DEFAULT_FIELDS: tuple[str, ...] = (
    "surname",
    "given_names",
    "sex",
    "birth_date",
    "nationality",
    "document_number",
    "document_type",
    "issuing_state",
    "expiry_date",
)
#: Every field a caller may ask for.
ALL_FIELDS: tuple[str, ...] = (*DEFAULT_FIELDS, "optional_data", "age", "photo",
                               "licence_categories", "birth_place", "personal_number",
                               "permit_type", "permit_remarks")

CHECK_ORDER: tuple[str, ...] = ("mrz", "access", "passive", "active", "chip", "consistency", "face")
#: Groups present only when they ran (not required for VERIFIED).
OPTIONAL_GROUPS: tuple[str, ...] = ("document_portrait",)
_MAY_BE_UNSUPPORTED = frozenset({"active", "chip"})


class LicenceCategoryFields(TypedDict):
    """One licence category in :class:`ResultFields` (EU Directive 2006/126/EC Annex I,
    fields 9-12; dates ISO 8601)."""

    category: str
    issue_date: str | None
    expiry_date: str | None
    code: str
    sign: str
    value: str


class ResultFields(TypedDict, total=False):
    """The personal fields a result carries: only those asked for (:data:`ALL_FIELDS`
    except ``photo``, which is :attr:`Result.photo_jpeg`). Dates are ISO 8601 text;
    ``None`` where the document does not hold the field."""

    surname: str | None
    given_names: str | None
    sex: str | None
    birth_date: str | None
    nationality: str | None
    document_number: str | None
    document_type: str | None
    issuing_state: str | None
    expiry_date: str | None
    optional_data: str | None
    age: int | None
    licence_categories: list[LicenceCategoryFields] | None
    birth_place: str | None
    personal_number: str | None
    permit_type: str | None
    permit_remarks: str | None


class Decision(enum.StrEnum):
    """Overall outcome of a verification."""

    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    INCOMPLETE = "INCOMPLETE"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FaceScore:
    score: float
    threshold: float
    is_match: bool

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "is_match": self.is_match,
        }


def validate_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    """Normalise the requested field list; unknown names are an :class:`InputError`."""
    if fields is None:
        return DEFAULT_FIELDS
    if isinstance(fields, str):
        fields = [f for f in fields.replace(",", " ").split() if f]
    unknown = [f for f in fields if f not in ALL_FIELDS]
    if unknown:
        raise InputError(
            f"unknown result field(s) {', '.join(sorted(set(unknown)))}; "
            f"choose from {', '.join(ALL_FIELDS)}"
        )
    return tuple(dict.fromkeys(fields))


def decide(checks: Mapping[str, CheckGroup]) -> tuple[Decision, tuple[str, ...]]:
    """Apply the decision rule to the check groups; returns the decision and its reasons."""
    failed = [f"{n}: {g.reason}" for n, g in checks.items() if g.verdict is Verdict.FAILED]
    if failed:
        return Decision.REJECTED, tuple(failed)
    missing = [name for name in CHECK_ORDER if name not in checks]
    open_ = [
        f"{n}: {g.reason}"
        for n, g in checks.items()
        if g.verdict is not Verdict.PASSED
        and not (n in _MAY_BE_UNSUPPORTED and g.verdict is Verdict.NOT_SUPPORTED)
    ]
    open_ += [f"{n}: not run" for n in missing]
    if open_:
        return Decision.INCOMPLETE, tuple(open_)
    return Decision.VERIFIED, ()


@dataclass(frozen=True)
class Result:
    """Minimised outcome of one verification (see the module docstring for the JSON schema)."""

    decision: Decision
    checks: Mapping[str, CheckGroup]
    reasons: tuple[str, ...] = ()
    face: FaceScore | None = None
    document_portrait: FaceScore | None = None
    protocol: str | None = None
    fields: ResultFields = field(default_factory=ResultFields)
    photo_jpeg: bytes | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return self.decision is Decision.VERIFIED

    def __repr__(self) -> str:
        """Decision, check verdicts and the *names* of the fields carried: never their values
        (``log.info("%s", result)`` must not write personal data)."""
        checks = " ".join(f"{n}={self.checks[n].verdict.value}" for n in CHECK_ORDER
                          if n in self.checks)
        names = ",".join(self.fields) or "-"
        photo = " photo" if self.photo_jpeg is not None else ""
        return (f"<Result {self.decision.value} {checks} fields={names}{photo} "
                "(personal data redacted)>")

    __str__ = __repr__

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "schema": SCHEMA,
            "decision": self.decision.value,
            "verified": self.verified,
            "reasons": list(self.reasons),
            "checks": {n: self.checks[n].to_dict() for n in (*CHECK_ORDER, *OPTIONAL_GROUPS)
                       if n in self.checks},
            "face": self.face.to_dict() if self.face else None,
            "document_portrait": self.document_portrait.to_dict()
            if self.document_portrait else None,
            "protocol": self.protocol,
            "fields": cast("dict[str, JSONValue]", dict(self.fields)),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
        }
        if self.photo_jpeg is not None:
            out["photo_jpeg_base64"] = base64.b64encode(self.photo_jpeg).decode("ascii")
        return out

    def to_json(self, *, indent: int | str | None = None, sort_keys: bool = False) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=sort_keys)

    @classmethod
    def from_dict(cls, data: Mapping[str, JSONValue]) -> Result:
        """Rebuild a Result from :meth:`to_dict` output (used across the isolation boundary)."""
        from checkedid.verdict import Check

        checks = {}
        for name, raw in json_map(data.get("checks")).items():
            g = json_map(raw)
            checks[name] = CheckGroup(
                name, Verdict(_text(g, "verdict")), _text(g, "reason"),
                tuple(Check(_text(c, "name"), Verdict(_text(c, "verdict")), _text(c, "reason"))
                      for c in map(json_map, json_list(g.get("checks")))),
                dict(json_map(g.get("details"))))
        photo = data.get("photo_jpeg_base64")
        protocol = data.get("protocol")
        return cls(
            decision=Decision(_text(data, "decision")),
            checks=checks,
            reasons=tuple(str(r) for r in json_list(data.get("reasons"))),
            face=_face(data.get("face")),
            document_portrait=_face(data.get("document_portrait")),
            protocol=protocol if isinstance(protocol, str) else None,
            fields=cast(ResultFields, dict(json_map(data.get("fields")))),
            photo_jpeg=base64.b64decode(photo) if isinstance(photo, str) and photo else None,
            timings={k: float(_number(v)) for k, v in json_map(data.get("timings")).items()},
            warnings=tuple(str(w) for w in json_list(data.get("warnings"))),
        )


def _text(d: Mapping[str, JSONValue], key: str) -> str:
    value = d.get(key, "")
    if not isinstance(value, str):
        raise InputError(f"malformed result: {key!r} is not text")
    return value


def _number(value: JSONValue) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError("malformed result: a score or timing is not a number")
    return float(value)


def _face(value: JSONValue) -> FaceScore | None:
    if not value:
        return None
    d = json_map(value)
    return FaceScore(_number(d.get("score")), _number(d.get("threshold")),
                     d.get("is_match") is True)
