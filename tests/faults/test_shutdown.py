"""SIGTERM during a burst: exit 0 within 10 seconds; the next start finishes the burst."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GROUP, OTHER_GROUP, TOPIC, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram, TgFault
from tests.faults.checks import assert_delivered_exactly

CHATS = {GROUP: str(GROUP), OTHER_GROUP: str(OTHER_GROUP), TOPIC_CHAT: f"{TOPIC_CHAT}:{TOPIC}"}


def test_sigterm_mid_burst_then_the_next_start_finishes(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    bridge = start_bridge(RELAY_DIGEST_THRESHOLD="0")  # one message per SMS: a long burst
    bridge.wait_for_log(FIRST_START_DONE)
    telegram.fail_next(*[TgFault("delay", 0.5)] * 200)  # slow answers: sends are in flight
    sent = {smsc.add_sms(f"burst {n}"): f"burst {n}" for n in range(200)}
    telegram.wait_for(lambda: len(telegram.sent) >= 6, what="the burst under way")
    code, seconds = bridge.stop(signal.SIGTERM)
    assert code == 0 and seconds < 10
    assert len(telegram.sent) < 3 * len(sent)
    with telegram.lock:
        telegram.faults.clear()
    start_bridge()
    telegram.wait_for(
        lambda: all(set(sent.values()) <= set(telegram.sms_texts(c)) for c in CHATS),
        timeout=120,
        what="the rest of the burst",
    )
    assert_delivered_exactly(telegram, tmp_path / "data" / "bridge.db", sent, CHATS)
