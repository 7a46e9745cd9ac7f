"""Which digits in an SMS are a one-time code. Pure: no I/O.

A code is what a half-awake reader wants first and wants to copy, so it is shown in front
and tap-to-copy. Only likely codes are: a standalone run of 4 to 8 digits within a few
words of a word that names a code (код, code, пароль, PIN, ...). Years, amounts, order
numbers and the digits inside `w0000` are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Digits that stand alone: not part of a word, a longer number or a decimal ("12.50").
_DIGITS = re.compile(r"(?<![\w.,])\d{4,8}(?!\w|[.,]\d)", re.ASCII)
_CODE_WORD = re.compile(
    r"код|code|парол|password|passcode|\bpin\b|\botp\b|verification|подтвержд",
    re.IGNORECASE,
)
NEAR = 30  # characters between the code word and the digits, either side


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def code_spans(text: str) -> list[Span]:
    """Where the likely one-time codes are in `text`, in order."""
    words = [match.span() for match in _CODE_WORD.finditer(text)]
    if not words:
        return []
    spans = []
    for match in _DIGITS.finditer(text):
        start, end = match.span()
        if any(w_end >= start - NEAR and w_start <= end + NEAR for w_start, w_end in words):
            spans.append(Span(start, end))
    return spans


def first_code(text: str) -> str | None:
    """The code to show in front of the SMS, if it carries one."""
    spans = code_spans(text)
    return text[spans[0].start : spans[0].end] if spans else None
