"""Backlogs go out packed into digests; live traffic stays one message per SMS."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

pytestmark = pytest.mark.e2e


def sms_texts(telegram: FakeTelegram, chat: int) -> list[str]:
    return telegram.sms_texts(chat)


def test_a_backlog_is_packed_and_live_traffic_is_not(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.stop()
    backlog = [f"alarm {n}: pump {n % 7} pressure {'high ' * (n % 13)}<&>" for n in range(150)]
    for text in backlog:
        smsc.add_sms(text)
    start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    telegram.wait_for(lambda: len(sms_texts(telegram, GROUP)) >= 150, timeout=60, what="backlog")
    messages = telegram.messages(GROUP)
    assert sms_texts(telegram, GROUP) == backlog
    assert len(messages) <= 10
    assert all(len(m.plain) <= 4096 for m in messages)
    assert messages[0].plain.startswith("📦 Backlog: ")

    smsc.add_sms("live again")
    telegram.wait_for(lambda: "live again" in sms_texts(telegram, GROUP), what="live SMS")
    assert telegram.messages(GROUP)[-1].plain.startswith("📩 +7 926 123-45-67: live again")

    db = sqlite3.connect(tmp_path / "data" / "bridge.db")

    def sent() -> tuple[int, int]:
        return db.execute(
            "SELECT count(*), count(DISTINCT telegram_message_id) FROM deliveries "
            "WHERE status = 'sent' AND chat = ?",
            (str(GROUP),),
        ).fetchone()

    wait_until(lambda: sent()[0] == 151, what="every delivery recorded sent")
    assert sent()[1] == len(telegram.messages(GROUP))


def test_digests_can_be_turned_off(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    chat = 4040  # a private chat: one message a second, no group limit
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(chat), RELAY_DIGEST_THRESHOLD="0")
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.stop()
    for n in range(5):
        smsc.add_sms(f"one by one {n}")
    start_bridge(TELEGRAM_CHAT_IDS=str(chat), RELAY_DIGEST_THRESHOLD="0")
    telegram.wait_for(lambda: len(telegram.messages(chat)) == 5, what="5 messages")
    # Each SMS its own message, in order (their spacing is ChatPace's, tested on a fake
    # clock in tests/test_chat_pace.py: gaps measured here would be the machine's load).
    texts = [m.plain for m in telegram.messages(chat)]
    assert all(t.startswith("📩") for t in texts)
    assert [n for t in texts for n in range(5) if f"one by one {n}" in t] == list(range(5))
