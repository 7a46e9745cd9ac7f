"""Chat commands on the real bridge: answered where allowed, refused elsewhere, never cut."""

from __future__ import annotations

import pytest

from tests.bridge_checks import StartBridge, assert_no_secrets, replies, wait_relayed
from tests.conftest import GROUP, OPERATOR, OTHER_GROUP
from tests.fakes.bridge import FIRST_START_DONE
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, TgFault

pytestmark = pytest.mark.e2e


def test_commands_answer_in_allowed_chats_and_refuse_elsewhere(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log("connected to Telegram")
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("Boiler pressure LOW", phone="79261112233")
    smsc.add_sms("Your code 4321", phone="Sberbank")
    wait_relayed(telegram, "Your code 4321")

    def ask(chat: int, text: str, user: int = 1, chat_type: str | None = None) -> str:
        before = len(replies(telegram, chat))
        telegram.user_sends(chat, text, user_id=user, chat_type=chat_type)
        telegram.wait_for(
            lambda: len(replies(telegram, chat)) > before, timeout=20, what=f"answer to {text}"
        )
        return replies(telegram, chat)[-1]

    last = ask(GROUP, "/last 5")
    assert "The last 2 SMS" in last and "Boiler pressure LOW" in last and "4321" in last  # of 5
    assert last.index("Boiler") < last.index("Your code")
    history = ask(GROUP, "/history 2h")
    assert "the last 2 hours (" in history and " MSK)" in history and "Boiler" in history
    assert "Nothing matched" in ask(GROUP, "/history yesterday")
    search = ask(OTHER_GROUP, "/search boil 1d")
    assert "Boiler pressure LOW" in search and "Your code" not in search
    by_phone = ask(GROUP, "/from 8 926 111-22-33")
    assert "Boiler pressure LOW" in by_phone and "Your code" not in by_phone
    assert "Try: /last, /last 30" in ask(GROUP, "/last lots")
    assert "Boiler pressure LOW" in ask(GROUP, "/history")  # bare: the last 24 hours
    status = ask(GROUP, "/status")
    assert status.startswith("✅ All well · last SMS ") and "2 SMS stored" in status
    assert f"Chat {GROUP}: ✓" in status  # by title, no zero counters
    assert "/search" in ask(GROUP, "/help")
    assert "Boiler" in ask(OPERATOR, "/last", user=OPERATOR)

    stranger = 4242
    refusal = ask(stranger, "/last", user=stranger)
    assert "Boiler" not in refusal and "configured chats" in refusal
    refusal = ask(-100777, "/search code", user=stranger, chat_type="supergroup")
    assert "4321" not in refusal
    bridge.wait_for_log(r"refused /search from user 4242 in supergroup chat -100777")
    assert_no_secrets(bridge)


def test_with_phone_region_ua_numbers_are_read_the_ukrainian_way_and_shown_international(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), PHONE_REGION="ua").wait_for_log(FIRST_START_DONE)
    smsc.add_sms("Котел 2: тиск низький", phone="380671234567")
    smsc.add_sms("Boiler 3: pressure LOW", phone="79261112233")
    wait_relayed(telegram, "Boiler 3: pressure LOW", (GROUP,))
    shown = [m.plain.split("\n")[0] for m in telegram.messages(GROUP)]
    assert shown == [
        "📩 +380 67 123 4567: Котел 2: тиск низький",
        "📩 +7 926 111-22-33: Boiler 3: pressure LOW",
    ]

    def ask(text: str) -> str:
        before = len(replies(telegram, GROUP))
        telegram.user_sends(GROUP, text)
        telegram.wait_for(
            lambda: len(replies(telegram, GROUP)) > before, timeout=20, what=f"answer to {text}"
        )
        return replies(telegram, GROUP)[-1]

    ukrainian = ask("/from 067 123 45 67")
    assert ukrainian.startswith("SMS from +380 67 123 4567\n") and "Котел 2" in ukrainian
    assert "Boiler" not in ukrainian
    russian = ask("/from +7 (926) 111-22-33 1d")
    assert "Boiler 3: pressure LOW" in russian and "Котел" not in russian


def test_unknown_commands_and_refused_answers(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log("answering chat commands")
    telegram.user_sends(OPERATOR, "/nonsense", user_id=OPERATOR)
    telegram.wait_for(lambda: replies(telegram, OPERATOR), what="a pointer to /help")
    assert "/help" in replies(telegram, OPERATOR)[0]

    telegram.user_sends(GROUP, "/othercommand@another_bot")  # may be meant for another bot
    stranger_group = -100999  # the bot may not write there
    telegram.fail_next(TgFault("forbidden"), chat_id=stranger_group)
    telegram.user_sends(stranger_group, "/last", user_id=4242, chat_type="supergroup")
    bridge.wait_for_log(r"WARNING bot.chat.dispatcher: could not answer /last in chat -100999: ")
    telegram.user_sends(OPERATOR, "/help", user_id=OPERATOR)
    telegram.wait_for(lambda: len(replies(telegram, OPERATOR)) == 2, what="/help answered")
    assert replies(telegram, GROUP) == [] and telegram.messages(stranger_group) == []
    assert "Traceback" not in bridge.log()


def test_a_long_answer_comes_as_a_file_and_says_how_much_it_holds(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    for n in range(150):
        smsc.add_sms(f"history line {n}: boiler pressure normal, nothing to report today")
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(r"first start: 150 SMS stored as history")
    telegram.user_sends(GROUP, "/history 1d")
    telegram.wait_for(lambda: any(m.document for m in telegram.messages(GROUP)), what="file")
    [answer] = [m for m in telegram.messages(GROUP) if m.document]
    assert "150 SMS, too many for messages: here as a file" in answer.plain
    lines = answer.document.decode("utf-8").splitlines()
    assert lines[:2] == ["SMS received", lines[1]] and lines[1].startswith("the last day (")
    assert lines[1].endswith(" MSK)")
    assert sum("history line" in line for line in lines) == 150
    assert (
        "history line 0:" in answer.document.decode()
        and "history line 149:" in answer.document.decode()
    )
