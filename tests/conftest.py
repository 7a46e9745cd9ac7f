"""Shared fixtures: the fake servers, and the real bridge process pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from state import Store
from tests.fakes.bridge import BridgeProcess, bridge_settings
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

# Hypothesis's clock checks (an example's deadline, inputs drawn too slowly) are timed
# assertions: on a shared machine running eight workers on two cores they fail for the
# machine, not the code. Every property is still checked on as many examples.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")

GROUP, OTHER_GROUP, TOPIC_CHAT, TOPIC = -1001, -1002, -1003, 42
OPERATOR = 555


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store in a file of its own, closed after the test (a module may define its own)."""
    opened = Store.open(tmp_path / "bridge.db")
    yield opened
    opened.close()


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
    return bridge_settings(
        smsc,
        telegram,
        tmp_path / "data" / "bridge.db",
        TELEGRAM_CHAT_IDS=f"{GROUP},{OTHER_GROUP},{TOPIC_CHAT}:{TOPIC}",
        TELEGRAM_ALLOWED_USER_IDS=str(OPERATOR),
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
