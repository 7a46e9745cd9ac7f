"""How many SMS parts a text takes, as SMSC counts and charges them. Pure.

A text of GSM 03.38 characters takes 160 per SMS, or 153 per part when it needs several
(the rest of each part carries the header that joins them); the extension characters
(`{ } [ ] ~ \\ | ^ €` and form feed) take two places each. Any other character (Cyrillic,
emoji) makes the whole text Unicode: 70 per SMS, 67 per part, counted in UTF-16 units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_LENGTH = 1000  # characters SMSC takes in one send

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Parts:
    count: int
    unicode: bool  # False: GSM 7-bit

    @property
    def per_sms(self) -> int:
        return 70 if self.unicode else 160

    @property
    def per_part(self) -> int:
        """Characters each part holds: one SMS holds `per_sms`, each part of a longer one
        less (67 or 153: the rest carries the header that joins them)."""
        if self.count == 1:
            return self.per_sms
        return 67 if self.unicode else 153


def sms_parts(text: str) -> Parts:
    """The parts `text` takes (at least one, even for an empty text)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        units = len(text) + sum(1 for ch in text if ch in _GSM_EXTENSION)
        single, part, unicode = 160, 153, False
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, unicode = 70, 67, True
    count = 1 if units <= single else math.ceil(units / part)
    return Parts(count, unicode)
