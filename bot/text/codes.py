"""Which digits in an SMS are a one-time code. Pure: no I/O.

A code is what a half-awake reader wants first and wants to copy, so it is shown in front
and tap-to-copy. Only likely codes are: a standalone run of 4 to 8 digits within a few
words of a word that names a code (код, code, пароль, PIN, ...). A bank SMS often holds an
amount and a date beside the code ("Оплата 2500 RUB, код 123456"), so a number with a
currency next to it, a number after an amount word (сумма, balance), a year where a year
is meant ("до 2026 года"), an order number (№ 12345) and the digits inside `w0000` are
never codes. Of several codes, the one right after the code word comes first: that is how
SMS put it ("код: 4821").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Digits that stand alone: not part of a word, a longer number or a decimal ("12.50").
# A letter right after ("1500р", "2026г", "5000mAh") makes it a quantity, not a code.
_DIGITS = re.compile(r"(?<![\w.,])[0-9]{4,8}(?![\w]|[.,][0-9])")
# Whole words only: "barcode" and "Postcode" name no one-time code.
_CODE_WORD = re.compile(
    r"(?<!\w)(?:код(?:[аеуы]|ом|ов\w*|ами|ах)?|codes?|парол\w*|passwords?|passcodes?|pin"
    r"|otp|verification|подтвержд\w*)(?!\w)",
    re.IGNORECASE,
)
_CURRENCY = r"₽|\$|€|£|руб\w*\.?|р\.|р(?!\w)|rub|rur|usd|eur|тг\.?|тенге|kzt|грн\.?|uah|byn"
_CURRENCY_AFTER = re.compile(rf"\s*(?:{_CURRENCY})(?!\w)", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(rf"(?<!\w)(?:{_CURRENCY})\s*$", re.IGNORECASE)
# An amount word, a number sign or "order" just before the digits: the digits are that.
_NOT_A_CODE_BEFORE = re.compile(
    r"(?:(?<!\w)(?:сумм\w*|amount|balance|баланс\w*|остат\w*|итого|total|доступно|available"
    r"|заказ\w*|order)\s*[:=]?|№|#)\s*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_YEAR_BEFORE = re.compile(
    r"(?<!\w)(?:до|по|с|в|от|until|till|by|in|since|from|год\w*|year)\s*$", re.IGNORECASE
)
_YEAR_AFTER = re.compile(r"\s*(?:г\.|гг?(?!\w)|год\w*|year)", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,.;!?\n]")
NEAR = 30  # characters between the code word and the digits, either side
CONTEXT = 16  # characters read around the digits for a currency, a year word, a sign


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_amount_year_or_number(text: str, start: int, end: int) -> bool:
    """Whether the digits at start:end are an amount, a year or an order number by what
    stands beside them: a code has none of these."""
    before = text[max(0, start - CONTEXT) : start]
    after = text[end : end + CONTEXT]
    if _CURRENCY_AFTER.match(after) or _CURRENCY_BEFORE.search(before):
        return True
    if _NOT_A_CODE_BEFORE.search(before):
        return True
    year_context = _YEAR_BEFORE.search(before) or _YEAR_AFTER.match(after)
    return bool(_YEAR.fullmatch(text[start:end]) and year_context)


def _distance(text: str, span: Span, words: list[tuple[int, int]]) -> tuple[int, int] | None:
    """How near the digits are to the nearest code word, best first: (0, gap) when they
    follow one in the same clause ("код: 4821"), (1, gap) when they lead into one ("4821 —
    ваш код"), (2, gap) when a comma or a full stop stands between; None if too far."""
    best = None
    for w_start, w_end in words:
        if 0 <= span.start - w_end <= NEAR:
            gap, order = text[w_end : span.start], 0
        elif 0 <= w_start - span.end <= NEAR:
            gap, order = text[span.end : w_start], 1
        else:
            continue
        rank = (2 if _CLAUSE_BREAK.search(gap) else order, len(gap))
        best = rank if best is None else min(best, rank)
    return best


def _candidates(text: str) -> list[tuple[Span, tuple[int, int]]]:
    """Every likely code with its distance to the code word, in order."""
    words = [match.span() for match in _CODE_WORD.finditer(text)]
    if not words:
        return []
    found = []
    for match in _DIGITS.finditer(text):
        span = Span(*match.span())
        distance = _distance(text, span, words)
        if distance is not None and not _is_amount_year_or_number(text, span.start, span.end):
            found.append((span, distance))
    return found


def code_spans(text: str) -> list[Span]:
    """Where the likely one-time codes are in `text`, in order."""
    return [span for span, _ in _candidates(text)]


def first_code(text: str) -> str | None:
    """The code to show in front of the SMS, if it carries one: the digits right after a
    code word, else the nearest to one (the earliest of equals): see `_distance`."""
    found = _candidates(text)
    if not found:
        return None
    span, _ = min(found, key=lambda item: item[1])
    return text[span.start : span.end]
