"""One number however written is one sender, read in the region's habits (PHONE_REGION)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from state.phones import looks_like_phone, parse_phone, sender_key, supported_region, typed_key

# The same number as people write it in each region, and as SMSC writes it (first).
WRITTEN_FORMS = {
    "RU": (
        "79261234567",
        ["+79261234567", "89261234567", "+7 (926) 123-45-67", "8 926 1234567", "8(926)123-45-67"],
    ),
    "UA": (
        "380671234567",
        ["+380671234567", "067 123 45 67", "0671234567", "(067) 123-45-67", "+380 67 123 4567"],
    ),
    "KZ": (
        "77012345678",
        ["+77012345678", "87012345678", "8 701 234 56 78", "+7 (701) 234-56-78"],
    ),
}


@pytest.mark.parametrize("region", sorted(WRITTEN_FORMS))
def test_every_written_form_of_a_number_shares_the_key_smsc_gives_it(region: str) -> None:
    smsc_writes, typed_forms = WRITTEN_FORMS[region]
    assert sender_key(smsc_writes, region) == smsc_writes
    for written in [smsc_writes, *typed_forms]:
        assert typed_key(written, region) == smsc_writes, written


@pytest.mark.parametrize("region", ["RU", "UA", "KZ", "DE", "US"])
def test_smsc_digits_are_international_whatever_the_region(region: str) -> None:
    for smsc_writes in ("79261234567", "380671234567", "77012345678", "12125550100"):
        assert sender_key(smsc_writes, region) == smsc_writes
        assert typed_key("+" + smsc_writes, region) == smsc_writes


def test_bare_international_digits_typed_in_another_region_still_match() -> None:
    assert typed_key("79261234567", "UA") == "79261234567"
    assert typed_key("380671234567", "RU") == "380671234567"


def test_a_domestic_form_means_the_number_of_the_region_it_is_typed_in() -> None:
    assert typed_key("8 701 234 56 78", "KZ") == "77012345678"
    assert typed_key("067 123 45 67", "UA") == "380671234567"
    assert typed_key("067 123 45 67", "RU") != "380671234567"  # not a Russian habit


def test_an_8_that_is_also_a_country_code_is_read_as_the_writer_meant() -> None:
    # 84951234567: a Moscow landline as a Russian types it, a Vietnamese mobile (+84) as
    # SMSC writes it. One in twelve Russian numbers written with 8 is valid abroad too.
    assert typed_key("84951234567", "RU") == "74951234567"
    assert typed_key("8 495 123-45-67", "RU") == "74951234567"
    assert sender_key("84951234567", "RU") == "84951234567"
    assert typed_key("+84 95 123 45 67", "RU") == "84951234567"


def test_toll_free_and_landlines_are_numbers_too() -> None:
    assert typed_key("8 800 555-35-35", "RU") == "78005553535"
    assert typed_key("8 (495) 123-45-67", "RU") == "74951234567"


def test_names_match_whatever_their_case_and_stay_names() -> None:
    assert sender_key("Sberbank") == typed_key("SBERBANK", "RU") == "sberbank"
    assert sender_key("Bank 900") == "bank 900"  # a name with digits is still a name


def test_short_service_numbers_stay_their_digits() -> None:
    for region in ("RU", "UA", "KZ"):
        assert sender_key("900", region) == typed_key("900", region) == "900"
        assert typed_key("0611", region) == "0611"
        assert parse_phone("900", region, typed=True) is None


def test_phone_detection() -> None:
    assert looks_like_phone("+7 926 123")
    assert not looks_like_phone("Bank 900")
    assert not looks_like_phone("---")


def test_regions_are_the_ones_phonenumbers_knows() -> None:
    assert supported_region("RU") and supported_region("UA") and supported_region("KZ")
    assert not supported_region("XX") and not supported_region("ru")


@given(text=st.text(max_size=300), region=st.sampled_from(["RU", "UA", "KZ", "US"]))
@example(text="+" + "9" * 260, region="RU")
@example(text="8" * 20, region="RU")
@example(text=" ", region="UA")
def test_any_text_gets_a_key_without_an_exception(text: str, region: str) -> None:
    for key in (sender_key(text, region), typed_key(text, region)):
        if looks_like_phone(text.strip()):
            assert key.isascii() and key.isdigit()  # E.164 digits, or the digits as written
        else:
            assert key == text.strip().casefold()


@given(
    subscriber=st.integers(min_value=0, max_value=9_999_999),
    code=st.sampled_from(["926", "903", "999", "495", "812"]),
    style=st.sampled_from(["{c}{s}", "+7{c}{s}", "8{c}{s}", "+7 ({c}) {a}-{b}-{d}", "8 {c} {s}"]),
)
def test_any_russian_number_in_any_written_form_gets_the_key_smsc_gives_it(
    subscriber: int, code: str, style: str
) -> None:
    s = f"{subscriber:07d}"
    written = style.format(c=code, s=s, a=s[:3], b=s[3:5], d=s[5:])
    assert typed_key(written, "RU") == sender_key(f"7{code}{s}", "RU") == f"7{code}{s}"


@given(
    subscriber=st.integers(min_value=0, max_value=9_999_999),
    operator=st.sampled_from(["67", "50", "63", "93"]),
    style=st.sampled_from(["0{o}{s}", "+380{o}{s}", "380{o}{s}", "0{o} {a} {b} {d}"]),
)
def test_any_ukrainian_number_in_any_written_form_gets_the_key_smsc_gives_it(
    subscriber: int, operator: str, style: str
) -> None:
    s = f"{subscriber:07d}"
    written = style.format(o=operator, s=s, a=s[:3], b=s[3:5], d=s[5:])
    assert typed_key(written, "UA") == sender_key(f"380{operator}{s}", "UA") == f"380{operator}{s}"
