"""The heartbeat: a call to HEARTBEAT_URL after successful polls, at most once a minute.

The unit tests drive the clock and call a real HTTP server on 127.0.0.1 standing for the
monitor; the end-to-end tests run the real bridge against the fakes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app.settings import ConfigError, load_settings
from bot.core.bridge_state import BridgeStatus
from bot.features.heartbeat.beat import Heartbeat
from bot.features.heartbeat.feature import heartbeat_line
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, free_port
from tests.fakes.monitor import SECRET_PATH, FakeMonitor
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wait import eventually, wait_until

T0 = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def monitor() -> Iterator[FakeMonitor]:
    fake = FakeMonitor().start()
    yield fake
    fake.stop()


def shown(heartbeat: Heartbeat, now: datetime) -> str:
    """The heartbeat's /status line."""
    beat = heartbeat
    return heartbeat_line(beat.last_ok, beat.failing_since, beat.failure, MOSCOW, now)


def polled(status: BridgeStatus, at: datetime) -> None:
    status.poll_succeeded(at=at)


async def test_no_heartbeat_before_the_first_successful_poll(monitor: FakeMonitor) -> None:
    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(monitor.url, status)
    status.poll_failed("timed out", at=T0)
    assert not heartbeat.due(T0 + timedelta(minutes=5))
    await heartbeat.aclose()


async def test_a_heartbeat_follows_a_successful_poll_at_most_once_a_minute(
    monitor: FakeMonitor,
) -> None:
    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(monitor.url, status)
    polled(status, T0)
    assert heartbeat.due(T0) and await heartbeat.beat(T0)
    polled(status, T0 + timedelta(seconds=30))
    assert not heartbeat.due(T0 + timedelta(seconds=59))  # a poll, but within the minute
    assert heartbeat.due(T0 + timedelta(seconds=60))
    await heartbeat.beat(T0 + timedelta(seconds=60))
    assert monitor.paths() == [SECRET_PATH, SECRET_PATH]
    await heartbeat.aclose()


async def test_no_heartbeat_while_polls_fail(monitor: FakeMonitor) -> None:
    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(monitor.url, status)
    polled(status, T0)
    await heartbeat.beat(T0)
    for minute in range(1, 10):  # SMSC does not answer for ten minutes
        status.poll_failed("timed out", at=T0 + timedelta(minutes=minute))
        assert not heartbeat.due(T0 + timedelta(minutes=minute, seconds=1))
    polled(status, T0 + timedelta(minutes=10))  # and answers again
    assert heartbeat.due(T0 + timedelta(minutes=10))
    await heartbeat.aclose()


async def test_a_failing_monitor_is_logged_once_per_outage_and_the_url_never(
    monitor: FakeMonitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.features.heartbeat")
    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(monitor.url, status)
    monitor.answer(500)
    for minute in range(3):
        at = T0 + timedelta(minutes=minute)
        polled(status, at)
        assert not await heartbeat.beat(at)
    assert shown(heartbeat, T0 + timedelta(minutes=3)) == (
        "⚠️ Heartbeat failing since 06:00 MSK (HTTP 500): the monitor will raise its alarm"
    )
    monitor.answer(200)
    polled(status, T0 + timedelta(minutes=3))
    assert await heartbeat.beat(T0 + timedelta(minutes=3))
    assert shown(heartbeat, T0 + timedelta(minutes=4)) == ("Heartbeat last sent 06:03 MSK")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if "heartbeat" in r.name]
    assert lines == [
        (
            "WARNING",
            "heartbeat: HEARTBEAT_URL failed (HTTP 500); polling goes on, and the monitor "
            "behind it raises its alarm if this lasts. Logged again only when it works.",
        ),
        ("INFO", "heartbeat: HEARTBEAT_URL answers again, after 3 failed calls"),
    ]
    assert not any("secret-token" in message for _level, message in lines)
    assert len(monitor.paths()) == 4
    await heartbeat.aclose()


async def test_a_redirect_is_not_followed_and_counts_as_failing(monitor: FakeMonitor) -> None:
    elsewhere = FakeMonitor().start()
    try:
        monitor.answer(302, location=elsewhere.url)
        status = BridgeStatus(started_at=T0)
        heartbeat = Heartbeat(monitor.url, status)
        polled(status, T0)
        assert not await heartbeat.beat(T0)
        assert heartbeat.failure == "HTTP 302" and elsewhere.paths() == []
        await heartbeat.aclose()
    finally:
        elsewhere.stop()


async def test_an_unreachable_monitor_is_a_failure_with_its_reason() -> None:
    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(f"http://127.0.0.1:{free_port()}{SECRET_PATH}", status)
    polled(status, T0)
    assert not await heartbeat.beat(T0)
    assert heartbeat.failure == "ConnectError"
    await heartbeat.aclose()


async def test_the_task_beats_on_the_clock_it_is_given(monitor: FakeMonitor) -> None:
    """`run` with an injected clock and sleep: a tick moves time a minute, no waiting."""
    now = [T0]

    async def sleep(seconds: float) -> None:
        now[0] += timedelta(minutes=1)
        await asyncio.sleep(0)

    status = BridgeStatus(started_at=T0)
    heartbeat = Heartbeat(monitor.url, status, clock=lambda: now[0], sleep=sleep)
    task = asyncio.create_task(heartbeat.run())
    try:
        await asyncio.sleep(0.05)
        assert monitor.paths() == []  # no poll has succeeded yet
        polled(status, now[0])
        await eventually(lambda: len(monitor.paths()) == 1, within=10, what="one heartbeat")
    finally:
        task.cancel()
        await heartbeat.aclose()


def test_the_url_is_a_secret_and_https_unless_it_is_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abcdefgh")
    monkeypatch.setenv("TELEGRAM_CHAT_IDS", "-1001")
    monkeypatch.setenv("SMSC_LOGIN", "login")
    monkeypatch.setenv("SMSC_PASSWORD", "password")
    monkeypatch.setenv("HEARTBEAT_URL", "http://hc-ping.example.com/3f2a-secret-uuid")
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None)
    assert "HEARTBEAT_URL" in str(refused.value) and "3f2a" not in str(refused.value)
    monkeypatch.setenv("HEARTBEAT_URL", "https://hc-ping.example.com/3f2a-secret-uuid")
    settings = load_settings(env_file=None)
    assert "https://hc-ping.example.com/3f2a-secret-uuid" in settings.secrets
    monkeypatch.setenv("HEARTBEAT_URL", "http://127.0.0.1:8000/ping")
    assert load_settings(env_file=None).heartbeat_url is not None


# -- the real bridge -------------------------------------------------------------------


@pytest.mark.e2e
def test_the_bridge_beats_after_it_polls_and_stops_while_smsc_fails(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    monitor: FakeMonitor,
    tmp_path: Path,
    start_bridge: type[BridgeProcess],
) -> None:
    bridge = start_bridge(HEARTBEAT_URL=monitor.url)
    bridge.wait_for_log(FIRST_START_DONE)
    wait_until(lambda: monitor.paths() == [SECRET_PATH], what="the first heartbeat")
    smsc.add_sms("Boiler 3: pressure LOW")
    telegram.wait_for(
        lambda: any("pressure LOW" in t for t in telegram.texts(GROUP)), what="the SMS"
    )
    assert SECRET_PATH not in bridge.log()


@pytest.mark.e2e
def test_a_monitor_that_is_down_delays_no_sms(
    smsc: FakeSmsc, telegram: FakeTelegram, start_bridge: type[BridgeProcess]
) -> None:
    down = f"http://127.0.0.1:{free_port()}{SECRET_PATH}"
    bridge = start_bridge(HEARTBEAT_URL=down)
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log(r"WARNING bot\.features\.heartbeat\.beat: heartbeat: HEARTBEAT_URL failed")
    smsc.add_sms("Door 7 opened")
    telegram.wait_for(lambda: any("Door 7" in t for t in telegram.texts(GROUP)), what="the SMS")
    assert bridge.log().count("HEARTBEAT_URL failed") == 1
    assert SECRET_PATH not in bridge.log()
