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
from typing import Any

from checkedid.errors import InputError
from checkedid.verdict import CheckGroup, Verdict

__all__ = [
    "ALL_FIELDS",
    "CHECK_ORDER",
    "DEFAULT_FIELDS",
    "SCHEMA",
    "Decision",
    "FaceScore",
    "Result",
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

    def to_dict(self) -> dict[str, Any]:
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
    fields: Mapping[str, Any] = field(default_factory=dict)
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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
            "fields": dict(self.fields),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
        }
        if self.photo_jpeg is not None:
            out["photo_jpeg_base64"] = base64.b64encode(self.photo_jpeg).decode("ascii")
        return out

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a Result from :meth:`to_dict` output (used across the isolation boundary)."""
        from checkedid.verdict import Check

        checks = {
            name: CheckGroup(
                name,
                Verdict(g["verdict"]),
                g["reason"],
                tuple(Check(c["name"], Verdict(c["verdict"]), c["reason"]) for c in g["checks"]),
                dict(g.get("details", {})),
            )
            for name, g in data["checks"].items()
        }
        face = data.get("face")
        printed = data.get("document_portrait")
        photo = data.get("photo_jpeg_base64")
        return cls(
            decision=Decision(data["decision"]),
            checks=checks,
            reasons=tuple(data.get("reasons", ())),
            face=FaceScore(face["score"], face["threshold"], face["is_match"]) if face else None,
            document_portrait=FaceScore(printed["score"], printed["threshold"],
                                        printed["is_match"]) if printed else None,
            protocol=data.get("protocol"),
            fields=dict(data.get("fields", {})),
            photo_jpeg=base64.b64decode(photo) if photo else None,
            timings=dict(data.get("timings", {})),
            warnings=tuple(data.get("warnings", ())),
        )
