"""Split an indicator's printed text into measurable targets.

Used when a plan file (or, later, an imported workbook) gives the indicator
text without a reviewed split. The rules are deliberately simple and
visible: a fragment with a number is a target; one without is kept as text
and marked not measurable, never guessed.
"""

import re
from decimal import Decimal

from .schema import TargetIn

# Fragments are separated by semicolons, full stops that end a sentence,
# commas followed by a space and a number, and line breaks.
_SPLIT = re.compile(r";|\.\s+(?=[A-ZÇË\d])|,\s+(?=\d)|\n+")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ ,.]\d{3})+|\d+(?:[.,]\d+)?)\s*(%?)")
_WORDS = {
    "një": 1, "nje": 1, "dy": 2, "tre": 3, "tri": 3, "katër": 4, "kater": 4,
    "pesë": 5, "pese": 5, "gjashtë": 6, "shtatë": 7, "tetë": 8, "nëntë": 9, "dhjetë": 10,
}  # fmt: skip
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
_PER_YEAR = re.compile(
    r"(në|ne|per|për)\s+vit\b|/\s*vit\b|çdo\s+vit|cdo\s+vit|vjetor|vjetore|në\s+vit|ne\s+vit",
    re.IGNORECASE,
)


def _to_decimal(digits: str) -> Decimal:
    # "1,200" and "1 200" are thousands; "2,5" is a decimal comma.
    if re.fullmatch(r"\d{1,3}(?:[ ,.]\d{3})+", digits):
        return Decimal(re.sub(r"[ ,.]", "", digits))
    return Decimal(digits.replace(",", "."))


def _clean(fragment: str) -> str:
    return re.sub(r"\s+", " ", fragment).strip(" -–•.,")


def split_indicator(text: str) -> list[TargetIn]:
    targets = []
    for fragment in _SPLIT.split(text or ""):
        fragment = _clean(fragment)
        if not fragment:
            continue
        per = "year" if _PER_YEAR.search(fragment) else "period"
        number = _NUMBER.search(fragment)
        word = _WORD.search(fragment)
        if number and (not word or number.start() <= word.start()):
            value = _to_decimal(number.group(1))
            unit = ("% " if number.group(2) else "") + fragment[number.end() :]
        elif word:
            value = Decimal(_WORDS[word.group(1).lower()])
            unit = fragment[word.end() :]
        else:
            targets.append(TargetIn(text=fragment, parsed=False))
            continue
        unit = _PER_YEAR.sub("", unit)
        targets.append(TargetIn(text=fragment, value=value, unit=_clean(unit), per=per))
    return targets
