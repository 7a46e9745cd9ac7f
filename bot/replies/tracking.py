"""Following each sent SMS with status.php until it is settled; expiring old previews.

A sent SMS is asked about after 10 s, then less and less often (SMSC allows five status
requests for one SMS a minute; this asks at most three, in the first minute only), until
SMSC says it was delivered or not, or for 24 hours. One whose answer was lost (`unknown`)
is asked about too, first after 30 s: "not found" (-3) twice, a minute apart, means SMSC
never had it (once could be SMSC still taking it in), and its message then offers a person
a "Send again" button; any other status settles it like a sent SMS. A send SMSC answered
is never offered again, whatever status.php says. Nothing here ever sends.
Previews nobody sent within ten minutes lose their buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.replies.flow import Replies
from bot.smsc.outbox import SendStatus, SmscNoAnswer
from state import outgoing
from state.outgoing import Outgoing, OutgoingState

log = logging.getLogger(__name__)

LOOK_EVERY = 5.0  # seconds between looks at what is due
FOLLOW_FOR = timedelta(hours=24)
CONFIRM_NOT_FOUND_AFTER = timedelta(seconds=60)
# Seconds to the next question after the n-th: soon at first, then hourly.
CHECK_STEPS = (20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


def next_check_after(checks: int) -> timedelta:
    return timedelta(seconds=CHECK_STEPS[min(checks, len(CHECK_STEPS) - 1)])


def state_after(status: SendStatus) -> OutgoingState:
    """What a status.php answer makes of a send (sent, or one whose answer was lost)."""
    if status.never_sent:
        return OutgoingState.NOT_SENT
    if status.final:
        return OutgoingState.DELIVERED if status.delivered else OutgoingState.UNDELIVERED
    return OutgoingState.SENT


class Tracking:
    """The loop; `check_due` is one look (tests call it with their own clock)."""

    def __init__(self, replies: Replies) -> None:
        self._replies = replies

    async def run(self, show_first: Sequence[int] = ()) -> None:
        """Follow sends until cancelled; first show where `show_first` stand (sends a
        crash interrupted: their previews still say "sending")."""
        for outgoing_id in show_first:
            await self._replies.show(outgoing_id)
        while True:
            try:
                await self.check_due()
            except Exception as error:  # the loop must not end
                log.error("following sent SMS failed", exc_info=error)
            await asyncio.sleep(LOOK_EVERY)

    async def check_due(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        store = self._replies.store
        for expired in await store.call(outgoing.expire_due, now):
            await self._replies.show(expired.id)
        for out in await store.call(outgoing.due_checks, now):
            await self._check(out, now)

    async def _check(self, out: Outgoing, now: datetime) -> None:
        store = self._replies.store
        if out.sent_at is not None and now - out.sent_at > FOLLOW_FOR:
            await store.call(outgoing.settle, out.id, OutgoingState.UNSETTLED)
            await self._replies.show(out.id)
            return
        try:
            status = await self._replies.outbox.status(out.phone, out.id)
        except SmscNoAnswer as error:
            log.warning("status of SMS %d unknown for now: %s", out.id, error)
            await self._ask_again(out, now + next_check_after(out.checks))
            return
        state = state_after(status)
        if state is OutgoingState.NOT_SENT and out.state is not OutgoingState.UNKNOWN:
            # SMSC answered this send: "not found" is SMSC lagging, never a reason to offer
            # "Send again". It is followed on, and after 24 h left unsettled.
            log.warning("SMS %d: SMSC accepted it, but status.php does not find it yet", out.id)
            await self._ask_again(out, now + next_check_after(out.checks))
            return
        if state is OutgoingState.NOT_SENT and out.checks == 0:  # ask once more to be sure
            await self._ask_again(out, now + CONFIRM_NOT_FOUND_AFTER)
            return
        follow = state is OutgoingState.SENT
        await store.call(
            outgoing.settle,
            out.id,
            state,
            reason=status.meaning,
            status_code=status.code,
            checked=True,
            next_check_at=now + next_check_after(out.checks) if follow else None,
        )
        if state is not out.state:
            log.info("SMS %d to %s: %s (status %d)", out.id, out.phone, state, status.code)
            await self._replies.show(out.id)

    async def _ask_again(self, out: Outgoing, at: datetime) -> None:
        """Nothing settled: the state stays, one more question is booked."""
        await self._replies.store.call(
            outgoing.settle, out.id, out.state, checked=True, next_check_at=at
        )
