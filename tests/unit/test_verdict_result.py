import json

import pytest

from checkedid.errors import InputError
from checkedid.result import DEFAULT_FIELDS, Decision, FaceScore, Result, decide, validate_fields
from checkedid.verdict import Check, CheckGroup, Verdict, combine

P, F, NS, NC = Verdict.PASSED, Verdict.FAILED, Verdict.NOT_SUPPORTED, Verdict.NOT_CHECKED


def group(name, verdict, reason="r"):
    return CheckGroup.of(name, [Check(name, verdict, reason)])


def all_passed(**override):
    names = ("mrz", "access", "passive", "active", "chip", "consistency", "face")
    groups = {n: group(n, P) for n in names}
    groups.update({k: group(k, v) for k, v in override.items()})
    return groups


def test_combine_precedence():
    assert combine([Check("a", P), Check("b", NS)])[0] is NS
    assert combine([Check("a", NC, "no trust"), Check("b", NS)]) == (NC, "a: no trust")
    assert combine([Check("a", P), Check("b", F, "bad"), Check("c", NC)]) == (F, "b: bad")
    assert combine([])[0] is NC
    assert combine([Check("a", P)])[0] is P


def test_decide_verified_only_when_everything_passed():
    assert decide(all_passed()) == (Decision.VERIFIED, ())
    # AA / CA may be absent from the document
    assert decide(all_passed(active=NS, chip=NS))[0] is Decision.VERIFIED


def test_decide_failed_check_rejects():
    decision, reasons = decide(all_passed(passive=F, face=NC))
    assert decision is Decision.REJECTED
    assert reasons == ("passive: passive: r",)


@pytest.mark.parametrize("name", ["mrz", "access", "passive", "consistency", "face"])
def test_decide_unsupported_or_unchecked_core_check_is_incomplete(name):
    assert decide(all_passed(**{name: NC}))[0] is Decision.INCOMPLETE
    assert decide(all_passed(**{name: NS}))[0] is Decision.INCOMPLETE


def test_decide_missing_group_is_incomplete():
    groups = all_passed()
    del groups["passive"]
    decision, reasons = decide(groups)
    assert decision is Decision.INCOMPLETE and "passive: not run" in reasons


def test_result_round_trips_through_json():
    checks = all_passed(active=NS)
    r = Result(Decision.VERIFIED, checks, face=FaceScore(0.91, 0.6, True), protocol="PACE",
               fields={"surname": "X"}, photo_jpeg=b"\xff\xd8jpeg", timings={"mrz": 0.01234567})
    d = json.loads(r.to_json())
    assert d["schema"] == "checkedid.result/1"
    assert d["verified"] is True
    assert list(d["checks"]) == [
        "mrz", "access", "passive", "active", "chip", "consistency", "face"]
    assert d["checks"]["active"]["verdict"] == "NOT_SUPPORTED"
    assert d["timings"]["mrz"] == 0.0123
    back = Result.from_dict(d)
    assert back.decision is Decision.VERIFIED and back.photo_jpeg == b"\xff\xd8jpeg"
    assert back.checks["face"].verdict is P and back.face == FaceScore(0.91, 0.6, True)


def test_fields_selection():
    assert validate_fields(None) == DEFAULT_FIELDS
    assert validate_fields("surname, sex") == ("surname", "sex")
    assert validate_fields(()) == ()
    with pytest.raises(InputError, match="unknown result field"):
        validate_fields(["surname", "mothers_maiden_name"])
