"""The monotonic clock a part paces itself by, and the sleeping on it: passed in.

A part that waits out a period (a chat's pace, a `retry_after`) reads the time and sleeps
through one `Clock`, so that a test can hand it a clock it drives and prove a minute's
rule without waiting a minute. The bridge itself runs on `SYSTEM_CLOCK`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds that only go forward, and a sleep measured in them."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """`time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
