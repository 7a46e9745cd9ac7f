"""Phone numbers and sender names as keys, so that one number however written is one sender.

The key of a number is its E.164 digits without the `+` (`79261234567`), as Google's
`phonenumbers` reads it; the key of a name (`Sberbank`) is the name case-folded; text
that looks like a number but is no possible one (a short service number such as `900`)
is keyed by its digits. This module is the one place where numbers become keys: the
store (`messages.sender_key`, `outgoing.phone_key`), `/from` and the routes all ask it,
with the same region (PHONE_REGION), so that a key written by one is found by the others.

Who wrote the number decides how bare digits are read, because some are two numbers:
`84951234567` is a Moscow landline as a Russian types it (`8 495 ...`) and a Vietnamese
mobile as SMSC writes it (`+84 ...`), and about one Russian number in twelve written with
`8` is also a valid number abroad.

- SMSC writes senders and receiving numbers as bare international digits:
  `sender_key` reads them as international first (`+` put in front), and in the region
  only when that is no valid number.
- People type numbers in their region's habits (`8 926 ...`, a Ukrainian `067 ...`):
  `typed_key` reads them in the region first, and as international digits only when
  that is no valid number (so `79261234567` typed with PHONE_REGION=UA still works).

Either way a valid number beats a merely possible one, and "possible" is strict (a number
possible only when dialled locally is not one: short numbers stay their digits). Parsing
costs about 0.1 ms, and an inbox hears from the same senders again and again, so keys
are remembered (`functools.lru_cache`).
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

DEFAULT_REGION = "RU"  # PHONE_REGION's default, and the region migrations read numbers in
MIN_INTERNATIONAL_DIGITS = 8  # shorter bare digits are never tried as an international number
MAX_PHONE_TEXT = 64  # longer text is no number anyone wrote (phonenumbers stops at 250)
REMEMBERED_KEYS = 16_384  # senders whose keys are kept, per way of reading them

_PHONE_CHARS = re.compile(r"^[0-9\s+()\-.]+$")
_DIGITS = frozenset("0123456789")


def looks_like_phone(text: str) -> bool:
    """True when the text is digits with the usual phone punctuation, and no letters."""
    return bool(_PHONE_CHARS.match(text)) and any(ch in _DIGITS for ch in text)


def supported_region(region: str) -> bool:
    """Whether `phonenumbers` knows the two-letter region code (`RU`, `UA`, `KZ`)."""
    return region in phonenumbers.SUPPORTED_REGIONS


def parse_phone(text: str, region: str, *, typed: bool) -> PhoneNumber | None:
    """The number `text` writes, or None for a name, a short number or no possible number.

    `typed`: a person wrote it (the region's habits first); else SMSC did (bare digits are
    international first; anything else is read as typed). See the module docstring.
    """
    text = text.strip()
    if len(text) > MAX_PHONE_TEXT or not looks_like_phone(text):
        return None
    readings = [(text, region)]
    digits = "".join(ch for ch in text if ch in _DIGITS)
    if not text.startswith("+") and len(digits) >= MIN_INTERNATIONAL_DIGITS:
        international = ("+" + digits, region)
        as_smsc_writes = not typed and text.isdigit()
        readings = [international, *readings] if as_smsc_writes else [*readings, international]
    numbers = [number for number in (_parse(*reading) for reading in readings) if number]
    valid = next((n for n in numbers if phonenumbers.is_valid_number(n)), None)
    return valid or next((n for n in numbers if _possible(n)), None)


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _possible(number: PhoneNumber) -> bool:
    """Possible as a whole number, not only when dialled locally."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    return bool(reason == ValidationResult.IS_POSSIBLE)


def e164_digits(number: PhoneNumber) -> str:
    """`79261234567`: the E.164 form without its `+`, as SMSC takes numbers."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def _key(text: str, region: str, typed: bool) -> str:
    stripped = text.strip()
    if not looks_like_phone(stripped):
        return stripped.casefold()
    number = parse_phone(stripped, region, typed=typed)
    if number is None:
        return "".join(ch for ch in stripped if ch in _DIGITS)
    return e164_digits(number)


@functools.lru_cache(maxsize=REMEMBERED_KEYS)
def sender_key(sender: str, region: str = DEFAULT_REGION) -> str:
    """The key of a sender or receiving number as SMSC writes it (bare digits international)."""
    return _key(sender, region, typed=False)


@functools.lru_cache(maxsize=REMEMBERED_KEYS)
def typed_key(text: str, region: str) -> str:
    """The key of a sender as a person types it (`/from`, a route, `sms-bridge route`)."""
    return _key(text, region, typed=True)
