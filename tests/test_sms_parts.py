"""SMS parts as SMSC counts and charges them: GSM 160/153, Unicode 70/67."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.smsc.parts import sms_parts


@pytest.mark.parametrize(
    ("text", "count", "unicode"),
    [
        ("", 1, False),
        ("a" * 160, 1, False),
        ("a" * 161, 2, False),
        ("a" * 306, 2, False),
        ("a" * 307, 3, False),
        ("{" * 80, 1, False),  # extension characters take two places each
        ("{" * 81, 2, False),
        ("€" + "a" * 159, 2, False),
        ("я" * 70, 1, True),
        ("я" * 71, 2, True),
        ("я" * 134, 2, True),
        ("я" * 135, 3, True),
        ("a" * 69 + "я", 1, True),  # one Cyrillic letter makes the whole text Unicode
        ("🚒" * 35, 1, True),  # an emoji is two UTF-16 units
        ("🚒" * 36, 2, True),
    ],
)
def test_parts_are_counted_as_smsc_charges_them(text: str, count: int, unicode: bool) -> None:
    parts = sms_parts(text)
    assert (parts.count, parts.unicode) == (count, unicode)


@given(st.text(alphabet="abcXYZ 0123456789.,!?", max_size=1000))
def test_a_latin_text_takes_160_or_153_a_part(text: str) -> None:
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert sms_parts(text).count == expected and not sms_parts(text).unicode


@given(st.text(max_size=1000))
def test_any_text_takes_at_least_one_part_and_more_never_takes_fewer(text: str) -> None:
    parts = sms_parts(text)
    assert parts.count >= 1
    assert sms_parts(text + "x").count >= parts.count
