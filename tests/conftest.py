"""Shared fixtures: the fake servers, and the real bridge process pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.bridge import BridgeProcess, clean_environment
from tests.fakes.smsc import LOGIN, PASSWORD, FakeSmsc
from tests.fakes.telegram import TOKEN, FakeTelegram

GROUP, OTHER_GROUP, TOPIC_CHAT, TOPIC = -1001, -1002, -1003, 42
OPERATOR = 555


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    fake = FakeSmsc().start()
    yield fake
    fake.stop()


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def bridge_env(tmp_path: Path, smsc: FakeSmsc, telegram: FakeTelegram) -> dict[str, str]:
    return clean_environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHAT_IDS=f"{GROUP},{OTHER_GROUP},{TOPIC_CHAT}:{TOPIC}",
        TELEGRAM_ALLOWED_USER_IDS=str(OPERATOR),
        TELEGRAM_BASE_URL=telegram.base_url,
        SMSC_BASE_URL=smsc.url,
        SMSC_LOGIN=LOGIN,
        SMSC_PASSWORD=PASSWORD,
        SMSC_POLL_INTERVAL="1",
        DATABASE_PATH=str(tmp_path / "data" / "bridge.db"),
        LOG_LEVEL="DEBUG",
    )


@pytest.fixture
def start_bridge(
    tmp_path: Path, bridge_env: dict[str, str]
) -> Iterator[Callable[..., BridgeProcess]]:
    """Start `sms-bridge run`; every process is killed at the end of the test."""
    started: list[BridgeProcess] = []

    def start(name: str = "bridge", **overrides: str) -> BridgeProcess:
        process = BridgeProcess(tmp_path, {**bridge_env, **overrides}, name).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
