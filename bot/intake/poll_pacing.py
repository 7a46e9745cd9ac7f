"""When the poller may ask SMSC next: on its timer, on a push hint, or to follow a hint up.

SMSC refuses a fourth *identical* inbox request within a minute (error 9, then a minute
of waiting). An idle poll repeats the same request (same cursor, same look-back), so every
poll counts against that rule; a request after a new cursor, or the overlap re-read, is
another request with a count of its own.

The timer is the bridge's promise: a poll at least every SMSC_POLL_INTERVAL, hints or no
hints. Hints may only add polls in the room the timer leaves:
- a hint never makes the bridge break SMSC's rule: a hinted poll waits for its turn;
- a hint never delays the timer: a hinted poll goes only when the timer's next polls, an
  interval apart, still fit in the rule after it. So at the default 30 s a timed poll
  never waits, and during a flood of hints an SMS arrives no later than without them.
Below about 21 s the timer alone fills the rule (SMSC_POLL_INTERVAL warns about that):
hints then add nothing, and the timer is never slowed for its own sake.

How much room is left: at 30 s an idle inbox's timer spends two of the three identical
requests a minute, a hint the third (at once, or within half a second). A follow-up of a
hint that found nothing therefore goes a few seconds later only when the cursor has just
moved on (a fresh request) or the interval is longer; on an idle inbox at 30 s it waits
for, and becomes, the timer's next poll.

All of this is pure: times are the monotonic clock's, passed in. A request is dated when it
finished (answer or failure): SMSC had counted it by then, so the time from that moment to
the start of the next request is never more than SMSC sees between the two.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

RATE_WINDOW = 60.5  # SMSC's minute, and half a second to spare
MAX_IDENTICAL = 3  # identical requests SMSC accepts within its minute
FOLLOW_UP_AFTER = 5.0  # seconds after a hinted poll that found nothing, one more poll


@dataclass(frozen=True)
class SentRequest:
    """An inbox request made earlier: when it finished, and whether a hint asked for it."""

    at: float
    hinted: bool


def _leaves_at(request: SentRequest, ahead: int, interval: float) -> float:
    """When `request` stops counting for the timed poll `ahead` intervals after a moment.

    The one expression for a window's edge: the moments tried and the test of who is
    inside agree to the last bit, so a request is never counted at the moment it leaves.
    """
    return request.at + RATE_WINDOW - ahead * interval


def _fits(sent: Sequence[SentRequest], moment: float, *, hinted: bool, interval: float) -> bool:
    """Whether a request at `moment` keeps the rule (and, if hinted, leaves the timer room)."""
    recent = [r for r in sent if moment < _leaves_at(r, 0, interval)]
    if not hinted:
        # The timer keeps its own pace; it waits only where hints took its room.
        return len(recent) < MAX_IDENTICAL or not any(r.hinted for r in recent)
    # The k-th timed poll after this one (k = 0: this request) must find fewer than
    # MAX_IDENTICAL before it: the earlier ones still in its window, this one, and k - 1 timed.
    for k in range(math.ceil(RATE_WINDOW / interval)):
        earlier = sum(1 for r in recent if moment < _leaves_at(r, k, interval))
        if earlier + k >= MAX_IDENTICAL:
            return False
    return True


def seconds_to_wait(
    sent: Sequence[SentRequest], now: float, *, hinted: bool, interval: float
) -> float:
    """How long a poll must wait for its request to keep SMSC's rule; 0 is now.

    `sent` are the identical requests made before (any order). A hinted poll may have to
    wait forever (`math.inf`) when the timer alone fills the rule: the timer then covers it.
    """
    steps = range(math.ceil(RATE_WINDOW / interval))
    moments = {now} | {_leaves_at(r, k, interval) for r in sent for k in steps}
    for moment in sorted(m for m in moments if m >= now):
        if _fits(sent, moment, hinted=hinted, interval=interval):
            return moment - now
    return math.inf


class RequestLog:
    """The inbox requests of the last minute, grouped by what makes them identical."""

    def __init__(self) -> None:
        self._sent: dict[Hashable, list[SentRequest]] = {}

    def record(self, identity: Hashable, request: SentRequest) -> None:
        self._forget_before(request.at - RATE_WINDOW)
        self._sent.setdefault(identity, []).append(request)

    def identical_to(self, identity: Hashable) -> list[SentRequest]:
        return list(self._sent.get(identity, ()))

    def all_recent(self) -> list[SentRequest]:
        """Every remembered request: pacing against them all is never less safe."""
        return [request for sent in self._sent.values() for request in sent]

    def _forget_before(self, moment: float) -> None:
        """Requests older than the window never count again: memory stays bounded."""
        for identity in list(self._sent):
            kept = [r for r in self._sent[identity] if r.at > moment]
            if kept:
                self._sent[identity] = kept
            else:
                del self._sent[identity]


class PollReason(StrEnum):
    """What started a poll (the `reason` label of sms_bridge_polls_total)."""

    TIMER = "timer"
    HINT = "hint"
    FOLLOW_UP = "follow-up"

    @property
    def hinted(self) -> bool:
        return self is not PollReason.TIMER


@dataclass(frozen=True)
class Turn:
    at: float
    reason: PollReason


class PollSchedule:
    """The poller's next turn: the timer's, a pending hint's or a follow-up's, paced.

    The timer runs from the end of the last poll, whatever started it: a hinted poll is a
    poll. Hints are coalesced by the caller into one pending flag, cleared when a poll
    starts, so a burst of hints makes one poll now and at most one after it.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._timer_at = -math.inf  # the first poll goes at once
        self._follow_up_at: float | None = None

    def next_turn(self, now: float, *, hint_pending: bool, sent: Sequence[SentRequest]) -> Turn:
        """When the next poll may start and why; `sent`: the requests it would repeat."""
        timer_at = max(now, self._timer_at)
        turns = [Turn(timer_at + self._wait(sent, timer_at, False), PollReason.TIMER)]
        if hint_pending:
            turns.append(Turn(now + self._wait(sent, now, True), PollReason.HINT))
        if self._follow_up_at is not None:
            at = max(now, self._follow_up_at)
            turns.append(Turn(at + self._wait(sent, at, True), PollReason.FOLLOW_UP))
        return min(turns, key=lambda turn: turn.at)  # on a tie, the timer's

    def polled(self, *, finished_at: float, covered_hint: bool, found_new: bool) -> None:
        """A poll ended: the timer starts again; a hint that found nothing is followed up."""
        self._timer_at = finished_at + self.interval
        follow_up = covered_hint and not found_new
        self._follow_up_at = finished_at + FOLLOW_UP_AFTER if follow_up else None

    def _wait(self, sent: Sequence[SentRequest], moment: float, hinted: bool) -> float:
        return seconds_to_wait(sent, moment, hinted=hinted, interval=self.interval)
