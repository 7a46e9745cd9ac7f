"""Numbers typed by people or sent by SMSC, read one way.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as something else:
only ASCII digits count as a number here, everywhere.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(text: str, max_digits: int = 19) -> int | None:
    """`text` as a number when it is 1 to `max_digits` ASCII digits and nothing else."""
    if len(text) > max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)
