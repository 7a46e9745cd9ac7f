"""What the end-to-end tests of the bridge read: relayed SMS, answers, and the log."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import GROUP, OTHER_GROUP, TOPIC_CHAT
from tests.fakes.bridge import BridgeProcess
from tests.fakes.smsc import PASSWORD
from tests.fakes.telegram import TOKEN, FakeTelegram, is_relayed_sms

CHATS = (GROUP, OTHER_GROUP, TOPIC_CHAT)  # the chats of conftest's bridge_env
StartBridge = Callable[..., BridgeProcess]


def relayed(telegram: FakeTelegram, chat: int) -> list[str]:
    return telegram.sms_texts(chat)


def wait_relayed(telegram: FakeTelegram, text: str, chats: tuple[int, ...] = CHATS) -> None:
    telegram.wait_for(
        lambda: all(text in relayed(telegram, chat) for chat in chats),
        timeout=30,
        what=f"{text!r} in chats {chats}",
    )


def replies(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m.plain for m in telegram.messages(chat) if not is_relayed_sms(m.plain)]


def assert_not_logged_above_debug(bridge: BridgeProcess, text: str) -> None:
    """SMS text may hold one-time codes: it appears only in DEBUG lines, if at all."""
    lines = [line for line in bridge.log().splitlines() if text in line]
    assert all(" DEBUG " in line for line in lines), lines


def assert_no_secrets(bridge: BridgeProcess) -> None:
    log = bridge.log()
    for secret in (TOKEN, TOKEN.split(":")[1], PASSWORD):
        assert secret not in log
