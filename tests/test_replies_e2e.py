"""Answering an SMS from the chat, end to end: previews, one send, refusals, SMSC's errors."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, SentMessage, is_relayed_sms

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]
ANNA, BORIS = 1001, 1002
REPLIES = {"TELEGRAM_CHAT_IDS": str(GROUP), "SMS_REPLY_USER_IDS": str(ANNA), "SMS_SENDER": "ACME"}


def bot_message(telegram: FakeTelegram, starts: str, after: int = 0) -> SentMessage:
    """The first bot message in the group starting with `starts` (a copy)."""

    def found() -> list[SentMessage]:
        return [m for m in telegram.messages(GROUP)[after:] if m.plain.startswith(starts)]

    telegram.wait_for(lambda: found(), what=starts)
    with telegram.lock:
        return replace(found()[0])


def current(telegram: FakeTelegram, message: SentMessage) -> str:
    return next(m.plain for m in telegram.messages(GROUP) if m.message_id == message.message_id)


def answered(telegram: FakeTelegram, query: str) -> str:
    telegram.wait_for(lambda: telegram.answer_to(query) is not None, what="the press answered")
    answer = telegram.answer_to(query)
    assert answer is not None
    return answer.text


def press(telegram: FakeTelegram, preview: SentMessage, label: str, user: int = ANNA) -> str:
    assert preview.markup is not None
    [data] = [
        b["callback_data"] for b in preview.markup["inline_keyboard"][0] if label in b["text"]
    ]
    return telegram.user_presses(
        preview, user_id=user, name="Anna" if user == ANNA else "Boris", data=data
    )


def states(database: Path) -> list[tuple[str, str]]:
    """(the ID SMSC got, state) of each outgoing SMS."""
    with sqlite3.connect(database) as db:
        return db.execute("SELECT send_id, state FROM outgoing ORDER BY id").fetchall()


@pytest.fixture
def bridge(start_bridge: StartBridge, smsc: FakeSmsc) -> BridgeProcess:
    started = start_bridge(**REPLIES)
    started.wait_for_log(FIRST_START_DONE)
    started.wait_for_log("answering chat commands")
    return started


def test_a_reply_is_previewed_sent_once_when_pressed_and_followed_to_delivery(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess, tmp_path: Path
) -> None:
    smsc.add_sms("Is the boiler fixed?", phone="79261112233")
    relayed = bot_message(telegram, "📩 +7 926 111-22-33")
    bridge.wait_for_log(r"delivered SMS \d+ to chat")  # its message is known to the store
    asked = telegram.user_sends(
        GROUP, "We are on it,\nby noon", user_id=ANNA, name="Anna", reply_to=relayed
    )
    preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    assert preview.reply_to == asked and "from the sender name ACME" in preview.plain
    assert (
        "We are on it,\nby noon" in preview.plain
        and "1 SMS (Latin letters: up to 160" in preview.plain
    )
    assert "💰 cost 2.50 · balance 100.00" in preview.plain  # a test server: no currency
    assert smsc.outbox.send_requests == [] and len(smsc.outbox.quotes) == 1

    assert answered(telegram, press(telegram, preview, "Send")) == "⏳ Sending…"
    telegram.wait_for(lambda: "✅ delivered" in current(telegram, preview), timeout=40)
    [sent] = smsc.outbox.sends
    assert (sent.phone, sent.text, sent.sender) == ("79261112233", "We are on it,\nby noon", "ACME")
    assert "📤 Sent by Anna at " in current(telegram, preview)
    assert states(tmp_path / "data" / "bridge.db") == [(sent.our_id, "delivered")]
    bridge.wait_for_log(rf"SMS \d+ sent by user {ANNA} \(our id {sent.our_id}, SMSC's id 9001")
    info = [line for line in bridge.log().splitlines() if " INFO " in line]
    assert not any("We are on it" in line for line in info)
    replies = [line for line in bridge.log().splitlines() if " bot.features.replies." in line]
    above_debug = [line for line in replies if " DEBUG " not in line]
    assert above_debug and not any("79261112233" in line for line in above_debug)  # IDs only
    assert any("79261112233" in line for line in replies)  # the number: at DEBUG
    before = len(telegram.messages(GROUP))
    telegram.user_sends(GROUP, "/last 5", user_id=ANNA, name="Anna")
    last = bot_message(telegram, "The last 2 SMS", after=before)  # 1 received, 1 sent
    assert (
        "📤" in last.plain and "to +7 926 111-22-33, Anna · delivered: We are on it," in last.plain
    )
    telegram.user_sends(GROUP, "/status", user_id=ANNA, name="Anna")
    status = bot_message(telegram, "✅ All well", after=before)
    assert "SMS parts sent today: 1 of 50 · balance 97.50" in status.plain
    for asked, title in [
        ("/history 1h", "SMS received"),
        ("/from 8 926 111-22-33", "SMS from +7 926 111-22-33"),
        ("/search noon", "SMS containing “noon”"),
    ]:
        before = len(telegram.messages(GROUP))
        telegram.user_sends(GROUP, asked, user_id=ANNA, name="Anna")
        answer = bot_message(telegram, title, after=before)
        assert "📤" in answer.plain and "We are on it," in answer.plain, asked


def test_double_presses_and_other_people_make_one_send(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess
) -> None:
    telegram.user_sends(GROUP, "/sms +7 926 111-22-33 Call me back", user_id=ANNA, name="Anna")
    preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    first, second = press(telegram, preview, "Send"), press(telegram, preview, "Send")
    boris = press(telegram, preview, "Send", user=BORIS)
    answers = {answered(telegram, first), answered(telegram, second)}
    assert "⏳ Sending…" in answers and any(a.startswith("Nothing sent") for a in answers)
    assert answered(telegram, boris) == "Only Anna can press this: the preview is theirs."
    telegram.wait_for(lambda: "📤 Sent by Anna" in current(telegram, preview), timeout=20)
    assert len(smsc.outbox.send_requests) == 1


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        ("/sms +79261112233", "There is no text to send."),
        (
            "/sms +79261112233 " + "x" * 1001,
            "The text has 1,001 characters; SMSC takes at most 1,000: shorten it.",
        ),
        ("/sms 900 Balance?", "“900” is not a phone number. Try:"),
    ],
)
def test_what_cannot_go_is_refused_before_any_request(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess, asked: str, refusal: str
) -> None:
    telegram.user_sends(GROUP, asked, user_id=ANNA, name="Anna")
    telegram.wait_for(lambda: any(refusal in m.plain for m in telegram.messages(GROUP)))
    assert smsc.outbox.quotes == [] and smsc.outbox.send_requests == []


def test_a_sender_name_cannot_be_answered_and_strangers_cannot_send(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess
) -> None:
    smsc.add_sms("Your balance is low", phone="Sberbank")
    relayed = bot_message(telegram, "📩 Sberbank")
    bridge.wait_for_log(r"delivered SMS \d+ to chat")
    telegram.user_sends(GROUP, "thanks", user_id=ANNA, name="Anna", reply_to=relayed)
    bot_message(telegram, "⛔ Sberbank cannot receive an SMS (a sender name or a short number).")
    telegram.user_sends(GROUP, "/sms +79261112233 hi", user_id=BORIS)
    bot_message(
        telegram, "⛔ Only people the admin allowed may send SMS; ask the admin to add you."
    )
    before = len(telegram.messages(GROUP))
    telegram.user_sends(GROUP, "just talking about it", user_id=BORIS, reply_to=relayed)
    telegram.user_sends(GROUP, "/status", user_id=ANNA, name="Anna")  # conversation gets no answer
    status = bot_message(telegram, "✅ All well", after=before)
    assert [
        m
        for m in telegram.messages(GROUP)[before:]
        if m.message_id != status.message_id and not is_relayed_sms(m.plain)
    ] == []
    assert smsc.outbox.quotes == [] and smsc.outbox.send_requests == []


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        (3, "There is not enough money on the SMSC account"),
        (6, "SMSC forbids this text or this sender name."),
        (7, "SMSC says this phone number is not valid."),
        (8, "SMSC cannot deliver an SMS to this number."),
        (2, "SMSC refused the account's login, or this server's IP is not allowed."),
        (4, "SMSC has blocked this server's IP for a while"),
        (9, "SMSC refused it as a copy of a send within the last minute"),
        (42, "SMSC refused the SMS (error 42)."),
    ],
)
def test_smsc_errors_become_sentences_and_nothing_is_sent_again(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess, code: int, sentence: str
) -> None:
    smsc.outbox.fail_next_send("error", code)
    telegram.user_sends(GROUP, f"/sms +79261112233 attempt {code}", user_id=ANNA, name="Anna")
    preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    answered(telegram, press(telegram, preview, "Send"))
    telegram.wait_for(lambda: f"⛔ Not sent: {sentence}" in current(telegram, preview))
    bridge.wait_for_log(rf"refused by SMSC \(error {code}\)")
    assert len(smsc.outbox.send_requests) == 1 and smsc.outbox.sends == []


def test_the_daily_limit_refuses_before_any_request(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(**REPLIES, SMS_DAILY_LIMIT="2")
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(GROUP, "/sms +79261112233 " + "three parts " * 30, user_id=ANNA)
    bot_message(telegram, "⛔ Not sent: 0 of today's 2 SMS parts are used, and this SMS takes 3.")
    assert smsc.outbox.quotes == [] and smsc.outbox.send_requests == []
    # Two previews that fit alone but not together: the second Send is refused.
    telegram.user_sends(GROUP, "/sms +79261112233 first", user_id=ANNA, name="Anna")
    first = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    before = len(telegram.messages(GROUP))
    telegram.user_sends(GROUP, "/sms +79261112233 " + "two parts " * 20, user_id=ANNA)
    second = bot_message(telegram, "📤 SMS to +7 926 111-22-33", after=before)
    answered(telegram, press(telegram, first, "Send"))
    telegram.wait_for(lambda: "📤 Sent by Anna" in current(telegram, first))
    refused = answered(telegram, press(telegram, second, "Send"))
    assert refused.startswith(
        "Not sent: 1 of today's 2 SMS parts are used, and this SMS takes 2. It can go from "
    ) and refused.endswith(" 00:00 MSK; only the admin can raise the limit.")
    assert len(smsc.outbox.send_requests) == 1


def test_a_price_smsc_will_not_give_again_leaves_the_send_possible(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess
) -> None:
    for _ in range(6):  # SMSC prices the same SMS five times a minute, then error 9
        before = len(telegram.messages(GROUP))
        telegram.user_sends(GROUP, "/sms +79261112233 same text", user_id=ANNA, name="Anna")
        preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33", after=before)
    assert "💰 cost unknown (SMSC did not say)" in preview.plain
    assert answered(telegram, press(telegram, preview, "Send")) == "⏳ Sending…"
    telegram.wait_for(lambda: "📤 Sent by Anna" in current(telegram, preview))
    assert len(smsc.outbox.sends) == 1


@pytest.mark.parametrize("fault", [("drop", None), ("status", 502)])
def test_a_lost_answer_is_shown_and_settled_by_status_never_sent_again(
    smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess, fault: tuple[str, object]
) -> None:
    smsc.outbox.fail_next_send(*fault)  # a cut connection after sending; a proxy's 502
    telegram.user_sends(GROUP, "/sms +79261112233 lost answer", user_id=ANNA, name="Anna")
    preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    answered(telegram, press(telegram, preview, "Send"))
    telegram.wait_for(lambda: "❓ SMSC's answer never came" in current(telegram, preview))
    bridge.wait_for_log(r"it may have been sent, asking status.php")
    if fault[0] == "drop":  # SMSC had it: status.php settles it (not found: in process)
        telegram.wait_for(lambda: "✅ delivered" in current(telegram, preview), timeout=60)
    assert len(smsc.outbox.send_requests) == 1


def test_a_crash_between_the_request_and_its_answer_never_sends_twice(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    bridge: BridgeProcess,
    start_bridge: StartBridge,
    tmp_path: Path,
) -> None:
    smsc.outbox.fail_next_send("hold")  # SMSC sends it, then the answer never comes
    telegram.user_sends(GROUP, "/sms +79261112233 exactly once", user_id=ANNA, name="Anna")
    preview = bot_message(telegram, "📤 SMS to +7 926 111-22-33")
    answered(telegram, press(telegram, preview, "Send"))
    telegram.wait_for(lambda: len(smsc.outbox.sends) == 1, what="the send reaching SMSC")
    bridge.stop(signal.SIGKILL)
    smsc.outbox.released.set()
    restarted = start_bridge(**REPLIES)
    restarted.wait_for_log(r"SMS \d+ were being sent when the last run ended")
    telegram.wait_for(lambda: "❓ SMSC's answer never came" in current(telegram, preview))
    telegram.wait_for(lambda: "✅ delivered" in current(telegram, preview), timeout=60)
    assert len(smsc.outbox.send_requests) == 1  # asked about, never sent again
    # Telegram hands the restarted bot the updates it had not confirmed: the /sms again
    # (a second preview nobody pressed) and the press (answered "nothing sent").
    sent = [state for _, state in states(tmp_path / "data" / "bridge.db") if state != "preview"]
    assert sent == ["delivered"]
