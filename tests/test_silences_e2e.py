"""Silences end to end: the real `sms-bridge run`, /mute from the chat, the fake Bot API."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GROUP, OPERATOR
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, SentMessage, is_relayed_sms

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]
ANNA = 1001


def relayed(telegram: FakeTelegram, text: str) -> SentMessage:
    telegram.wait_for(
        lambda: any(text in m.plain and is_relayed_sms(m.plain) for m in telegram.messages(GROUP)),
        what=f"{text!r} relayed",
    )
    return next(m for m in telegram.messages(GROUP) if text in m.plain and is_relayed_sms(m.plain))


def answer(telegram: FakeTelegram, starts: str, chat: int = GROUP) -> SentMessage:
    telegram.wait_for(
        lambda: any(m.plain.startswith(starts) for m in telegram.messages(chat)), what=starts
    )
    return [m for m in telegram.messages(chat) if m.plain.startswith(starts)][-1]


def test_a_muted_sms_comes_silent_without_a_button_until_the_silence_is_ended(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(GROUP, "/mute 2h door 7", user_id=ANNA, name="Anna")
    set_line = answer(telegram, "🔕 Silence 1 until ")
    assert "SMS with “door 7” come here without a sound" in set_line.plain

    smsc.add_sms("DOOR 7 opened")
    smsc.add_sms("Pump 3 stopped")
    muted, loud = relayed(telegram, "DOOR 7 opened"), relayed(telegram, "Pump 3 stopped")
    assert muted.silent and muted.markup is None  # no sound, no take button
    assert not loud.silent and loud.markup is not None

    telegram.user_sends(GROUP, "/mutes", user_id=ANNA, name="Anna")
    listed = answer(telegram, "🔕 Silences here:")
    assert "1. SMS with “door 7”, set by Anna, until " in listed.plain
    assert listed.plain.endswith("; 1 muted so far")
    assert listed.markup is not None
    end = listed.markup["inline_keyboard"][0][0]
    assert (end["text"], end["callback_data"]) == ("🔔 End 1", "um:1")

    query = telegram.user_presses(listed, user_id=ANNA, name="Anna")
    told = answer(telegram, "🔔 Silence 1 ended")
    assert told.plain == "🔔 Silence 1 ended (SMS with “door 7”): it muted 1 SMS."
    pressed = telegram.answer_to(query)
    assert pressed is not None and pressed.text == "🔔 Ended."

    smsc.add_sms("door 7 closed")
    again = relayed(telegram, "door 7 closed")
    assert not again.silent and again.markup is not None  # the silence is over
    db = sqlite3.connect(tmp_path / "data" / "bridge.db")
    stored = [text for (text,) in db.execute("SELECT text FROM messages ORDER BY id")]
    assert stored == ["DOOR 7 opened", "Pump 3 stopped", "door 7 closed"]  # nothing dropped
    # Booked (a moment after Telegram's answer): the muted SMS was never filed for a button.
    sent = "SELECT count(*) FROM deliveries WHERE chat = ? AND status = 'sent'"
    telegram.wait_for(lambda: db.execute(sent, (str(GROUP),)).fetchone() == (3,), what="booked")
    filed = "SELECT count(*) FROM shown WHERE chat = ?"
    assert db.execute(filed, (str(GROUP),)).fetchone() == (2,)
    telegram.user_sends(GROUP, "/unmute 1", user_id=ANNA, name="Anna")
    assert answer(telegram, "No silence 1").plain == (
        "No silence 1 in force here: /mutes lists them."
    )


def test_only_who_may_press_the_take_button_may_set_a_silence(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(ONCALL_USER_IDS=str(ANNA))
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(GROUP, "/mute 2h", user_id=4242, name="Stranger")
    assert answer(telegram, "Only").plain == "Only the on-call team may set silences here."
    telegram.user_sends(GROUP, "/mute 2 hours", user_id=ANNA, name="Anna")
    assert answer(telegram, "“2”").plain.startswith("“2” is not a length of time")


def test_a_silence_that_ended_while_the_bridge_was_down_is_told_after_the_restart(
    telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(GROUP, "/mute 1d", user_id=ANNA, name="Anna")
    answer(telegram, "🔕 Silence 1 until ")
    bridge.stop()
    with sqlite3.connect(tmp_path / "data" / "bridge.db") as db:  # its day went by
        db.execute("UPDATE silences SET ends_at = '2026-01-01 00:00:00'")
    start_bridge("again")
    told = answer(telegram, "🔔 Silence 1 ended")
    assert told.plain == "🔔 Silence 1 ended (every SMS): it muted 0 SMS."
    telegram.user_sends(GROUP, "/mutes", user_id=ANNA, name="Anna")
    assert answer(telegram, "No silences").plain.startswith("No silences here.")
    assert len([m for m in telegram.messages(GROUP) if "Silence 1 ended" in m.plain]) == 1


def test_a_chat_keeps_at_most_ten_silences_so_mutes_lists_them_in_one_message(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=f"{GROUP},{OPERATOR}")  # a private chat: no pace
    bridge.wait_for_log("answering chat commands")
    for n in range(1, 11):
        telegram.user_sends(OPERATOR, f"/mute 1h {'long words ' * 18}{n}", user_id=ANNA)
        answer(telegram, f"🔕 Silence {n} until ", OPERATOR)
    telegram.user_sends(OPERATOR, "/mute 1h door", user_id=ANNA)
    assert answer(telegram, "A chat keeps", OPERATOR).plain == (
        "A chat keeps at most 10 silences at once: /mutes lists them, /unmute ends one."
    )
    telegram.user_sends(OPERATOR, "/mutes", user_id=ANNA)
    listed = answer(telegram, "🔕 Silences here:", OPERATOR)
    assert listed.plain.count("\n") == 10 and listed.markup is not None
    assert len(listed.markup["inline_keyboard"]) == 10
