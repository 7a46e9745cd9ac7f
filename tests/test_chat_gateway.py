"""A chat's gateway on a clock the test drives: every kind of write paced together.

The gateway's Bot is a stand-in that records when each request was made (on the fake
clock) and answers as Telegram would, a 429 when told to; the gateway and its pace are
the real ones.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from telegram import Message
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.app.telegram_link import rate_limiter
from bot.relay.chat_pace import GROUP_WINDOW
from bot.relay.gateway import RETRY_AFTER_MARGIN, ChatGateway, WriteFailed
from tests.fakes.clock import FakeClock

START = 1000.0
GROUP, PRIVATE = -1001, 4040


@dataclass
class RecordingBot:
    """Answers sendMessage and editMessageText at once; `refuse` queues 429s to answer."""

    clock: FakeClock
    calls: list[tuple[float, str]] = field(default_factory=list)
    refuse: list[float] = field(default_factory=list)  # retry_after of the next answers
    takes: float = 0.2  # seconds a request takes

    async def _answer(self, what: str) -> None:
        self.calls.append((self.clock.now() - START, what))
        await self.clock.sleep(self.takes)
        if self.refuse:
            raise RetryAfter(timedelta(seconds=self.refuse.pop(0)))

    async def send_message(self, *, chat_id: int, text: str, **_: Any) -> Message:
        await self._answer(text)
        return cast(Message, object())

    async def edit_message_text(self, *, text: str, **_: Any) -> bool:
        await self._answer(text)
        return True

    def times(self, prefix: str = "") -> list[float]:
        return [at for at, what in self.calls if what.startswith(prefix)]


def gateway(chat_id: int, clock: FakeClock) -> tuple[ChatGateway, RecordingBot]:
    bot = RecordingBot(clock)
    return ChatGateway(chat_id, cast(Any, bot), clock=clock), bot


async def sends(gate: ChatGateway, name: str, count: int) -> None:
    for n in range(count):
        await gate.send_text(f"{name} {n}")


async def edits(gate: ChatGateway, count: int) -> None:
    for n in range(count):
        await gate.edit_text(n, f"edit {n}")


async def test_a_group_gets_20_writes_in_any_minute_of_every_kind() -> None:
    clock = FakeClock(START)
    gate, bot = gateway(GROUP, clock)
    await clock.run(sends(gate, "sms", 14), sends(gate, "answer", 6), edits(gate, 4))
    times = bot.times()
    assert len(times) == 24 and times[:20] == [float(n) for n in range(20)]
    assert times[20:] == [60.0, 61.0, 62.0, 63.0]  # each when a write leaves the minute
    assert GROUP_WINDOW == (20, 60.0)


async def test_a_private_chat_gets_a_write_a_second_without_a_minute_limit() -> None:
    clock = FakeClock(START)
    gate, bot = gateway(PRIVATE, clock)
    await clock.run(sends(gate, "answer", 25))
    assert bot.times() == [float(n) for n in range(25)]


async def test_a_429_holds_every_write_into_the_chat_until_retry_after_has_passed() -> None:
    clock = FakeClock(START)
    gate, bot = gateway(GROUP, clock)
    bot.refuse = [7.0]
    with pytest.raises(WriteFailed, match="retry after 7 s"):
        await clock.run(gate.send_text("sms 0"))  # the relay decides itself when to retry
    assert gate.wait_needed() == pytest.approx(7.0 + RETRY_AFTER_MARGIN)
    await clock.run(sends(gate, "sms", 1), edits(gate, 1))
    asked_again = 0.2 + 7.0 + RETRY_AFTER_MARGIN  # counted from the 429's answer
    assert bot.times() == [0.0, pytest.approx(asked_again), pytest.approx(asked_again + 1)]


async def test_an_answer_is_repeated_after_a_429_and_only_then() -> None:
    clock = FakeClock(START)
    gate, bot = gateway(PRIVATE, clock)
    bot.refuse = [3.0, 5.0]
    await clock.run(gate.send_text("answer", retry=True))
    assert bot.times() == [
        0.0,
        pytest.approx(0.2 + 3.0 + RETRY_AFTER_MARGIN),
        pytest.approx(0.4 + 8.0 + 2 * RETRY_AFTER_MARGIN),
    ]


async def test_in_a_group_edits_leave_two_thirds_of_the_minute_to_sms() -> None:
    clock = FakeClock(START)
    gate, bot = gateway(GROUP, clock)

    async def sms_later() -> None:
        await clock.sleep(10.0)
        await sends(gate, "sms", 14)

    await clock.run(edits(gate, 10), sms_later())
    assert bot.times("edit") == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 60.0, 61.0, 62.0, 63.0]
    assert bot.times("sms") == [float(n) for n in range(10, 24)]  # 6 edits + 14 SMS: 20


# -- the group limit is kept once: by the chat's pace, not by python-telegram-bot ----------


async def through_the_limiter(limiter: AIORateLimiter, chat_id: int, count: int) -> int:
    """Send `count` requests into a chat through `limiter`; how many it let through at once."""
    answered = 0

    async def request(*_: Any, **__: Any) -> bool:
        nonlocal answered
        answered += 1
        return True

    tasks = [
        asyncio.ensure_future(
            limiter.process_request(
                request, (), {}, "sendMessage", {"chat_id": chat_id}, rate_limit_args=None
            )
        )
        for _ in range(count)
    ]
    for _ in range(50):  # every request the limiter lets through is answered by then
        await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return answered


async def test_the_bots_rate_limiter_leaves_the_group_minute_to_the_chats_pace() -> None:
    assert await through_the_limiter(AIORateLimiter(), GROUP, 25) == 20  # what it would do
    assert await through_the_limiter(rate_limiter(), GROUP, 25) == 25
    assert await through_the_limiter(rate_limiter(), GROUP, 40) == 30  # 30 a second, overall
