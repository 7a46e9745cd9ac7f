"""The heartbeat: after a successful poll, at most once a minute, a GET to HEARTBEAT_URL.

First the rule on a fake clock and a ping that only counts (once a minute, never while
polling fails, each successful poll vouched for once, a failing receiver logged once per
outage); the GET against a fake receiver (no redirect followed, a timeout); the setting
(https://, a secret kept out of the log); then the real `sms-bridge run` against the fake
SMSC, the fake Bot API and the fake receiver.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app.check import check_heartbeat
from bot.app.settings import ConfigError, Settings, load_settings
from bot.core.bridge_state import BridgeStatus
from bot.core.logs import Redactor
from bot.features.heartbeat.beat import (
    NO_ANSWER,
    Heartbeat,
    HeartbeatFailed,
    Receiver,
    refusal,
)
from bot.features.heartbeat.feature import status_line
from bot.text.i18n import Phrase, in_language
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.heartbeat import TOKEN_PATH, FakeReceiver
from tests.fakes.smsc import FakeSmsc, Fault
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import wait_until

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MSK = ZoneInfo("Europe/Moscow")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Receiving:
    """A ping that counts, and fails while `refuse` says why."""

    def __init__(self) -> None:
        self.count = 0
        self.refuse: Phrase | None = None

    async def __call__(self) -> None:
        self.count += 1
        if self.refuse is not None:
            raise HeartbeatFailed(self.refuse)


class Beating:
    def __init__(self) -> None:
        self.clock = Clock()
        self.status = BridgeStatus(started_at=START)
        self.receiving = Receiving()
        self.heartbeat = Heartbeat(
            self.status, self.receiving, host="hc-ping.com", clock=self.clock
        )

    def polled(self, after: float = 0) -> None:
        """`after` seconds pass, then a poll succeeds."""
        self.clock.advance(after)
        self.status.poll_succeeded(at=self.clock.now)

    def poll_failed(self, after: float = 0) -> None:
        self.clock.advance(after)
        self.status.poll_failed("timed out", at=self.clock.now)


@pytest.fixture
def beating() -> Beating:
    return Beating()


async def test_no_heartbeat_before_the_first_successful_poll(beating: Beating) -> None:
    assert not await beating.heartbeat.beat()
    beating.clock.advance(3600)
    assert not await beating.heartbeat.beat()
    beating.polled()
    assert await beating.heartbeat.beat() and beating.receiving.count == 1


async def test_a_heartbeat_follows_successful_polls_at_most_once_a_minute(
    beating: Beating,
) -> None:
    sent = []
    for second in range(0, 301, 10):  # a poll every 10 s for five minutes, a look after each
        beating.clock.now = START + timedelta(seconds=second)
        beating.status.poll_succeeded(at=beating.clock.now)
        if await beating.heartbeat.beat():
            sent.append(second)
    assert sent == [0, 60, 120, 180, 240, 300]
    assert beating.receiving.count == 6


async def test_each_successful_poll_is_vouched_for_once(beating: Beating) -> None:
    beating.polled()
    assert await beating.heartbeat.beat()
    beating.clock.advance(600)  # no poll since: however long, nothing to vouch for
    assert not await beating.heartbeat.beat()
    beating.polled(after=1)
    assert await beating.heartbeat.beat() and beating.receiving.count == 2


async def test_no_heartbeat_while_polling_fails_and_the_next_after_it_works_again(
    beating: Beating,
) -> None:
    beating.polled()
    assert await beating.heartbeat.beat()
    beating.polled(after=30)  # a poll worked, its heartbeat not due yet ...
    beating.poll_failed(after=5)  # ... and then polling fails: that poll is not vouched for
    for _ in range(20):
        beating.clock.advance(30)
        assert not await beating.heartbeat.beat()
    beating.polled(after=1)
    assert await beating.heartbeat.beat() and beating.receiving.count == 2


async def test_a_failing_receiver_is_tried_once_a_minute_and_logged_once_per_outage(
    beating: Beating, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.features.heartbeat")
    beating.receiving.refuse = refusal(503)
    for _ in range(5):
        beating.polled(after=60)
        assert await beating.heartbeat.beat()
        beating.polled(after=30)
        assert not await beating.heartbeat.beat()  # the failed try counts for the minute
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "heartbeat to hc-ping.com failed: HTTP 503; the dead-man's switch raises its alarm "
        "if this lasts (logged once until a heartbeat goes through again)"
    ]
    assert beating.heartbeat.failing_since == START + timedelta(seconds=60)
    beating.receiving.refuse = None
    beating.polled(after=60)
    assert await beating.heartbeat.beat()
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == [
        "heartbeat to hc-ping.com works again, after 5 failed since 2026-12-03 09:01:00 UTC"
    ]
    beating.receiving.refuse = NO_ANSWER  # a second outage is logged again, once
    for _ in range(3):
        beating.polled(after=60)
        await beating.heartbeat.beat()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "no answer in time" in warnings[1].getMessage()


async def test_a_clock_set_back_does_not_stop_the_heartbeat(beating: Beating) -> None:
    beating.polled()
    assert await beating.heartbeat.beat()
    beating.clock.advance(-3600)
    beating.polled()
    assert await beating.heartbeat.beat()


async def test_the_status_line_says_when_the_last_went_or_why_none_goes(
    beating: Beating,
) -> None:
    def line() -> str:
        with in_language("en"):
            return status_line(beating.heartbeat, MSK, beating.clock.now)

    assert line() == "Heartbeat: none sent yet; the first goes after a successful SMSC poll"
    beating.polled()
    await beating.heartbeat.beat()
    beating.clock.advance(20)
    assert line() == "Heartbeat: last sent 12:00 MSK, 20 s ago"
    beating.poll_failed(after=100)
    assert line() == (
        "⚠️ Heartbeat held back while SMSC polling fails; last sent 12:00 MSK, 2 min ago"
    )
    beating.receiving.refuse = refusal(302)
    beating.polled(after=1)
    await beating.heartbeat.beat()
    beating.clock.advance(150)
    assert line() == (
        "⚠️ Heartbeat failing since 12:02 MSK, 2 min ago: a redirect (HTTP 302), not followed"
    )
    with in_language("ru"):
        assert status_line(beating.heartbeat, MSK, beating.clock.now) == (
            "⚠️ Сигнал мониторингу не проходит с 12:02 МСК, 2 мин назад: "
            "переадресация (HTTP 302), по ней не переходим"
        )


# -- the GET ---------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


async def test_the_get_reaches_the_receiver_and_a_redirect_is_not_followed(
    receiver: FakeReceiver,
) -> None:
    sender = Receiver(receiver.url)
    try:
        await sender.ping()
        receiver.status, receiver.location = 301, f"http://127.0.0.1:{receiver.port}/elsewhere"
        with pytest.raises(HeartbeatFailed) as refused:
            await sender.ping()
        receiver.status, receiver.location = 404, ""
        with pytest.raises(HeartbeatFailed) as missing:
            await sender.ping()
    finally:
        await sender.aclose()
    assert [(p.method, p.path) for p in receiver.pings] == [("GET", TOKEN_PATH)] * 3
    with in_language("en"):
        assert str(refused.value.said) == "a redirect (HTTP 301), not followed"
        assert str(missing.value.said) == "HTTP 404"


async def test_a_receiver_that_hangs_fails_the_heartbeat_after_the_timeout(
    receiver: FakeReceiver,
) -> None:
    receiver.hang.set()
    beating = Beating()
    sender = Receiver(receiver.url, timeout=0.3)
    beating.heartbeat = Heartbeat(beating.status, sender.ping, host="127.0.0.1")
    beating.polled()
    try:
        assert await beating.heartbeat.beat()
    finally:
        await sender.aclose()
    assert beating.heartbeat.failure is NO_ANSWER


# -- the setting -----------------------------------------------------------------------


def settings_with(monkeypatch: pytest.MonkeyPatch, url: str) -> Settings:
    for name, value in {
        "TELEGRAM_BOT_TOKEN": "123456:ABCDEF-secret",
        "TELEGRAM_CHAT_IDS": str(GROUP),
        "SMSC_LOGIN": "acme",
        "SMSC_PASSWORD": "pw-secret",
        "HEARTBEAT_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    return load_settings(env_file=None)


@pytest.mark.parametrize(
    "url",
    [
        "http://hc-ping.com/5f0c1d3e-secret-uuid",
        "http://192.168.1.5/api/push/Secret-Token-1",
        "hc-ping.com/5f0c1d3e-secret-uuid",
        "https:///5f0c1d3e-secret-uuid",
    ],
)
def test_a_heartbeat_url_must_be_https_and_the_error_never_quotes_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    with pytest.raises(
        ConfigError, match=r"^HEARTBEAT_URL: must be an https:|^HEARTBEAT_URL: http://"
    ) as error:
        settings_with(monkeypatch, url)
    assert url not in str(error.value) and "Token-1" not in str(error.value)
    assert "uuid" not in str(error.value)


@pytest.mark.parametrize(
    "url", ["https://hc-ping.com/5f0c1d3e", "http://127.0.0.1:8080/x", "http://localhost/p"]
)
def test_https_or_http_to_this_machine_is_accepted(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    loaded = settings_with(monkeypatch, url)
    assert loaded.heartbeat_url is not None and loaded.heartbeat_url.get_secret_value() == url


def test_the_heartbeat_url_and_its_token_are_blanked_out_of_any_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "https://kuma.example.com/api/push/Zq8tY3wK5m?status=up&msg=OK&ping="
    redact = Redactor(settings_with(monkeypatch, url).secrets).redact
    assert "Zq8tY3wK5m" not in redact(f"GET {url} failed")
    assert "Zq8tY3wK5m" not in redact("GET /api/push/Zq8tY3wK5m?status=up&msg=OK&ping= 404")
    assert "kuma.example.com" in redact(f"heartbeat to kuma.example.com failed: {url}")


# -- the real bridge -------------------------------------------------------------------


@pytest.fixture
def beating_bridge(
    receiver: FakeReceiver, start_bridge: Callable[..., BridgeProcess]
) -> Callable[..., BridgeProcess]:
    def start(**overrides: str) -> BridgeProcess:
        bridge = start_bridge(
            TELEGRAM_CHAT_IDS=str(GROUP),
            HEARTBEAT_URL=receiver.url,
            HEARTBEAT_INTERVAL="1",
            **overrides,
        )
        bridge.wait_for_log(FIRST_START_DONE)
        return bridge

    return start


def assert_url_never_logged(bridge: BridgeProcess) -> None:
    assert TOKEN_PATH.rsplit("/", 1)[1] not in bridge.log()


def failed_polls(bridge: BridgeProcess) -> int:
    return len(re.findall(r"WARNING bot\.intake|ERROR bot\.intake", bridge.log()))


@pytest.mark.e2e
def test_heartbeats_follow_successful_polls_stop_while_smsc_fails_and_resume(
    smsc: FakeSmsc, receiver: FakeReceiver, beating_bridge: Callable[..., BridgeProcess]
) -> None:
    bridge = beating_bridge()
    wait_until(lambda: receiver.count() >= 3, 20, "three heartbeats")
    assert all(p.method == "GET" and p.path == TOKEN_PATH for p in receiver.pings)

    smsc.sticky_fault = Fault("status", 502)
    failed_before = len(smsc.inbox_requests())
    wait_until(lambda: failed_polls(bridge) >= 1, 20, "a failed poll in the log")
    wait_until(lambda: len(smsc.inbox_requests()) >= failed_before + 2, 20, "a second failure")
    held_at = receiver.count()
    wait_until(lambda: len(smsc.inbox_requests()) >= failed_before + 5, 30, "three more failures")
    assert receiver.count() == held_at  # no heartbeat while SMSC fails

    smsc.sticky_fault = None
    wait_until(lambda: receiver.count() >= held_at + 2, 30, "heartbeats again")
    assert_url_never_logged(bridge)
    assert bridge.stop()[0] == 0


@pytest.mark.e2e
def test_a_receiver_that_hangs_or_is_down_never_delays_relaying(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    receiver: FakeReceiver,
    beating_bridge: Callable[..., BridgeProcess],
) -> None:
    receiver.hang.set()  # takes the connection, never answers: the GET waits 10 s
    bridge = beating_bridge(LOG_LEVEL="DEBUG")
    wait_until(lambda: receiver.count() >= 1, 20, "the first heartbeat, hanging")
    smsc.add_sms("boiler 2 pressure low")
    telegram.wait_for(
        lambda: "boiler 2 pressure low" in telegram.sms_texts(GROUP), 5, "relayed while hung"
    )
    assert "heartbeat to 127.0.0.1 failed" not in bridge.log()  # still hanging meanwhile

    receiver.hang.clear()
    receiver.stop()  # down: connections refused from now on
    bridge.wait_for_log(r"WARNING bot\.features\.heartbeat\.beat: heartbeat to 127\.0\.0\.1 failed")
    smsc.add_sms("boiler 3 pressure low")
    telegram.wait_for(lambda: "boiler 3 pressure low" in telegram.sms_texts(GROUP), 10, "relayed")
    bridge.wait_for_log(r"heartbeat to 127\.0\.0\.1 failed again: no connection")
    bridge.wait_for_log(r"(failed again: no connection(.|\n)*){3}")
    assert bridge.log().count("WARNING bot.features.heartbeat") == 1  # once per outage

    receiver.start()  # back, on the same port
    bridge.wait_for_log(
        r"INFO bot\.features\.heartbeat\.beat: heartbeat to 127\.0\.0\.1 works again"
    )
    assert_url_never_logged(bridge)
    assert bridge.stop()[0] == 0


# -- sms-bridge check ------------------------------------------------------------------


async def test_check_sends_one_heartbeat_and_never_prints_the_url(
    monkeypatch: pytest.MonkeyPatch, receiver: FakeReceiver
) -> None:
    loaded = settings_with(monkeypatch, receiver.url)
    works = await check_heartbeat(loaded)
    receiver.status = 404
    refused = await check_heartbeat(loaded)
    receiver.stop()
    down = await check_heartbeat(loaded)
    assert works.line() == "✓ heartbeat: 127.0.0.1 took one (its check now shows the bridge up)"
    assert refused.line() == "✗ heartbeat: the GET to 127.0.0.1 failed: HTTP 404"
    assert down.line() == "✗ heartbeat: the GET to 127.0.0.1 failed: no connection"
    assert receiver.count() == 2


async def test_check_says_when_no_heartbeat_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = settings_with(monkeypatch, "")  # empty: off
    assert (await check_heartbeat(loaded)).line() == (
        "heartbeat: not configured (no dead-man's switch)"
    )
