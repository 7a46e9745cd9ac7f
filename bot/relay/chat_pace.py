"""How fast one Telegram chat may be written to, and whose write goes next.

Telegram takes about a message a second in a chat, at most 20 a minute in a group, and
after a 429 nothing before its `retry_after`. A `ChatPace` grants one write at a time:
`spacing` apart counted from the start of the previous write (the time a write takes is
part of the gap), within the group's minute, never before a `retry_after` has passed.
Writes queue here, where their order is decided, not inside python-telegram-bot's limiter.

Whose turn: edits (a message updated after someone took its SMS) yield to every other
write. While a relayed SMS, an answer or a notice waits, an edit earns half a turn for
each turn another write takes, so edits get at most a third of a busy chat's turns. In a
group they also never fill more than a third of the minute's 20: an edit sent in a quiet
moment must not take the room an SMS arriving a moment later needs.
"""

from __future__ import annotations

import asyncio
from collections import deque

from bot.core.timekeeping import SYSTEM_CLOCK, Clock

SEND_SPACING = 1.0  # seconds between two writes into one chat
GROUP_WINDOW = (20, 60.0)  # Telegram: messages into one group in any 60 seconds
EDIT_SHARE = 0.5  # turns an edit earns per other write while writes wait: a third at most


class _Window:
    """Start times of the writes within the last `seconds`, at most `size` of them."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._starts: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more write fits in the window."""
        while self._starts and now - self._starts[0] >= self.seconds:
            self._starts.popleft()
        if len(self._starts) < self.size:
            return 0.0
        return self._starts[0] + self.seconds - now

    def add(self, at: float) -> None:
        self._starts.append(at)


class ChatPace:
    """The turns of one chat's writes."""

    def __init__(
        self,
        spacing: float,
        group_window: tuple[int, float] | None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._spacing = spacing
        self._clock = clock
        self._blocked_until = 0.0  # monotonic time before which nothing is written
        self._writes = _Window(*group_window) if group_window else None
        size, seconds = group_window or (3, 0.0)
        self._edits = _Window(max(1, size // 3), seconds) if group_window else None
        self._changed = asyncio.Condition()
        self._busy = False  # a writer holds the turn
        self._writes_waiting = 0  # writes other than edits, waiting for the turn
        self._edits_waiting = 0
        self._edit_credit = 0.0

    def wait_needed(self) -> float:
        """Seconds until the chat may get a write (spacing, the group's minute, retry_after).

        The relay waits this out, stop-aware, before it marks an SMS as being sent, so that
        a long `retry_after` is not spent with the SMS recorded as "handed to Telegram".
        """
        now = self._clock.now()
        wait = self._blocked_until - now
        if self._writes is not None:
            wait = max(wait, self._writes.wait(now))
        return max(0.0, wait)

    def block(self, seconds: float) -> None:
        """No write for `seconds` from now (a `retry_after`, or the spacing)."""
        self._blocked_until = max(self._blocked_until, self._clock.now() + seconds)

    async def take_turn(self, *, edit: bool) -> None:
        """Wait until this chat may get the next write, and claim it."""
        while edit and self._edits is not None:  # not holding the turn: others go meanwhile
            if (delay := self._edits.wait(self._clock.now())) <= 0:
                break
            await self._clock.sleep(delay)
        async with self._changed:
            self._count_waiting(edit, +1)
            try:
                await self._changed.wait_for(lambda: self._may_go(edit))
            finally:
                self._count_waiting(edit, -1)
            self._granted(edit)
        try:
            while (delay := self.wait_needed()) > 0:
                await self._clock.sleep(delay)
            self._claim(edit)
        finally:
            async with self._changed:
                self._busy = False
                self._changed.notify_all()

    def _count_waiting(self, edit: bool, change: int) -> None:
        if edit:
            self._edits_waiting += change
        else:
            self._writes_waiting += change

    def _may_go(self, edit: bool) -> bool:
        if self._busy:
            return False
        return not edit or self._writes_waiting == 0 or self._edit_credit >= 1

    def _granted(self, edit: bool) -> None:
        """Account for a turn: edits earn credit only while they wait behind other writes."""
        self._busy = True
        if not edit and self._edits_waiting:
            self._edit_credit = min(1.0, self._edit_credit + EDIT_SHARE)
        elif edit and self._writes_waiting:
            self._edit_credit -= 1

    def _claim(self, edit: bool) -> None:
        now = self._clock.now()
        self.block(self._spacing)
        if self._writes is not None:
            self._writes.add(now)
        if edit and self._edits is not None:
            self._edits.add(now)
