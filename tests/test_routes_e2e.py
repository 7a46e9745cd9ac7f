"""Routing end to end: the real `sms-bridge run` with a ROUTES_FILE, against the fakes.

Every field of a route is used once (`to`, `from` written another way, a `text` regular
expression, `label`, `silent`, `drop`, `continue`), and the history each chat sees is
asked for with the chat commands (/last, /history, /search, /from, /open), as people ask.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GROUP, OPERATOR, OTHER_GROUP, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, is_relayed_sms

pytestmark = pytest.mark.e2e

StartBridge = Callable[..., BridgeProcess]
SUPPORT, BANK, NIGHT = -1009, -1008, -1007  # chats named only in the routes
SUPPORT_LINE = "79030000001"
ROUTES = f"""
[[route]]
name = "support line"
to = ["+7 (903) 000-00-01"]
chats = ["{SUPPORT}"]
label = "Support"

[[route]]
name = "bank"
from = ["8 926 555-44-33"]
chats = ["{BANK}"]

[[route]]
name = "night alarms"
text = "(?i)alarm|авария"
chats = ["{NIGHT}"]
silent = true
continue = true

[[route]]
name = "boilers"
text = "(?i)boiler"
chats = ["{GROUP}"]

[[route]]
name = "balance"
from = ["900", "MegaFon"]
text = "(?i)balance|баланс"
drop = true
"""
DEFAULT_CHATS = (GROUP, OTHER_GROUP, TOPIC_CHAT)
EVERY_CHAT = (*DEFAULT_CHATS, SUPPORT, BANK, NIGHT)


@pytest.fixture
def routed_bridge(tmp_path: Path, start_bridge: StartBridge) -> BridgeProcess:
    (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
    bridge = start_bridge(ROUTES_FILE="routes.toml")
    bridge.wait_for_log(FIRST_START_DONE)
    return bridge


def relayed_everywhere(telegram: FakeTelegram) -> dict[int, list[str]]:
    return {chat: telegram.sms_texts(chat) for chat in EVERY_CHAT}


def answers(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m.plain for m in telegram.messages(chat) if not is_relayed_sms(m.plain)]


def ask(telegram: FakeTelegram, chat: int, text: str, user: int = 1) -> str:
    before = len(answers(telegram, chat))
    telegram.user_sends(chat, text, user_id=user)
    telegram.wait_for(lambda: len(answers(telegram, chat)) > before, 20, f"answer to {text}")
    return answers(telegram, chat)[-1]


def test_each_field_of_a_route_sends_the_sms_where_the_file_says(
    smsc: FakeSmsc, telegram: FakeTelegram, routed_bridge: BridgeProcess, tmp_path: Path
) -> None:
    smsc.add_sms("printer on fire", to_phone=SUPPORT_LINE)  # to, label
    smsc.add_sms("Your code 4821", phone="79265554433")  # from, written another way
    smsc.add_sms("ALARM: boiler 3 pressure low")  # text; continue, then the next route
    smsc.add_sms("Авария: дверь 2 открыта")  # text; only a continue route matched
    smsc.add_sms("Ваш БАЛАНС: 5 руб", phone="MEGAFON")  # drop
    smsc.add_sms("hello from a customer")  # no route: TELEGRAM_CHAT_IDS
    expected = {
        GROUP: ["ALARM: boiler 3 pressure low", "hello from a customer"],
        OTHER_GROUP: ["hello from a customer"],
        TOPIC_CHAT: ["hello from a customer"],
        SUPPORT: ["printer on fire"],
        BANK: ["Your code 4821"],
        NIGHT: ["ALARM: boiler 3 pressure low", "Авария: дверь 2 открыта"],
    }
    telegram.wait_for(lambda: relayed_everywhere(telegram) == expected, 30, "every SMS routed")

    [support] = telegram.messages(SUPPORT)
    assert support.plain.endswith(" MSK") and "\n\n🏷 Support · " in support.plain
    assert [m.silent for m in telegram.messages(NIGHT)] == [True, True]
    assert [m.silent for m in telegram.messages(GROUP)] == [False, False]
    assert not telegram.messages(BANK)[0].silent
    db = sqlite3.connect(tmp_path / "data" / "bridge.db")
    stored = dict(db.execute("SELECT text, route FROM messages").fetchall())
    assert stored["Ваш БАЛАНС: 5 руб"] == "balance" and stored["hello from a customer"] is None
    assert stored["ALARM: boiler 3 pressure low"] == "boilers"
    routed_bridge.wait_for_log(r'fetched SMS \d+, .*; route 5 "balance" → dropped')
    assert telegram.refused == []


def test_history_follows_the_routes_and_an_operator_sees_everything(
    smsc: FakeSmsc, telegram: FakeTelegram, tmp_path: Path, start_bridge: StartBridge
) -> None:
    smsc.add_sms("kept from before the first start", to_phone=SUPPORT_LINE)
    (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
    bridge = start_bridge(ROUTES_FILE="routes.toml")
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("answering chat commands")
    smsc.add_sms("printer on fire", to_phone=SUPPORT_LINE)
    smsc.add_sms("Ваш баланс: 5 руб", phone="900")
    smsc.add_sms("hello from a customer")
    telegram.wait_for(
        lambda: (
            telegram.sms_texts(OTHER_GROUP) == ["hello from a customer"]
            and telegram.sms_texts(SUPPORT) == ["printer on fire"]
        ),
        30,
        "the SMS relayed",
    )

    support = ask(telegram, SUPPORT, "/last")  # a chat named only in the routes
    assert "kept from before the first start" in support and "printer on fire" in support
    assert "🏷 Support" in support
    assert "hello from a customer" not in support and "баланс" not in support
    group = ask(telegram, OTHER_GROUP, "/history 1d")
    assert "hello from a customer" in group and "printer" not in group
    assert "Nothing matched" in ask(telegram, OTHER_GROUP, "/search printer")
    assert "Nothing matched" in ask(telegram, GROUP, "/from 900")
    untaken = ask(telegram, OTHER_GROUP, "/open")
    assert "hello from a customer" in untaken and "printer" not in untaken
    support_open = ask(telegram, SUPPORT, "/open 2d")  # history never had a button
    assert "printer on fire" in support_open and "kept from before" not in support_open
    everything = ask(telegram, OPERATOR, "/last", user=OPERATOR)
    for text in ("kept from before", "printer on fire", "Ваш баланс", "hello from a customer"):
        assert text in everything, text
    dropped = ask(telegram, OPERATOR, "/search баланс", user=OPERATOR)
    assert "Ваш баланс: 5 руб" in dropped
    operator_open = ask(telegram, OPERATOR, "/open", user=OPERATOR)  # dropped: no button
    assert "hello from a customer" in operator_open and "баланс" not in operator_open
    assert "Ваш баланс" not in str(
        [m.plain for chat in EVERY_CHAT for m in telegram.messages(chat)]
    )
