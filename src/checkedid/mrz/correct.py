"""Repair of OCR confusions in MRZ text, guided by field alphabets and check digits.

OCR-B (ICAO Doc 9303-3 §4.1) keeps look-alike glyphs apart, but photographs blur them:
``0``/``O``, ``1``/``I``, ``2``/``Z``, ``5``/``S``, ``8``/``B``, ``6``/``G``. Correction
works in two steps:

1. **Alphabet repair.** A field that can only hold digits (dates, check digits) cannot
   hold a letter and vice versa (codes, names, sex; Doc 9303-3 §4.2), so a confusable
   character in the wrong alphabet is replaced outright.
2. **Check-digit-guided search** for alphanumeric fields (document number, optional
   data) whose check digits fail: sets of up to :data:`MAX_CHANGES` look-alike
   substitutions are tried, within a budget of :data:`MAX_CANDIDATES` candidates. A
   candidate is kept only if every check digit covering the changed field then holds
   (the field's own digit and the composite, Doc 9303-3 §4.9), it needs the fewest
   changes, and no other candidate of that size also fits; otherwise the text is left
   as read. Note that ``6``/``G`` differ by 10 in check-digit value, so check digits
   cannot tell them apart; such ambiguities are never "fixed".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from checkedid.mrz.checkdigit import ALPHABET, DIGITS, LETTERS
from checkedid.mrz.model import KINDS, FieldKind, Layout

__all__ = ["LETTER_FOR_DIGIT", "LOOKALIKES", "MAX_CANDIDATES", "MAX_CHANGES", "correct_lines"]

#: Letters read where a digit must stand, and the digit meant.
DIGIT_FOR_LETTER = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1",
                    "Z": "2", "S": "5", "B": "8", "G": "6", "A": "4"}
#: Digits read where a letter must stand, and the letter meant.
LETTER_FOR_DIGIT = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A"}
#: Alternatives tried in alphanumeric fields.
LOOKALIKES = {"0": "OD", "O": "0", "D": "0", "1": "I", "I": "1", "2": "Z", "Z": "2",
              "5": "S", "S": "5", "8": "B", "B": "8", "6": "G", "G": "6"}

MAX_CHANGES = 2
MAX_CANDIDATES = 4000


def _alphabet_repair(chars: list[list[str]], layout: Layout) -> int:
    changed = 0
    for name, span in layout.fields.items():
        kind = KINDS[name]
        if kind is FieldKind.ALNUM:
            continue
        table = DIGIT_FOR_LETTER if kind is FieldKind.DIGIT else LETTER_FOR_DIGIT
        wrong = LETTERS if kind is FieldKind.DIGIT else DIGITS
        row = chars[span.line]
        for i in range(span.start, span.end):
            if row[i] in wrong and row[i] in table:
                row[i] = table[row[i]]
                changed += 1
    return changed


def _related(layout: Layout) -> dict[str, tuple[str, ...]]:
    """Alphanumeric field -> the checks whose outcome depends on it."""
    comp = ("composite",) if layout.composite else ()
    out: dict[str, tuple[str, ...]] = {"document_number": ("document_number", *comp)}
    if "optional_data_cd" in layout.fields:
        out["optional_data"] = ("optional_data", *comp)
    elif layout.name in ("TD1", "TD2"):
        # the long document number continues in the optional data
        out["optional_data"] = ("document_number", *comp)
    if "optional_data_2" in layout.fields:
        out["optional_data_2"] = comp
    return {k: v for k, v in out.items() if v}


def _candidates(positions: list[tuple[int, int, str]], k: int
                ) -> Iterator[tuple[tuple[int, int, str], ...]]:
    for combo in itertools.combinations(positions, k):
        options = [[(li, pi, alt) for alt in LOOKALIKES[ch]] for li, pi, ch in combo]
        yield from itertools.product(*options)


def _search(chars: list[list[str]], layout: Layout) -> int:
    from checkedid.mrz.parse import compute_checks

    def checks_of(rows: list[list[str]]) -> dict[str, bool | None]:
        return compute_checks(["".join(r) for r in rows], layout)

    before = checks_of(chars)
    if all(v is not False for v in before.values()):
        return 0
    related = _related(layout)
    own = {"document_number": "document_number",
           "optional_data": "optional_data" if "optional_data_cd" in layout.fields else None}
    fields = [name for name, deps in related.items()
              if any(before[d] is False for d in deps)
              and (own.get(name) is None or before[own[name] or ""] is False)]
    if not fields:
        return 0
    positions = [(span.line, i, chars[span.line][i])
                 for name in fields for span in (layout.fields[name],)
                 for i in range(span.start, span.end) if chars[span.line][i] in LOOKALIKES]
    owner = {(layout.fields[n].line, i): n for n in fields
             for i in range(layout.fields[n].start, layout.fields[n].end)}
    budget = MAX_CANDIDATES
    for k in range(1, MAX_CHANGES + 1):
        winners: list[tuple[tuple[int, int, str], ...]] = []
        for cand in _candidates(positions, k):
            budget -= 1
            if budget < 0:
                return 0
            trial = [row[:] for row in chars]
            for li, pi, alt in cand:
                trial[li][pi] = alt
            after = checks_of(trial)
            deps = {d for li, pi, _ in cand for d in related[owner[(li, pi)]]}
            if all(after[d] is True for d in deps):
                winners.append(cand)
                if len(winners) > 1:
                    return 0  # ambiguous: leave the text as read
        if winners:
            for li, pi, alt in winners[0]:
                chars[li][pi] = alt
            return k
    return 0


def correct_lines(lines: Sequence[str], layout: Layout) -> tuple[list[str], int]:
    """Return corrected lines and the number of characters changed.

    ``lines`` must already have the right count and length for ``layout``. Characters
    outside the MRZ alphabet are left for the parser to report.
    """
    chars = [list(ln) for ln in lines]
    changed = _alphabet_repair(chars, layout)
    if all(ch in ALPHABET for row in chars for ch in row):
        changed += _search(chars, layout)
    return ["".join(r) for r in chars], changed
