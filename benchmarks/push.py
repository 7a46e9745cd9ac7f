"""Push hints: an SMS's latency at the default 30 s interval with and without a hint, and a
flood of hints.

One real `sms-bridge run` (SMSC_POLL_INTERVAL=30, PUSH_PORT set) polls a fake SMSC that
enforces SMSC's rule (a fourth identical request within a minute gets code 9) and relays
to a fake Bot API, all on 127.0.0.1. Each latency is the fake Bot API's arrival time of
the message minus the moment the SMS entered the inbox, on one monotonic clock.
- hinted: the push endpoint is called the moment the SMS is added, 3 to 10 s after the
  last delivery;
- unhinted: the same bridge, no call, the SMS added 0 to 30 s after the last delivery (a
  random phase of the poll timer);
- flood: a warm-up of calls, then FLOOD calls spread evenly over FLOOD_SECONDS with an
  SMS added halfway; reported: the most identical inbox requests SMSC saw in any minute
  (whole run), the bridge's VmRSS before and after the flood, and the SMS's delay against
  what polling alone promises (the interval, plus the second the latency benchmark allows).
"""

from __future__ import annotations

import random
import re
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.common import Result, percentile
from benchmarks.memory import rss_mb
from tests.fakes.bridge import FIRST_START_DONE, BridgeProcess, bridge_settings, free_port
from tests.fakes.smsc import FakeSmsc, most_identical_in_a_minute
from tests.fakes.telegram import FakeTelegram, is_relayed_sms, relayed_text

GROUP = -1001
INTERVAL = 30.0  # the default SMSC_POLL_INTERVAL
PATH = "/smsc/benchmark-7Gk2pQ9xwLm4vRz"
SMSC_CALL = {"phone": "79261234567", "mes": "hello", "to": "79031234567", "id": "1"}
HINTED_TARGET = 2.0  # seconds, p95
MAX_RSS_GROWTH_MB = 1.0


@dataclass(frozen=True)
class Sizes:
    hinted: int
    unhinted: int
    flood: int
    flood_seconds: float


class Rig:
    """The bridge and the fakes, and the three ways this benchmark pokes them."""

    def __init__(self, smsc: FakeSmsc, telegram: FakeTelegram, bridge: BridgeProcess) -> None:
        self.smsc, self.telegram, self.bridge = smsc, telegram, bridge
        self.push_url = f"http://127.0.0.1:{bridge.env['PUSH_PORT']}{PATH}"
        self.metrics_url = f"http://127.0.0.1:{bridge.env['HEALTH_PORT']}/metrics"
        self.http = httpx.Client()
        self.probes = 0

    def hint(self) -> None:
        self.http.post(self.push_url, data=SMSC_CALL).raise_for_status()

    def add_sms(self) -> tuple[str, float]:
        self.probes += 1
        text = f"push probe {self.probes}"
        added = time.monotonic()
        self.smsc.add_sms(text)
        return text, added

    def delay(self, text: str, added: float, timeout: float = 90) -> float:
        """Seconds from `added` until `text` reached the fake Bot API."""
        self.telegram.wait_for(lambda: text in self.telegram.sms_texts(GROUP), timeout=timeout)
        [message] = [
            m
            for m in self.telegram.messages(GROUP)
            if is_relayed_sms(m.plain) and relayed_text(m.text) == text
        ]
        return message.at - added

    def probe(self, *, hinted: bool) -> float:
        text, added = self.add_sms()
        if hinted:
            self.hint()
        return self.delay(text, added)

    def polls(self) -> dict[str, float]:
        text = self.http.get(self.metrics_url).text
        found = re.findall(r'^sms_bridge_polls_total\{reason="([^"]+)"\} (\S+)$', text, re.M)
        return {reason: float(value) for reason, value in found}

    def rss(self) -> float:
        assert self.bridge.process is not None
        return rss_mb(self.bridge.process.pid)["VmRSS"]


def flood(rig: Rig, calls: int, seconds: float, halfway: Callable[[], None]) -> None:
    """`calls` push calls spread evenly over `seconds`; `halfway` runs at the middle one."""
    started = time.monotonic()
    for n in range(calls):
        time.sleep(max(0.0, started + n * seconds / calls - time.monotonic()))
        if n == calls // 2:
            halfway()
        rig.hint()


def start_rig(folder: Path) -> Rig:
    smsc, telegram = FakeSmsc().start(), FakeTelegram().start()
    smsc.enforce_rate_rule = True
    env = bridge_settings(
        smsc,
        telegram,
        folder / "bridge.db",
        TELEGRAM_CHAT_IDS=str(GROUP),
        SMSC_POLL_INTERVAL=f"{INTERVAL:g}",
        PUSH_PORT=str(free_port()),
        PUSH_PATH=PATH,
        HEALTH_PORT=str(free_port()),
        LOG_LEVEL="INFO",
    )
    bridge = BridgeProcess(folder, env).start()
    bridge.wait_for_log(FIRST_START_DONE)
    bridge.wait_for_log("connected to Telegram")
    bridge.wait_for_log("push endpoint on")
    return Rig(smsc, telegram, bridge)


def run(sizes: Sizes) -> list[Result]:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        rig = start_rig(Path(folder))
        try:
            rig.probe(hinted=True)  # warm-up, not counted
            hinted = []
            for _ in range(sizes.hinted):
                time.sleep(rng.uniform(3.0, 10.0))
                hinted.append(rig.probe(hinted=True))
            unhinted = []
            for _ in range(sizes.unhinted):
                time.sleep(rng.uniform(0.0, INTERVAL))
                unhinted.append(rig.probe(hinted=False))
            flooded = flood_figures(rig, sizes)
            code, _ = rig.bridge.stop(signal.SIGTERM)
            assert code == 0
            code_9 = rig.bridge.log().count("SMSC error 9")
        finally:
            rig.bridge.kill()
            rig.http.close()
            rig.smsc.stop()
            rig.telegram.stop()
    worst = most_identical_in_a_minute(rig.smsc.inbox_requests())
    return latency_results(hinted, unhinted) + flood_results(sizes, flooded, worst, code_9)


@dataclass
class Flooded:
    rss_before: float
    rss_after: float
    sms_delay: float
    polls_by_reason: dict[str, float]


def flood_figures(rig: Rig, sizes: Sizes) -> Flooded:
    flood(rig, max(sizes.flood // 10, 10), 1.0, lambda: None)  # warm-up: buffers, imports
    before_polls, rss_before = rig.polls(), rig.rss()
    added: list[tuple[str, float]] = []
    flood(rig, sizes.flood, sizes.flood_seconds, lambda: added.append(rig.add_sms()))
    sms_delay = rig.delay(*added[0])
    rss_after = rig.rss()
    polls = {reason: count - before_polls.get(reason, 0) for reason, count in rig.polls().items()}
    return Flooded(rss_before, rss_after, sms_delay, polls)


def latency_results(hinted: list[float], unhinted: list[float]) -> list[Result]:
    how = (
        f"real sms-bridge run polling every {INTERVAL:g} s (the default) against a fake SMSC "
        "enforcing its 3-identical-requests rule; SMS add -> fake Bot API sendMessage arrival; "
        f"hinted: {len(hinted)} SMS, the push endpoint called as each is added, 3-10 s after "
        f"the last delivery; unhinted: {len(unhinted)} SMS, no call, 0-30 s after it"
    )
    rows = [
        Result("push", "hinted SMS -> sendMessage p50", percentile(hinted, 0.5), "s", how=how),
        Result(
            "push",
            "hinted SMS -> sendMessage p95",
            percentile(hinted, 0.95),
            "s",
            target=f"<= {HINTED_TARGET:g} s",
            met=percentile(hinted, 0.95) <= HINTED_TARGET,
            how=how,
            extra={"max_s": max(hinted)},
        ),
    ]
    if unhinted:
        p50, p95 = percentile(unhinted, 0.5), percentile(unhinted, 0.95)
        rows += [
            Result("push", "unhinted (timer only) p50", p50, "s", how=how),
            Result(
                "push",
                "unhinted (timer only) p95",
                p95,
                "s",
                target="the baseline",
                how=how,
                extra={"max_s": max(unhinted)},
            ),
        ]
    return rows


def flood_results(sizes: Sizes, flooded: Flooded, worst: int, code_9: int) -> list[Result]:
    how = (
        f"{sizes.flood:,} push calls spread over {sizes.flood_seconds:g} s at a "
        f"{INTERVAL:g} s interval, an SMS added halfway; polls during it by reason: "
        + ", ".join(f"{reason} {count:g}" for reason, count in flooded.polls_by_reason.items())
    )
    growth = flooded.rss_after - flooded.rss_before
    bound = INTERVAL + 1
    return [
        Result(
            "push",
            "identical inbox requests in any minute (whole run)",
            worst,
            "",
            target="<= 3, no code 9",
            met=worst <= 3 and code_9 == 0,
            how=how,
            extra={"smsc_code_9_answers": code_9},
        ),
        Result(
            "push",
            "flood: bridge VmRSS growth",
            growth,
            "MB",
            target=f"<= {MAX_RSS_GROWTH_MB:g} MB",
            met=growth <= MAX_RSS_GROWTH_MB,
            how=how,
            extra={"rss_before_mb": flooded.rss_before, "rss_after_mb": flooded.rss_after},
        ),
        Result(
            "push",
            "flood: SMS added halfway -> sendMessage",
            flooded.sms_delay,
            "s",
            target=f"<= {bound:g} s (the no-hint bound)",
            met=flooded.sms_delay <= bound,
            how=how,
        ),
    ]
