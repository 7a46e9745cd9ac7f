"""SIGKILL at random moments during a burst: nothing lost, every duplicate recorded."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GROUP, OTHER_GROUP, TOPIC, TOPIC_CHAT
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram
from tests.faults.checks import assert_delivered_exactly

CHATS = {GROUP: str(GROUP), OTHER_GROUP: str(OTHER_GROUP), TOPIC_CHAT: f"{TOPIC_CHAT}:{TOPIC}"}
BURST = 200
KILLS = 10


def feed(smsc: FakeSmsc, sent: dict[int, str], rng: random.Random, seconds: float) -> None:
    """Add the burst over `seconds`, in small random clumps, recording ID -> text."""
    for n in range(BURST):
        text = f"burst {n:03d}: sensor {rng.randint(1, 99)} " + "reading " * rng.randint(0, 40)
        sent[smsc.add_sms(text.strip())] = text.strip()
        if rng.random() < 0.1:
            time.sleep(rng.uniform(0, seconds / 10))


@pytest.mark.timeout(300)
def test_sigkill_at_random_moments_loses_nothing(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    start_bridge: Callable[..., BridgeProcess],
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("FAULT_SEED", time.time()))
    print(f"FAULT_SEED={seed}")  # shown on failure: rerun with the same moments
    rng = random.Random(seed)
    bridge = start_bridge()
    bridge.wait_for_log(FIRST_START_DONE)
    sent: dict[int, str] = {}
    feeder = threading.Thread(target=feed, args=(smsc, sent, rng, 8.0))
    feeder.start()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.2, 2.5))
        bridge.kill()  # SIGKILL: no clean-up of any kind
        bridge = start_bridge()
    feeder.join()
    assert len(sent) == BURST
    telegram.wait_for(
        lambda: all(set(sent.values()) <= set(telegram.sms_texts(c)) for c in CHATS),
        timeout=180,
        what="the whole burst in every chat",
    )
    code, _ = bridge.stop(signal.SIGTERM)
    assert code == 0
    duplicates = assert_delivered_exactly(telegram, tmp_path / "data" / "bridge.db", sent, CHATS)
    print(f"duplicates per chat, each recorded as uncertain: {duplicates}")
    assert telegram.refused == []
