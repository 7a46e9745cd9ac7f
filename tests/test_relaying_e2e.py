"""An SMS reaches every chat it is meant for once, whole and as typed, in its zone's time."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bridge_checks import (
    CHATS,
    StartBridge,
    assert_no_secrets,
    assert_not_logged_above_debug,
    relayed,
    wait_relayed,
)
from tests.conftest import GROUP, TOPIC, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def test_sms_reaches_every_chat_once_as_typed_and_restarts_repeat_nothing(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    smsc.add_sms("history from before the first start")
    bridge = start_bridge()
    bridge.wait_for_log(r"first start: 1 SMS stored as history")

    smsc.add_sms("<b>&</code> your code 123456", phone="79260001122")
    wait_relayed(telegram, "<b>&</code> your code 123456")
    for chat in CHATS:
        [message] = telegram.messages(chat)
        assert message.parse_mode == "HTML" and "<code>123456</code>" in message.text
        # The code in front, then the sender and the start of the text, on the first line.
        assert message.plain.startswith("🔑 123456 · +7 926 000-11-22: <b>&</code> your code")
        assert message.thread_id == (TOPIC if chat == TOPIC_CHAT else None)
    assert telegram.refused == []

    code, seconds = bridge.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10
    assert_not_logged_above_debug(bridge, "your code 123456")
    bridge.wait_for_log(r"INFO bot.intake.poller: fetched SMS \d+, \d+ characters")
    assert_not_logged_above_debug(bridge, "79260001122")  # numbers outlive RETENTION_DAYS
    bridge.wait_for_log(r"INFO bot.relay.relay: delivered SMS \d+ to chat -1003:42 as message \d+")

    smsc.add_sms("arrived while the bridge was down")
    restarted = start_bridge()
    wait_relayed(telegram, "arrived while the bridge was down")
    smsc.add_sms("after the restart")
    wait_relayed(telegram, "after the restart")
    for chat in CHATS:
        assert relayed(telegram, chat) == [
            "<b>&</code> your code 123456",
            "arrived while the bridge was down",
            "after the restart",
        ]
    code, _ = restarted.stop(signal.SIGINT)
    assert code == 0
    assert_no_secrets(restarted)
    assert "history from before the first start" not in str(telegram.sent)


def test_relay_backfill_relays_what_the_first_start_fetched(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    smsc.add_sms("from yesterday evening")
    start_bridge(SMSC_RELAY_BACKFILL="true", TELEGRAM_CHAT_IDS=str(GROUP))
    wait_relayed(telegram, "from yesterday evening", (GROUP,))


def test_times_are_read_in_smsc_timezone_and_shown_in_display_timezone(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(
        TELEGRAM_CHAT_IDS=str(GROUP),
        SMSC_TIMEZONE="Europe/Moscow",  # the fake writes Moscow time, UTC+3
        DISPLAY_TIMEZONE="Asia/Yekaterinburg",  # UTC+5
    )
    bridge.wait_for_log(FIRST_START_DONE)
    received = datetime.now(UTC).replace(microsecond=0)
    smsc.add_sms("zone check", received=received)
    wait_relayed(telegram, "zone check", (GROUP,))
    shown = (received + timedelta(hours=5)).strftime("%H:%M") + " UTC+5"  # never a bare +05
    assert telegram.messages(GROUP)[0].plain.endswith(shown)
    db = sqlite3.connect(tmp_path / "data" / "bridge.db")
    stored = db.execute("SELECT received_at FROM messages WHERE text = 'zone check'").fetchone()
    assert stored == (received.strftime("%Y-%m-%d %H:%M:%S"),)


def test_long_sms_arrives_whole_in_parts(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    text = "Line with <markup> & entities. " * 400  # 12,400 characters
    start_bridge(TELEGRAM_CHAT_IDS=str(GROUP)).wait_for_log(FIRST_START_DONE)
    smsc.add_sms(text)
    telegram.wait_for(lambda: relayed(telegram, GROUP) == [text], timeout=30, what="all parts")
    parts = telegram.messages(GROUP)
    # 12,400 characters fit in 4 messages when counted as Telegram counts (after parsing).
    assert len(parts) == 4 and all(len(m.plain) <= 4096 for m in parts)
    assert parts[0].plain.startswith("📩 +7 926 123-45-67 (1/4): Line with <markup> & entities.")
