"""One number written three ways is one sender."""

from __future__ import annotations

import pytest

from state.phones import looks_like_phone, sender_key


@pytest.mark.parametrize(
    "written", ["79261234567", "+79261234567", "89261234567", "+7 (926) 123-45-67", "8 926 1234567"]
)
def test_russian_forms_of_a_number_share_a_key(written: str) -> None:
    assert sender_key(written) == "79261234567"


def test_names_match_whatever_their_case() -> None:
    assert sender_key("Sberbank") == sender_key("SBERBANK") == "sberbank"


def test_other_countries_are_left_alone() -> None:
    assert sender_key("+380501234567") == "380501234567"
    assert sender_key("84951234") == "84951234"  # not 11 digits: no trunk prefix to swap


def test_phone_detection() -> None:
    assert looks_like_phone("+7 926 123")
    assert not looks_like_phone("Bank 900")
    assert not looks_like_phone("---")
