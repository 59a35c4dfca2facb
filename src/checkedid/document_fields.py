"""The personal fields of a Result, taken from the chip's data (after it was read).

Which source each field has (also in the README's field table):

=====================  =====================================  ===================================
field                  passport / ID card / residence permit  driving licence
=====================  =====================================  ===================================
surname, given_names   DG1 MRZ (Doc 9303-10 §4.7.1)           DG1 5F04 / 5F05 (ISO/IEC 18013-2)
sex, nationality       DG1 MRZ                                DG1 5F09 / 5F08 (when present)
birth_date, age        DG1 MRZ (YYMMDD, century inferred)     DG1 5F06 (full date)
document_number        DG1 MRZ                                DG1 5F0E licence number
document_type          DG1 MRZ document code                  ``"D"`` (licence MRZ code)
issuing_state          DG1 MRZ                                DG1 5F03
expiry_date            DG1 MRZ                                DG1 5F0B
optional_data          DG1 MRZ optional data                  —
licence_categories     —                                      DG1 7F63 (category, dates, codes)
birth_place            DG11 5F11 place of birth               DG1 5F07
personal_number        DG11 5F10, else the MRZ optional data  DG1 5F0D administrative number
permit_type            MRZ document code of a residence       —
                       permit (IR, AR, CR, RP...)
permit_remarks         DG12 5F1B endorsements/observations,   —
                       DG11 5F15 personal summary
=====================  =====================================  ===================================

Fields absent from the document are ``None``. ``personal_number`` is never in the default
field list: it is returned only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from checkedid.result import ResultFields

__all__ = ["PERMIT_CODES", "fields_from_chip"]

#: Second letter of a TD1/TD2 document code that marks a residence permit (Doc 9303-5 §4.2.2
#: leaves it to the state; the EU residence permit of Regulation (EC) 1030/2002 uses "R").
PERMIT_CODES = frozenset({"IR", "AR", "CR", "RP", "RT", "RB", "RE"})


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _none_if_empty(v: str | None) -> str | None:
    return v if v else None


def _mrz_fields(data: Any, name: str, today: date) -> Any:
    mrz = data.dg1.mrz
    dg11, dg12 = getattr(data, "dg11", None), getattr(data, "dg12", None)
    if name == "document_type":
        return mrz.document_code
    if name == "age":
        return _age(mrz.birth_date, today)
    if name in ("birth_date", "expiry_date"):
        return _iso(getattr(mrz, name))
    if name == "birth_place":
        return _none_if_empty(getattr(dg11, "place_of_birth", None))
    if name == "personal_number":
        number = getattr(dg11, "personal_number", None)
        return _none_if_empty(number) or _none_if_empty(mrz.optional_data)
    if name == "permit_type":
        code = mrz.document_code
        return code if code in PERMIT_CODES else None
    if name == "permit_remarks":
        if mrz.document_code not in PERMIT_CODES:
            return None
        parts = [getattr(dg12, "endorsements", None), getattr(dg11, "personal_summary", None)]
        return _none_if_empty("\n".join(p for p in parts if p))
    if name == "licence_categories":
        return None
    return getattr(mrz, name)


def _licence_fields(data: Any, name: str, today: date) -> Any:
    lic = data.dg1.licence
    if name == "document_type":
        return "D"
    if name == "document_number":
        return lic.licence_number
    if name == "age":
        return _age(lic.birth_date, today)
    if name in ("birth_date", "expiry_date"):
        return _iso(getattr(lic, name))
    if name == "licence_categories":
        return [c.to_dict() for c in lic.categories]
    if name == "personal_number":
        return _none_if_empty(lic.administrative_number)
    if name in ("sex", "nationality", "birth_place", "issuing_state", "surname",
                "given_names"):
        return _none_if_empty(getattr(lic, name))
    return None  # optional_data, permit_type, permit_remarks: not on a licence


def fields_from_chip(data: Any, wanted: Sequence[str], today: date) -> ResultFields:
    """The requested personal fields (except ``photo``) from a :class:`ChipData`, with the
    value types :class:`~checkedid.result.ResultFields` names."""
    licence = getattr(data, "application", "eMRTD") == "eDL"
    pick = _licence_fields if licence else _mrz_fields
    return cast(ResultFields, {name: pick(data, name, today) for name in wanted
                               if name != "photo"})
