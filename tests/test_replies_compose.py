"""How outgoing SMS read in previews and history answers (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.chat.sent import history_entry
from bot.features.replies.compose import (
    parts_text,
    preview_text,
    price_line,
    read_sms_data,
    sms_data,
    state_lines,
    why_not_text,
)
from bot.smsc.currency import account_currency
from bot.smsc.parts import sms_parts
from bot.smsc.send_api import SendRefused
from bot.text.formatting import short_name
from bot.text.i18n import LANGUAGES, _, in_language, money
from bot.text.sms_view import Look
from state.oncall import Person
from state.outgoing import Outgoing, OutgoingState

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)


def outgoing(text: str, state: OutgoingState = OutgoingState.SENT, **changes: Any) -> Outgoing:
    sent = Outgoing(
        id=7, phone="79261112233", text=text, sender_name=None, parts=1, chat="-1001",
        topic_id=None, preview_message_id=5, answers_sms=None, author=Person(1, "Anna"),
        created_at=NOW, expires_at=NOW, state=state, sent_at=NOW, smsc_id=None, cost=None,
        balance=None, status_code=None, checks=0, reason=None, send_id="qzkfmwbt7",
        not_found=0, first_not_found_at=None,
    )  # fmt: skip
    return replace(sent, **changes)


def test_an_outgoing_sms_hides_its_codes_like_an_incoming_one_with_hide_codes() -> None:
    sent = outgoing("Your new PIN 4821, tell nobody")
    shown = "".join(history_entry(sent, Look(MOSCOW, NOW)))
    hidden = "".join(history_entry(sent, Look(MOSCOW, NOW, hide_codes=True)))
    assert "<code>4821</code>" in shown and "tg-spoiler" not in shown
    assert "<tg-spoiler><code>4821</code></tg-spoiler>" in hidden


def test_a_refusal_smsc_did_not_explain_names_its_code() -> None:
    refused = outgoing(
        "hi", OutgoingState.FAILED, reason="SMSC refused the SMS (error {code}).", status_code=42
    )
    assert state_lines(refused, MOSCOW, NOW) == ["⛔ Not sent: SMSC refused the SMS (error 42)."]


@pytest.mark.parametrize("code", [6, 42])
def test_a_refusal_reads_the_same_when_it_comes_and_when_read_back_from_the_store(
    code: int,
) -> None:
    refused = SendRefused(code)
    stored = outgoing("hi", OutgoingState.FAILED, reason=refused.sentence, status_code=code)
    for language in LANGUAGES:
        with in_language(language):
            said = str(refused.said)
            assert state_lines(stored, MOSCOW, NOW) == [
                _("⛔ Not sent: {reason}").format(reason=said)
            ]
    with in_language("ru"):
        assert str(SendRefused(42).said) == "SMSC отклонил SMS (ошибка 42)."


def test_button_data_reads_back_and_nothing_else_does() -> None:
    assert read_sms_data(sms_data("send", 12)) == ("send", 12)
    for data in ("sms:send:", "sms:send:１２", "sms:send:12:1", "sms:post:12", "take:12", None):
        assert read_sms_data(data) is None


def test_the_longest_author_name_is_cut_wherever_a_reply_shows_it() -> None:
    longest = Person(1, "Анна-Мария " * 6 + "Константинопольская " * 4)  # 64 + 64 characters
    for state in (OutgoingState.PREVIEW, OutgoingState.SENT, OutgoingState.NOT_SENT):
        sent = outgoing("hi", state, author=longest, expires_at=NOW, sent_at=NOW)
        for line in [
            *state_lines(sent, MOSCOW, NOW),
            "".join(history_entry(sent, Look(MOSCOW, NOW))),
        ]:
            assert longest.name not in line
    shown = "".join(history_entry(outgoing("hi", author=longest), Look(MOSCOW, NOW)))
    assert short_name(longest.name) in shown


NBSP = "\u00a0"


def test_money_has_its_currency_and_the_languages_grouping_and_decimal_sign() -> None:
    assert price_line("2.50", "1871.62", "RUB") == (
        f"💰 cost RUB{NBSP}2.50 · balance RUB{NBSP}1,871.62"
    )
    with in_language("ru"):
        assert price_line("2.50", "1871.62", "RUB") == (
            f"💰 стоимость 2,50{NBSP}₽ · баланс 1{NBSP}871,62{NBSP}₽"
        )
        assert price_line(None, "1871.62", "KZT").startswith("💰 стоимость неизвестна (")
        sent = outgoing("hi", OutgoingState.DELIVERED, cost="2.5", balance="1869.12")
        assert (
            f"стоимость 2,50{NBSP}₽ · баланс 1{NBSP}869,12{NBSP}₽"
            in state_lines(sent, MOSCOW, NOW, "RUB")[0]
        )
    assert price_line("2.50", None, None) == "💰 cost 2.50"  # a currency nobody knows: none
    assert money("about 3", "RUB") == "about 3"  # not a number: as SMSC wrote it
    assert money("0.325", "RUB") == f"RUB{NBSP}0.325"  # no digit SMSC gave is rounded away


def test_the_currency_is_the_one_the_accounts_smsc_site_bills_in() -> None:
    assert account_currency("https://smsc.ru") == "RUB"
    assert account_currency("https://www2.smsc.kz/") == "KZT"
    assert account_currency("https://smsc.ua") == "UAH"
    assert account_currency("https://smscentre.com") is None
    assert account_currency("http://127.0.0.1:8080") is None


def test_parts_are_told_in_plain_words_with_the_length_a_part_really_holds() -> None:
    cyrillic = "Котёл 3: давление в норме. " * 5  # 135 characters: three parts of 67
    latin = "Boiler 3 pressure is back to normal. " * 5  # 185: two parts of 153
    assert parts_text("Едем", sms_parts("Едем")) == "1 SMS (Cyrillic: up to 70 characters)"
    assert parts_text(cyrillic, sms_parts(cyrillic)) == "3 SMS parts (Cyrillic: 67 characters each)"
    assert parts_text(latin, sms_parts(latin)) == "2 SMS parts (Latin letters: 153 characters each)"
    assert parts_text("ok 👍", sms_parts("ok 👍")).startswith("1 SMS (emoji or special")
    with in_language("ru"):
        assert parts_text(cyrillic, sms_parts(cyrillic)) == (
            "3 части SMS (кириллица: по 67 символов)"
        )
        assert parts_text(latin, sms_parts(latin)) == "2 части SMS (латиница: по 153 символа)"
        assert parts_text("ok", sms_parts("ok")) == "1 SMS (латиница: до 160 символов)"


def test_the_preview_says_how_much_of_todays_limit_is_used_before_send() -> None:
    draft = outgoing("Едем", OutgoingState.PREVIEW, expires_at=NOW)
    shown = preview_text(draft, sms_parts(draft.text), "💰", MOSCOW, NOW, (12, 50))
    assert "SMS parts sent today: 12 of 50" in shown
    assert "Only Anna can send it, until 03:10 MSK." in shown
    with in_language("ru"):
        shown = preview_text(draft, sms_parts(draft.text), "💰", MOSCOW, NOW, (21, 50))
    assert "Частей SMS за сегодня: 21 из 50" in shown


def test_a_text_too_long_counts_its_characters_in_the_right_form() -> None:
    with in_language("ru"):
        assert why_not_text("x" * 1001) == (
            f"В тексте 1{NBSP}001 символ; SMSC принимает не больше 1{NBSP}000: сократите его."
        )
        assert (why_not_text("x" * 1002) or "").startswith(f"В тексте 1{NBSP}002 символа;")
        assert (why_not_text("x" * 1005) or "").startswith(f"В тексте 1{NBSP}005 символов;")
