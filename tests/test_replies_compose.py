"""How outgoing SMS read in previews and history answers (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.chat.sent import history_entry
from bot.features.replies.compose import read_sms_data, sms_data, state_lines
from bot.smsc.send_api import SendRefused
from bot.text.formatting import short_name
from bot.text.i18n import LANGUAGES, _, in_language
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
