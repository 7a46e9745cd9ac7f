"""Phone numbers and sender names as keys, so that one number written three ways matches.

SMSC writes senders as bare digits (`79261234567`); people type `+7 926 123-45-67` or the
domestic `8 926 1234567`. A sender may also be a name (`Sberbank`). The key is the digits
with a Russian trunk prefix `8` turned into the country code `7`, or for names the
case-folded name.
"""

from __future__ import annotations

import re

_PHONE_CHARS = re.compile(r"^[0-9\s+()\-.]+$")
_DIGITS = frozenset("0123456789")


def looks_like_phone(text: str) -> bool:
    """True when the text is digits with the usual phone punctuation, and no letters."""
    return bool(_PHONE_CHARS.match(text)) and any(ch in _DIGITS for ch in text)


def sender_key(sender: str) -> str:
    """The form under which a sender is indexed and looked up."""
    text = sender.strip()
    if looks_like_phone(text):
        digits = "".join(ch for ch in text if ch in _DIGITS)
        if len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        return digits
    return text.casefold()
