"""Telegram misbehaving: 429s, refusals, moves, outages and lost answers cost no SMS."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.bridge_checks import StartBridge, relayed, replies, wait_relayed
from tests.conftest import GROUP, OTHER_GROUP
from tests.fakes.bridge import FIRST_START_DONE, sms_bridge_command
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, TgFault
from tests.fakes.wait import wait_until

pytestmark = pytest.mark.e2e


def test_a_429_is_waited_out_exactly_and_nothing_is_lost(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("retry_after", 2), chat_id=GROUP)
    smsc.add_sms("held back by a flood limit")
    wait_relayed(telegram, "held back by a flood limit")
    attempts = [r for r in telegram.requests if r.method == "sendMessage"]
    to_group = [r.at for r in attempts if int(r.params["chat_id"]) == GROUP]
    assert len(to_group) == 2 and to_group[1] - to_group[0] >= 2.0
    assert telegram.violations == []
    assert relayed(telegram, GROUP) == ["held back by a flood limit"]
    bridge.wait_for_log(r"flood limit: retry after 2 s")

    with telegram.lock:
        telegram.banned_until.clear()
    telegram.fail_next(TgFault("retry_after", 3), chat_id=GROUP)
    smsc.add_sms("and a question during the wait")
    telegram.wait_for(lambda: GROUP in telegram.banned_until, what="the second 429")
    telegram.user_sends(GROUP, "/status")  # the reply must wait for retry_after too
    telegram.wait_for(lambda: any("All well" in t for t in telegram.texts(GROUP)), what="reply")
    wait_relayed(telegram, "and a question during the wait", (GROUP,))
    assert telegram.violations == []


def test_a_chat_that_refuses_fails_alone(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=f"{GROUP},{OTHER_GROUP}")
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("forbidden"), chat_id=OTHER_GROUP)
    smsc.add_sms("only one chat can see this")
    wait_relayed(telegram, "only one chat can see this", (GROUP,))
    bridge.wait_for_log(r"chat -1002 refused SMS \d+ for good \(Forbidden")
    smsc.add_sms("and this")
    wait_relayed(telegram, "and this", (GROUP,))
    telegram.user_sends(GROUP, "/status")
    removed = "the bot was removed from the chat"  # Telegram's "Forbidden: ..." is logged only
    telegram.wait_for(
        lambda: any("did not reach" in r and removed in r for r in replies(telegram, GROUP))
    )
    [status] = [m for m in telegram.messages(GROUP) if "did not reach" in m.plain]
    assert status.plain.startswith("⛔ ") and "Add the bot back to the chat" in status.plain
    command = f"sms-bridge retry-failed --chat {OTHER_GROUP}"
    assert f"<code>{command}</code>" in status.text  # for the admin, tap-to-copy
    # The other chat is told once that this one refuses, and what to do.
    [notice] = [m for m in telegram.messages(GROUP) if m.plain.startswith("⛔ SMS no longer")]
    assert f"“Chat {OTHER_GROUP}”" in notice.plain and removed in notice.plain
    assert "Add the bot back to the chat (a chat admin can)." in notice.plain
    assert f"<code>{command}</code>" in notice.text and "once the admin runs" in notice.plain
    assert not any("Forbidden" in text for text in telegram.texts(GROUP))
    db = sqlite3.connect(tmp_path / "data" / "bridge.db")
    failed = db.execute("SELECT count(*) FROM deliveries WHERE chat='-1002' AND status='failed'")
    assert failed.fetchone()[0] >= 1


def test_retry_failed_queues_refused_deliveries_again(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=f"{GROUP},{OTHER_GROUP}")
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("forbidden"), chat_id=OTHER_GROUP)
    smsc.add_sms("missed while the bot was out")
    wait_relayed(telegram, "missed while the bot was out", (GROUP,))
    bridge.wait_for_log(r"chat -1002 refused SMS")
    bridge.stop()
    result = subprocess.run(
        [*sms_bridge_command(), "retry-failed", "--chat", str(OTHER_GROUP)],
        cwd=tmp_path,
        env=bridge.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "1 deliveries queued again" in result.stdout
    start_bridge(TELEGRAM_CHAT_IDS=f"{GROUP},{OTHER_GROUP}")
    wait_relayed(telegram, "missed while the bot was out", (OTHER_GROUP,))
    assert relayed(telegram, GROUP) == ["missed while the bot was out"]


def test_a_migrated_group_is_followed_to_its_new_id(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    new_id = -100123456
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("migrate", new_id), chat_id=GROUP)
    smsc.add_sms("follow me")
    wait_relayed(telegram, "follow me", (new_id,))
    bridge.stop()
    start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    smsc.add_sms("still there after a restart")
    wait_relayed(telegram, "still there after a restart", (new_id,))
    assert relayed(telegram, GROUP) == []


def test_telegram_down_at_start_does_not_stop_polling(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    telegram.stop()
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("stored while Telegram was away")
    bridge.wait_for_log(r"fetched SMS \d+, ")
    bridge.wait_for_log("Telegram not reachable")
    telegram.start()
    wait_relayed(telegram, "stored while Telegram was away", (GROUP,))


def test_a_bot_api_without_commands_support_still_gets_every_sms(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    telegram.missing = {"deleteWebhook", "getUpdates", "setMyCommands"}
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("relayed all the same")
    wait_relayed(telegram, "relayed all the same", (GROUP,))
    bridge.wait_for_log(r"cannot fetch chat commands \(InvalidToken")
    assert bridge.running
    telegram.missing = set()
    bridge.wait_for_log("answering chat commands", timeout=30)


def test_refused_connections_and_502s_are_retried(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log("connected to Telegram")
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("status", 502), TgFault("status", 502), chat_id=GROUP)
    smsc.add_sms("after two bad gateways")
    wait_relayed(telegram, "after two bad gateways", (GROUP,))
    telegram.stop()
    smsc.add_sms("after an outage")
    bridge.wait_for_log(r"chat -1001: SMS \d+ not sent: NetworkError: httpx.ConnectError")
    telegram.start()
    wait_relayed(telegram, "after an outage", (GROUP,))
    assert relayed(telegram, GROUP) == ["after two bad gateways", "after an outage"]


def test_an_answer_lost_after_posting_is_recorded_as_uncertain(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge, tmp_path: Path
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(TgFault("lost_answer"), chat_id=GROUP)
    smsc.add_sms("maybe twice")
    telegram.wait_for(lambda: relayed(telegram, GROUP).count("maybe twice") == 2, what="resend")
    db = sqlite3.connect(tmp_path / "data" / "bridge.db")
    wait_until(
        lambda: (
            db.execute(
                "SELECT status, uncertain FROM deliveries WHERE chat = ?", (str(GROUP),)
            ).fetchone()
            == ("sent", 1)
        ),
        what="delivery recorded sent with one uncertain attempt",
    )
    bridge.wait_for_log("may have shown it")
