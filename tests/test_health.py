"""/healthz and /metrics: the rules, and the real endpoint of a running bridge."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.chat.commands.status import ChatFacts, StatusFacts, status_text
from bot.core.bridge_state import BridgeStatus
from bot.core.health import HealthRules, health_problems
from bot.smsc.errors import TIMED_OUT
from bot.text.i18n import in_language
from state import ChatQueue
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, parse_telegram_html
from tests.fakes.wait import wait_until

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def status_polled(seconds_ago: float | None, started_ago: float = 1000) -> BridgeStatus:
    status = BridgeStatus(started_at=NOW - timedelta(seconds=started_ago))
    if seconds_ago is not None:
        status.last_poll_ok_at = NOW - timedelta(seconds=seconds_ago)
    return status


def test_silence_limit_is_three_intervals_or_90_seconds_whichever_is_longer() -> None:
    assert HealthRules(poll_interval=30, alert_after=300).max_poll_silence == 90
    assert HealthRules(poll_interval=60, alert_after=300).max_poll_silence == 180


@pytest.mark.parametrize(
    ("polled_ago", "started_ago", "healthy"),
    [(10, 1000, True), (89, 1000, True), (91, 1000, False), (None, 30, True), (None, 100, False)],
)
def test_polling_health(polled_ago: float | None, started_ago: float, healthy: bool) -> None:
    problems = health_problems(
        status_polled(polled_ago, started_ago), HealthRules(30, 300), None, NOW
    )
    assert (problems == []) is healthy


def test_a_delivery_waiting_longer_than_alert_after_is_unhealthy() -> None:
    rules = HealthRules(30, 300)
    status = status_polled(5)
    assert health_problems(status, rules, NOW - timedelta(seconds=299), NOW) == []
    [problem] = health_problems(status, rules, NOW - timedelta(seconds=301), NOW)
    assert problem.line == "SMS have waited 5 min to go out to Telegram"
    assert str(problem) == (  # /healthz, for the admin: with the setting
        "SMS have waited 5 min to go out to Telegram "
        "(a problem once SMS wait longer than ALERT_AFTER=300 s)"
    )


def test_status_says_each_problem_on_a_line_impact_first_settings_only_for_the_admin() -> None:
    status = status_polled(7200)
    status.poll_failed("timed out (ReadTimeout)", TIMED_OUT, at=NOW - timedelta(seconds=7200))
    stuck = NOW - timedelta(seconds=912)

    def lines() -> list[str]:
        problems = health_problems(status, HealthRules(30, 300), stuck, NOW)
        facts = StatusFacts(
            now=NOW,
            zone=ZoneInfo("Europe/Moscow"),
            problems=problems,
            last_sms=NOW - timedelta(hours=2, minutes=10),
            last_poll_ok=status.last_poll_ok_at,
            poll_error=str(TIMED_OUT),
            chats=[],
            stored=1,
            started_at=NOW - timedelta(days=1),
        )
        return parse_telegram_html(status_text(facts)).split("\n")

    english = lines()
    assert english[:4] == [
        "⚠️ No SMS coming in for 2 h 0 min: SMSC did not answer in time",
        "⚠️ SMS have waited 15 min to go out to Telegram",
        "Last SMS 12:50 MSK, 2 h 10 min ago",
        "Last successful SMSC check: 13:00 MSK, 2 h 0 min ago",
    ]
    admin = english.index("For the admin:")
    assert all("ALERT_AFTER" not in line and "waiting" not in line for line in english[:admin])
    assert "• a problem once SMS wait longer than ALERT_AFTER=300 s" in english[admin:]
    with in_language("ru"):
        russian = lines()
    assert russian[:3] == [
        "⚠️ SMS не приходят уже 2 ч 0 мин: SMSC не ответил вовремя",
        "⚠️ SMS ждут отправки в Telegram уже 15 мин",
        "Последнее SMS 12:50 МСК, 2 ч 10 мин назад",
    ]


def test_a_chat_that_refuses_gets_the_next_step_for_its_reason() -> None:
    def first_line(reason: str) -> str:
        queue = ChatQueue("-1002", failed=3, last_error=reason)
        facts = StatusFacts(
            now=NOW,
            zone=ZoneInfo("Europe/Moscow"),
            problems=[],
            last_sms=NOW,
            last_poll_ok=NOW,
            poll_error=None,
            chats=[ChatFacts("Night shift", "-1002", None, queue, None)],
            stored=1,
            started_at=NOW,
        )
        return parse_telegram_html(status_text(facts)).split("\n")[0]

    prefix = "⛔ 3 SMS did not reach “Night shift”: "
    assert first_line("Forbidden: bot was kicked from the supergroup chat") == (
        prefix + "the bot was removed from the chat. Add the bot back to the chat (a chat "
        "admin can)."
    )
    assert first_line("BadRequest: TOPIC_CLOSED").endswith(
        "the topic was closed or deleted. Reopen the topic (a chat admin can), or ask the "
        "admin to choose another one."
    )
    assert first_line("Forbidden: bot was blocked by the user").endswith(
        "The person must unblock the bot and press Start in their chat with it."
    )
    assert first_line("Forbidden: bot can't initiate conversation with a user").endswith(
        "The person must open a chat with the bot and press Start."
    )
    assert first_line("BadRequest: not enough rights to send text messages").endswith(
        "Let the bot send messages there (a chat admin can)."
    )
    assert "Add the bot back" not in first_line("BadRequest: TOPIC_CLOSED")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.e2e
def test_endpoint_reports_health_and_metrics(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: Callable[..., BridgeProcess]
) -> None:
    port = free_port()
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP), HEALTH_PORT=str(port), ALERT_AFTER="10")
    bridge.wait_for_log("connected to Telegram")
    bridge.wait_for_log(FIRST_START_DONE)
    base = f"http://127.0.0.1:{port}"
    healthz = httpx.get(f"{base}/healthz")
    assert healthz.status_code == 200 and healthz.json()["status"] == "ok"
    smsc.add_sms("counted")
    telegram.wait_for(lambda: len(telegram.messages(GROUP)) == 1, what="delivery")

    def metric(name: str) -> str:
        lines = httpx.get(f"{base}/metrics").text.splitlines()
        return "\n".join(line for line in lines if line.startswith(name))

    wait_until(lambda: "1.0" in metric("sms_bridge_sms_fetched_total"), what="fetched metric")
    assert 'chat="-1001",outcome="sent"} 1.0' in metric("sms_bridge_deliveries_total")
    assert "sms_bridge_delivery_delay_seconds_count 1.0" in metric(
        "sms_bridge_delivery_delay_seconds_count"
    )

    telegram.stop()  # deliveries now wait: after ALERT_AFTER=10 s the bridge is unhealthy
    smsc.add_sms("stuck")
    wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 503, timeout=30, what="503")
    body = json.loads(httpx.get(f"{base}/healthz").text)
    assert "SMS have waited" in body["problems"][0] and "ALERT_AFTER=10" in body["problems"][0]
    assert 'sms_bridge_queue_depth{chat="-1001"} 1.0' in metric("sms_bridge_queue_depth")
    assert httpx.get(f"{base}/nothing").status_code == 404
