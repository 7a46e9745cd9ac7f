"""Latency: an SMS appearing in the SMSC inbox to its sendMessage at the Bot API.

The real `sms-bridge run` process polls a fake SMSC every second and relays to a fake Bot
API, both on 127.0.0.1. SMS are added one at a time at random moments, 3 to 4 seconds
apart (under a group's 20 messages a minute, so no limit delays them); each latency is the
fake Bot API's arrival time of the message minus the moment the SMS entered the inbox,
on one monotonic clock (both fakes live in this process).
"""

from __future__ import annotations

import random
import signal
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result, percentile
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, bridge_settings
from tests.fakes.smsc import FakeSmsc
from tests.fakes.telegram import FakeTelegram

GROUP = -1001
POLL_INTERVAL = 1.0


def run(count: int) -> list[Result]:
    rng = random.Random(42)
    smsc, telegram = FakeSmsc().start(), FakeTelegram().start()
    with tempfile.TemporaryDirectory() as folder:
        env = bridge_settings(
            smsc,
            telegram,
            Path(folder) / "bridge.db",
            TELEGRAM_CHAT_IDS=str(GROUP),
            SMSC_POLL_INTERVAL=str(POLL_INTERVAL),
            LOG_LEVEL="INFO",
        )
        bridge = BridgeProcess(Path(folder), env).start()
        try:
            bridge.wait_for_log(FIRST_START_DONE)
            bridge.wait_for_log("connected to Telegram")
            latencies = []
            for n in range(count):
                time.sleep(rng.uniform(3.0, 4.0))
                text = f"latency probe {n}"
                added = time.monotonic()
                smsc.add_sms(text)
                telegram.wait_for(lambda t=text: t in telegram.sms_texts(GROUP), timeout=30)
                [message] = [m for m in telegram.messages(GROUP) if text in m.plain]
                latencies.append(message.at - added)
            code, _ = bridge.stop(signal.SIGTERM)
            assert code == 0
        finally:
            bridge.kill()
            smsc.stop()
            telegram.stop()
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    target = POLL_INTERVAL + 1
    how = (
        f"{count} SMS added at random moments 3-4 s apart; real sms-bridge run polling every "
        f"{POLL_INTERVAL:g} s; fake SMSC inbox add -> fake Bot API sendMessage arrival"
    )
    return [
        Result("latency", "SMS arrival -> sendMessage p50", p50, "s", how=how),
        Result(
            "latency",
            "SMS arrival -> sendMessage p95",
            p95,
            "s",
            target=f"<= {target:g} s (interval + 1 s)",
            met=p95 <= target,
            how=how,
            extra={"max_s": max(latencies)},
        ),
    ]
