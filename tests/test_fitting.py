"""Every message the bridge writes fits Telegram's limit, whoever took its SMS, and a message
Telegram refuses anyway has a plain-text form that still carries the whole SMS text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.oncall.buttons import LINE_GAP, TAKE_RESERVE, message_after_press, taken_line
from bot.relay.plan import plan_next
from bot.text.formatting import (
    NAME_LIMIT,
    PLAIN_PART_LIMIT,
    TEXT_LIMIT,
    plain_parts,
    plain_text,
    short_name,
)
from bot.text.i18n import in_language
from bot.text.sms_view import Look, render_sms
from state import PendingDelivery, StoredSms
from state.oncall import Person, Take
from tests.fakes.telegram import parse_telegram_html, relayed_text, utf16_length

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2026, 11, 27, 13, 5, 3, tzinfo=UTC)
LOOK = Look(MOSCOW, WHEN + timedelta(seconds=20))
LAST_YEAR = WHEN - timedelta(days=400)  # a take shown with its full date: the longest time
# Telegram allows 64 characters for a first name and 64 for a last name; an emoji weighs two.
LONGEST_NAME = ("Анна-Мария 🌸" * 6)[:64] + " " + ("Константинопольская-Римская" * 3)[:64]

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=129)
sms_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=9000) | st.text(
    alphabet="<>&;/bcode 0123456789#x\n ", max_size=9000
)


def sms(text: str, smsc_id: int = 1) -> StoredSms:
    return StoredSms(smsc_id, "79261234567", "79031234567", text, WHEN, None, WHEN)


def shown(html: str) -> int:
    """How long a message is as Telegram counts it; raises if Telegram would refuse its HTML."""
    return utf16_length(parse_telegram_html(html))


@settings(max_examples=200, deadline=None)
@given(names)
def test_any_name_is_shown_on_one_line_within_the_limit(name: str) -> None:
    cut = short_name(name)
    assert utf16_length(cut) <= NAME_LIMIT and "\n" not in cut and cut
    if utf16_length(name) <= NAME_LIMIT and name == " ".join(name.split()) and name:
        assert cut == name  # a sane name is shown as it is


def test_a_long_name_is_cut_with_an_ellipsis() -> None:
    assert short_name(LONGEST_NAME) == "Анна-Мария 🌸Анна-Мария 🌸Анна-…"
    assert short_name("Anna  \n Smith") == "Anna Smith"


def test_the_longest_name_taking_an_sms_of_last_year_fits_the_reserved_room() -> None:
    takes = {1: Take(1, Person(1, LONGEST_NAME), LAST_YEAR)}
    for language in ("en", "ru"):
        with in_language(language):
            line = taken_line(takes, [1], MOSCOW, LOOK.now)
            assert line is not None and shown(line) <= TAKE_RESERVE - len(LINE_GAP)
            assert "Анна-Мария 🌸" in line and "…" in line


def test_a_digest_taken_by_many_names_its_first_takers_and_counts_the_rest() -> None:
    people = [Person(n, f"{LONGEST_NAME} {n}") for n in range(50)]
    takes = {n: Take(n, people[n % 50], LAST_YEAR) for n in range(200)}
    line = taken_line(takes, list(range(201)), MOSCOW, LOOK.now)
    assert line is not None and shown(line) <= TAKE_RESERVE - len(LINE_GAP)
    plain = parse_telegram_html(line)
    assert plain.startswith("✋ 200 of 201 taken: Анна-Мария") and plain.endswith(" more")
    short = {n: Take(n, Person(n % 5, f"P{n % 5}"), LAST_YEAR) for n in range(10)}
    assert parse_telegram_html(taken_line(short, list(range(10)), MOSCOW, LOOK.now) or "") == (
        "✋ 10 of 10 taken: P0 (2), P1 (2), P2 (2), +2 more"
    )


def test_two_people_of_the_same_name_are_two_takers() -> None:
    takes = {1: Take(1, Person(1, "Anna"), WHEN), 2: Take(2, Person(2, "Anna"), WHEN)}
    line = taken_line(takes, [1, 2, 3], MOSCOW, LOOK.now)
    assert parse_telegram_html(line or "") == "✋ 2 of 3 taken: Anna, Anna"


def test_a_message_with_no_room_left_keeps_its_text_and_its_release_button() -> None:
    html = "x" * (TEXT_LIMIT - 3)  # shown by an older release, with less kept in reserve
    takes = {1: Take(1, Person(1, "Anna"), WHEN)}
    text, markup = message_after_press(html, takes, [1], MOSCOW, LOOK.now)
    assert text == html and markup.inline_keyboard[0][0].callback_data == "r:1"
    roomy = "x" * (TEXT_LIMIT - 12)  # room for the short form only
    text, _markup = message_after_press(roomy, takes, [1], MOSCOW, LOOK.now)
    assert text == roomy + "\n\n<b>✋ Taken</b>"


@settings(max_examples=100, deadline=None)
@given(sms_text, st.lists(names, min_size=1, max_size=5), st.booleans())
def test_any_sms_taken_by_anyone_fits_and_keeps_its_whole_text(
    text: str, takers: list[str], digest_of_many: bool
) -> None:
    if digest_of_many:  # a backlog digest of SMS 1..40, each taken by one of them
        head = [PendingDelivery(sms(f"{text[:300]} {n}", n), "-1", 0) for n in range(1, 41)]
        plan = plan_next(head, 40, True, LOOK, TEXT_LIMIT - TAKE_RESERVE)
        parts, ids = list(plan.texts), plan.ids
    else:
        parts, ids = render_sms(sms(text), LOOK, limit=TEXT_LIMIT - TAKE_RESERVE), [1]
    people = [Person(n, name) for n, name in enumerate(takers)]
    takes = {i: Take(i, people[i % len(people)], LAST_YEAR) for i in ids}
    first, _markup = message_after_press(parts[0], takes, ids, MOSCOW, LOOK.now)
    assert first.startswith(parts[0] + LINE_GAP)  # the SMS untouched, the line after it
    assert all(shown(part) <= TEXT_LIMIT for part in [first, *parts[1:]])
    if not digest_of_many:
        assert "".join(relayed_text(part) for part in parts) == text


@settings(max_examples=100, deadline=None)
@given(sms_text)
def test_the_plain_text_form_carries_every_character_in_parts_with_room_to_spare(
    text: str,
) -> None:
    parts = render_sms(sms(text), LOOK)
    plain = plain_parts(parts)
    assert plain and all(0 < utf16_length(part) <= PLAIN_PART_LIMIT for part in plain)
    assert all(part.strip() for part in plain)  # Telegram refuses a blank message
    seen = "".join(parse_telegram_html(part) for part in parts)
    assert "".join(plain_text(part) for part in parts) == seen
    # Only whitespace Telegram would trim from a message's ends is ever left out.
    assert re.sub(r"\s", "", "".join(plain)) == re.sub(r"\s", "", seen)
    if len(parts) == 1 and not re.search(r"\s{1000}", text):  # no part of blanks only
        assert text.strip() in "".join(plain)
