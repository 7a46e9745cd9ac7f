"""Following each sent SMS with status.php until it is settled; expiring old offers.

A sent SMS is asked about after 10 s, then less and less often (SMSC allows five status
requests for one SMS a minute; this asks at most three, in the first minute only), until
SMSC says it was delivered or not, or for 24 hours. One whose answer was lost (`unknown`)
is asked about too, first after 30 s; any status but "not found" settles it like a sent
SMS. "Not found" (-3) is the one sign that SMSC never had it, and a wrong one costs a
second SMS to a real person, so it is trusted only when it is surely not SMSC still
taking the SMS in: two "not found" answers at least a minute apart, the last no sooner
than three minutes after the send. Only then does its message offer a person "Send
again", for ten minutes, like a preview. A status request that got no answer (a timeout,
a proxy's 502, SMSC's error 9) is no answer: it books the next question and changes
nothing else. A send SMSC answered is never offered again, whatever status.php says.
Nothing here ever sends. Previews and offers nobody pressed in time lose their buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.features.replies.flow import PREVIEW_LIFETIME, Replies
from bot.smsc.send_api import SendStatus, SmscNoAnswer
from state import outgoing
from state.outgoing import Outgoing, OutgoingState

log = logging.getLogger(__name__)

LOOK_EVERY = 5.0  # seconds between looks at what is due
FOLLOW_FOR = timedelta(hours=24)
# "Not found" is believed only from two answers this far apart...
NOT_FOUND_APART = timedelta(seconds=60)
# ...and no sooner than this after the send (SMSC may take an SMS in slowly, most of all
# when the network is flaky, which is when answers are lost).
NOT_FOUND_NOT_BEFORE = timedelta(minutes=3)
# Seconds to the next question after the n-th answer: soon at first, then hourly.
CHECK_STEPS = (20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
SOONEST = timedelta(seconds=CHECK_STEPS[0])  # never two questions about one SMS closer


def next_check_after(checks: int) -> timedelta:
    return timedelta(seconds=CHECK_STEPS[min(checks, len(CHECK_STEPS) - 1)])


def state_after(status: SendStatus) -> OutgoingState:
    """What a status.php answer other than "not found" makes of a send."""
    if status.final:
        return OutgoingState.DELIVERED if status.delivered else OutgoingState.UNDELIVERED
    return OutgoingState.SENT


def not_found_believed_at(out: Outgoing, now: datetime) -> datetime:
    """The first moment a "not found" answer at `now` or later could settle `out` (a send
    whose answer was lost), counting one more "not found" at `now`."""
    first = out.first_not_found_at or now
    sent = out.sent_at or out.created_at
    return max(first + NOT_FOUND_APART, sent + NOT_FOUND_NOT_BEFORE)


def surely_never_sent(out: Outgoing, now: datetime) -> bool:
    """Whether one more "not found" at `now` settles it: two at least, far enough apart,
    late enough after the send."""
    return out.not_found + 1 >= 2 and now >= not_found_believed_at(out, now)


def next_check(out: Outgoing, now: datetime) -> datetime:
    """When to ask next: the usual step, but never later than the moment "not found"
    could be believed, for a send whose answer was lost and that SMSC did not find."""
    at = now + next_check_after(out.checks)
    if out.state is OutgoingState.UNKNOWN and out.first_not_found_at is not None:
        at = min(at, max(now + SOONEST, not_found_believed_at(out, now)))
    return at


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
            await self._replies.show(expired.id, now)
        for out in await store.call(outgoing.due_checks, now):
            await self._check(out, now)

    async def _check(self, out: Outgoing, now: datetime) -> None:
        store = self._replies.store
        if out.sent_at is not None and now - out.sent_at > FOLLOW_FOR:
            await store.call(outgoing.settle, out.id, OutgoingState.UNSETTLED)
            await self._replies.show(out.id, now)
            return
        try:
            status = await self._replies.outbox.status(out.phone, out.send_id)
        except SmscNoAnswer as error:  # no answer: nothing learnt, nothing counted
            log.warning("status of SMS %d unknown for now: %s", out.id, error)
            await store.call(outgoing.book_check, out.id, next_check(out, now))
            return
        if status.never_sent:
            await self._not_found(out, now)
            return
        state = state_after(status)
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
            log.info("SMS %d: %s (status %d)", out.id, state, status.code)
            await self._replies.show(out.id, now)

    async def _not_found(self, out: Outgoing, now: datetime) -> None:
        """status.php does not find it: counted; believed only as the module says."""
        store = self._replies.store
        if out.state is OutgoingState.UNKNOWN and surely_never_sent(out, now):
            until = now + PREVIEW_LIFETIME
            await store.call(outgoing.note_not_found, out.id, now, offer_until=until)
            log.info("SMS %d: SMSC never had it; a person may send it again", out.id)
            await self._replies.show(out.id, now)
            return
        if out.state is not OutgoingState.UNKNOWN:
            # SMSC answered this send: "not found" is SMSC lagging, never a reason to offer
            # "Send again". It is followed on, and after 24 h left unsettled.
            log.warning("SMS %d: SMSC accepted it, but status.php does not find it yet", out.id)
        noted = replace(
            out, not_found=out.not_found + 1, first_not_found_at=out.first_not_found_at or now
        )
        await store.call(outgoing.note_not_found, out.id, now, next_check_at=next_check(noted, now))
