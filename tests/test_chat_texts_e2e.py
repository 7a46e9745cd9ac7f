"""What people read, end to end: menu taps, prompts, quoted answers, Russian throughout."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import GROUP, OPERATOR
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, SentMessage, is_relayed_sms

pytestmark = pytest.mark.e2e
StartBridge = Callable[..., BridgeProcess]


def answers(telegram: FakeTelegram, chat: int) -> list[SentMessage]:
    return [m for m in telegram.messages(chat) if not is_relayed_sms(m.plain)]


def ask(telegram: FakeTelegram, chat: int, text: str, **how: object) -> tuple[int, SentMessage]:
    """Send `text` as a user; returns its message ID and the bot's next answer."""
    before = len(answers(telegram, chat))
    asked = telegram.user_sends(chat, text, **how)  # type: ignore[arg-type]
    telegram.wait_for(lambda: len(answers(telegram, chat)) > before, what=f"answer to {text}")
    return asked, answers(telegram, chat)[before]


def test_bare_commands_from_the_menu_ask_for_what_is_missing(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("Boiler pressure LOW", phone="79261112233")
    smsc.add_sms("Door 2 opened", phone="79035550000")
    telegram.wait_for(lambda: len(telegram.sms_texts(GROUP)) == 2, what="both SMS")

    asked, prompt = ask(telegram, GROUP, "/search")
    assert prompt.plain.startswith("🔎 What should I look for?")
    assert prompt.reply_to == asked and prompt.markup and prompt.markup["force_reply"]
    replied, answer = ask(telegram, GROUP, "boil 2d", reply_to=prompt)
    assert "SMS containing “boil”" in answer.plain and "Boiler pressure LOW" in answer.plain
    assert "Door" not in answer.plain and answer.reply_to == replied

    _, prompt = ask(telegram, GROUP, "/from")
    _, answer = ask(telegram, GROUP, "8 926 111-22-33", reply_to=prompt)
    assert "SMS from +7 926 111-22-33" in answer.plain and "Boiler" in answer.plain

    _, history = ask(telegram, GROUP, "/history")  # bare: the last 24 hours
    assert history.plain.startswith("SMS received\nthe last 24 hours (")
    assert "Boiler" in history.plain and "Door" in history.plain


def test_answers_quote_their_command_in_groups_but_not_in_private(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    start_bridge().wait_for_log("answering chat commands")
    asked, answer = ask(telegram, GROUP, "/last")
    assert answer.reply_to == asked
    _, answer = ask(telegram, OPERATOR, "/last", user_id=OPERATOR)
    assert answer.reply_to is None
    _, refusal = ask(telegram, -100777, "/last", user_id=4242, chat_type="supergroup")
    assert "<code>-100777</code>" in refusal.text and "<code>4242</code>" in refusal.text


def test_a_russian_bridge_writes_russian_and_every_menu_has_russian(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(UI_LANGUAGE="ru")
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("Ваш код: 4821", phone="Sberbank")
    telegram.wait_for(lambda: telegram.sms_texts(GROUP) == ["Ваш код: 4821"], what="the SMS")
    [relayed] = telegram.messages(GROUP)
    assert relayed.plain.startswith("🔑 4821 · Sberbank: Ваш код: 4821") and "МСК" in relayed.plain
    _, answer = ask(telegram, GROUP, "/history вчера")
    assert (
        answer.plain.startswith("Полученные SMS\nвчера (") and "Ничего не нашлось" in answer.plain
    )
    _, answer = ask(telegram, GROUP, "/last много")
    assert answer.plain == "«много» — не число SMS. Например: /last, /last 30"
    default, russian = telegram.menus[""], telegram.menus["ru"]
    assert default == russian and {c["command"] for c in russian} >= {"last", "search"}
    assert any(c["description"].startswith("последние N SMS") for c in russian)


def test_an_english_bridge_offers_russian_apps_a_russian_menu(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    start_bridge().wait_for_log("answering chat commands")
    telegram.wait_for(lambda: "ru" in telegram.menus, what="the Russian menu")
    english = {c["command"]: c["description"] for c in telegram.menus[""]}
    russian = {c["command"]: c["description"] for c in telegram.menus["ru"]}
    assert english["history"].startswith("SMS in a window")
    assert russian["history"].startswith("SMS за период")


def test_start_in_a_private_chat_says_whether_sms_come_there(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    colleague = OPERATOR + 1
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=f"{GROUP},{OPERATOR}", TELEGRAM_ALLOWED_USER_IDS=f"{OPERATOR},{colleague}"
    )
    bridge.wait_for_log("answering chat commands")
    _, target = ask(telegram, OPERATOR, "/start", user_id=OPERATOR)  # listed: SMS come here
    assert "is relayed to this chat within seconds" in target.plain
    assert "not here" not in target.plain
    # Replies are off (no SMS_REPLY_USER_IDS) and this is a private chat: no /sms, no
    # "reply to answer", no /oncall, no take button to tap.
    assert "/sms" not in target.plain and "Reply to an SMS" not in target.plain
    assert "/oncall" not in target.plain and "Tap Take" not in target.plain
    _, other = ask(telegram, colleague, "/start", user_id=colleague)  # not listed
    assert "New SMS are relayed to the team's chats, not here." in other.plain
