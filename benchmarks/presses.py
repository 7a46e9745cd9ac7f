"""Presses under load: take buttons pressed while SMS keep arriving in the same group.

The real `sms-bridge run` relays live SMS into one group through the fake Bot API, which
enforces the group limit (20 messages a minute, 429 + retry_after) on edits as on sends.
First `count` SMS are relayed, each with its button, `gap` seconds apart (10 a minute at
6 s: live traffic a group can take); then, while `count` more SMS arrive the same way,
`count` people press those buttons at random moments: SMS and edits together then ask
for as much as the group limit allows. Measured on one monotonic clock (the fakes live
in this process):

- press -> answer: until the presser's pop-up (answerCallbackQuery) arrives;
- press -> edit: until the last message showing that SMS was edited;
- SMS delay: inbox -> sendMessage for the SMS that arrived during the presses, beside the
  same figure for SMS with nobody pressing (the first batch), to show what edits cost.
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
from tests.fakes.telegram import FakeTelegram, SentMessage

GROUP = -1001


def _arrival(telegram: FakeTelegram, text: str) -> SentMessage:
    telegram.wait_for(lambda: any(text in m.plain for m in telegram.messages(GROUP)), 120)
    return next(m for m in telegram.messages(GROUP) if text in m.plain)


def _relay(
    smsc: FakeSmsc,
    telegram: FakeTelegram,
    texts: list[str],
    rng: random.Random,
    gap: float,
    to_press: list[SentMessage] | None = None,
) -> tuple[list[SentMessage], list[float], dict[int, float]]:
    """Add SMS a second apart, pressing `to_press` between them at random moments.

    Returns the relayed messages, their delays, and when each pressed message was pressed.
    """
    added: dict[str, float] = {}
    waiting = list(to_press or [])
    pressed: dict[int, float] = {}

    def press(message: SentMessage, user: int) -> None:
        pressed[message.message_id] = time.monotonic()
        telegram.user_presses(message, user_id=user, name=f"P{user}")

    for n, text in enumerate(texts):
        added[text] = time.monotonic()
        smsc.add_sms(text)
        while waiting and rng.random() < 0.7:
            press(waiting.pop(), 2000 + n)
        time.sleep(gap)
    for message in waiting:
        press(message, 3000)
    messages = [_arrival(telegram, text) for text in texts]
    delays = [m.at - added[t] for m, t in zip(messages, texts, strict=True)]
    return messages, delays, pressed


def run(count: int, gap: float) -> list[Result]:
    rng = random.Random(7)
    smsc = FakeSmsc().start()
    telegram = FakeTelegram(group_limit=(20, 60.0)).start()
    with tempfile.TemporaryDirectory() as folder:
        env = bridge_settings(
            smsc,
            telegram,
            Path(folder) / "bridge.db",
            TELEGRAM_CHAT_IDS=str(GROUP),
            LOG_LEVEL="INFO",
        )
        bridge = BridgeProcess(Path(folder), env).start()
        try:
            bridge.wait_for_log(FIRST_START_DONE)
            first, quiet, _ = _relay(smsc, telegram, [f"first {n}" for n in range(count)], rng, gap)
            _, loaded, pressed = _relay(
                smsc, telegram, [f"load {n}" for n in range(count)], rng, gap, first
            )
            telegram.wait_for(lambda: len(telegram.edits) >= count, 300, "every edit")
            answers = [a.after for a in telegram.answers if a.after is not None]
            edited = {e.message_id: e.at for e in telegram.edits}
            edits = [edited[m] - at for m, at in pressed.items()]
            code, _ = bridge.stop(signal.SIGTERM)
            assert code == 0 and telegram.violations == [], telegram.violations
        finally:
            bridge.kill()
            smsc.stop()
            telegram.stop()
    return _results(count, gap, answers, edits, quiet, loaded)


def _results(
    count: int,
    gap: float,
    answers: list[float],
    edits: list[float],
    quiet: list[float],
    loaded: list[float],
) -> list[Result]:
    how = (
        f"real sms-bridge run, one group, fake Bot API enforcing 20 messages/min on sends and "
        f"edits; {count} SMS relayed {gap:g} s apart, then {count} presses while {count} more "
        f"SMS arrive {gap:g} s apart"
    )
    return [
        Result(
            "presses",
            "press -> answer p95",
            percentile(answers, 0.95),
            "s",
            target="<= 1 s",
            met=percentile(answers, 0.95) <= 1.0,
            how=how,
        ),
        Result("presses", "press -> edit p50", percentile(edits, 0.5), "s", how=how),
        Result("presses", "press -> edit p95", percentile(edits, 0.95), "s", how=how),
        Result("presses", "SMS delay, nobody pressing p95", percentile(quiet, 0.95), "s", how=how),
        Result("presses", "SMS delay during presses p95", percentile(loaded, 0.95), "s", how=how),
    ]
