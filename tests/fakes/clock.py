"""A clock the test drives: a minute of pacing proved in no time at all.

`FakeClock` stands in for `bot.core.timekeeping.SYSTEM_CLOCK`. Its time moves only when the
test says: `advance(seconds)` wakes, in order, every sleeper whose time has come, and lets
each run until it waits again; `run(*work)` runs coroutines to the end, moving the clock to
the next sleeper's time whenever nothing else can run. The code under test must wait only
on this clock or on other in-memory tasks: anything that waits on real I/O would look idle.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

SETTLE_ROUNDS = 50  # turns of the event loop that let every ready task reach its next wait


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), woken))
        await woken

    @property
    def next_wake(self) -> float | None:
        """When the earliest sleeper wakes; None if nobody sleeps."""
        self._forget_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    async def settle(self) -> None:
        """Let every task that can run reach its next wait (the clock stands still)."""
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds`, waking each sleeper at its own time, in order."""
        until = self._now + seconds
        await self.settle()
        while (wake := self.next_wake) is not None and wake <= until:
            self._now = wake
            while self._sleepers and self._sleepers[0][0] <= wake:
                _, _, woken = heapq.heappop(self._sleepers)
                if not woken.done():
                    woken.set_result(None)
            await self.settle()
        self._now = until
        await self.settle()

    async def run(self, *work: Coroutine[Any, Any, Any]) -> list[Any]:
        """Run `work` side by side to the end, the clock jumping over every idle stretch."""
        tasks = [asyncio.ensure_future(one) for one in work]
        await self.settle()
        while not all(task.done() for task in tasks):
            wake = self.next_wake
            if wake is None:
                for task in tasks:
                    task.cancel()
                raise AssertionError("stuck: the work waits, and nobody sleeps on the clock")
            await self.advance(wake - self._now)
        return [task.result() for task in tasks]

    def _forget_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
