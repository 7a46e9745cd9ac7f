"""The bridge as a process: clean exits on signals, one bridge per database."""

from __future__ import annotations

import signal

import pytest

from tests.bridge_checks import StartBridge, relayed
from tests.conftest import GROUP
from tests.fakes.bridge import FIRST_START_DONE
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e


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


def test_sigterm_while_telegram_is_unreachable_still_exits_cleanly(
    telegram: FakeTelegram, start_bridge: StartBridge
) -> None:
    telegram.stop()
    bridge = start_bridge(TELEGRAM_CHAT_IDS=str(GROUP))
    bridge.wait_for_log("Telegram not reachable")
    code, seconds = bridge.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10
