"""The real `sms-bridge run` process against a fake SMSC inbox and a fake Bot API."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import GROUP, OPERATOR, OTHER_GROUP, TOPIC, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, sms_bridge_command
from tests.fakes.smsc import PASSWORD, FakeSmsc, Fault
from tests.fakes.telegram import TOKEN, FakeTelegram, TgFault, is_relayed_sms
from tests.fakes.wait import wait_until

pytestmark = pytest.mark.e2e

CHATS = (GROUP, OTHER_GROUP, TOPIC_CHAT)
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


def test_smsc_errors_and_garbage_do_not_stop_the_bridge(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    faults = {
        "empty reply": Fault("body", b""),
        "reply is not JSON (37 bytes)": Fault("body", b"<html><h1>502 Bad Gateway</h1></html>"),
        "HTTP 503": Fault("status", 503),
        "reply is not JSON (16 bytes)": Fault("body", b'[{"id": 1, "mess'),
        "request failed": Fault("drop"),
        "SMSC error 1": Fault.error(1, "bad parameters"),
    }
    for n, (logged, fault) in enumerate(faults.items()):
        smsc.inject(fault)
        smsc.add_sms(f"survived fault {n}")
        bridge.wait_for_log(re.escape(logged))
        if logged != "SMSC error 1":  # code 1 pauses a minute: checked in the unit tests
            wait_relayed(telegram, f"survived fault {n}", (GROUP,))
    bridge.wait_for_log(r"SMSC error 1: bad parameters .*next try in 60 s")
    assert_not_logged_above_debug(bridge, "Bad Gateway")  # what SMSC answered: DEBUG only


def test_bad_records_are_kept_and_logged(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    smsc.add_sms("bad date but kept", raw={"received": "31.02.2026 25:61:00"})
    smsc.add_sms("no phone at all", raw={"phone": None})
    smsc.add_sms("id is broken", raw={"id": "broken"})
    smsc.add_sms("after the broken one")
    wait_relayed(telegram, "after the broken one", (GROUP,))
    assert relayed(telegram, GROUP) == [
        "bad date but kept",
        "no phone at all",
        "after the broken one",
    ]
    log = bridge.log()
    assert "bad received date" in log and "phone missing" in log and "without a valid id" in log
    assert bridge.running


def test_sigterm_mid_burst_exits_cleanly_and_the_next_start_finishes(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log(FIRST_START_DONE)
    texts = [f"burst {n}" for n in range(8)]
    for text in texts:
        smsc.add_sms(text)
    telegram.wait_for(lambda: len(relayed(telegram, GROUP)) >= 2, what="burst started")
    code, seconds = bridge.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10
    assert len(relayed(telegram, GROUP)) < len(texts)
    start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    telegram.wait_for(lambda: len(relayed(telegram, GROUP)) >= len(texts), timeout=40, what="all")
    assert relayed(telegram, GROUP) == texts


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


def test_a_second_bridge_on_the_same_database_refuses_to_start(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    first = start_bridge()
    first.wait_for_log(FIRST_START_DONE)
    second = start_bridge(name="second")
    assert second.process is not None
    assert second.process.wait(30) == 1
    assert "already running on this database" in second.log()
    assert first.running


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


def test_sigterm_while_telegram_is_unreachable_still_exits_cleanly(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    telegram.stop()
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log("Telegram not reachable")
    code, seconds = bridge.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10


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
