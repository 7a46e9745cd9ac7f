"""The request pacer and the poll schedule: SMSC's rule kept, the timer never delayed.

Pure: the schedule is driven here the way the poller drives it, on a simulated clock, so
thousands of hint patterns run in seconds. A request is dated when it finished; SMSC is
taken to have counted it then, and to count the next one when it starts: the least
favourable reading of when SMSC saw each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intake.poll_pacing import (
    FOLLOW_UP_AFTER,
    RATE_WINDOW,
    PollReason,
    PollSchedule,
    RequestLog,
    SentRequest,
    seconds_to_wait,
)

SMSC_MINUTE = 60.0
DEFAULT_INTERVAL = 30.0


def timed(*moments: float) -> list[SentRequest]:
    return [SentRequest(at, hinted=False) for at in moments]


def hinted(*moments: float) -> list[SentRequest]:
    return [SentRequest(at, hinted=True) for at in moments]


@dataclass
class Poll:
    start: float
    finish: float
    reason: PollReason
    identity: int
    timer_due: float  # the previous poll's end plus the interval


@dataclass
class Simulation:
    """The poller's loop on a simulated clock: hints set one pending flag, polls clear it."""

    interval: float
    hints: list[float]
    finds_new: list[bool] = field(default_factory=list)  # per poll; then nothing new
    durations: list[float] = field(default_factory=list)  # per poll; then 0.05 s
    polls: list[Poll] = field(default_factory=list)

    def run(self, until: float) -> list[Poll]:
        schedule, requests = PollSchedule(self.interval), RequestLog()
        hints = sorted(self.hints)
        now, pending, identity, timer_due = 0.0, False, 0, 0.0
        while now < until:
            turn = schedule.next_turn(
                now, hint_pending=pending, sent=requests.identical_to(identity)
            )
            if not pending and hints and hints[0] < turn.at:
                now, pending = max(now, hints.pop(0)), True
                continue
            n = len(self.polls)
            start = turn.at
            while hints and hints[0] <= start:  # came while one was pending: the same poll
                hints.pop(0)
            finish = start + (self.durations[n] if n < len(self.durations) else 0.05)
            covered, pending = pending, False
            while hints and hints[0] <= finish:  # hints during the poll: one poll after it
                hints.pop(0)
                pending = True
            requests.record(identity, SentRequest(finish, turn.reason.hinted))
            self.polls.append(Poll(start, finish, turn.reason, identity, timer_due))
            found = n < len(self.finds_new) and self.finds_new[n]
            identity += found  # a new SMS moves the cursor: the next request is another one
            schedule.polled(finished_at=finish, covered_hint=covered, found_new=found)
            now, timer_due = finish, finish + self.interval
        return self.polls


def most_identical_smsc_saw(polls: list[Poll]) -> int:
    """The most identical requests SMSC could have counted within one minute."""
    worst = 0
    for n, poll in enumerate(polls):
        earlier = [
            p for p in polls[:n] if p.identity == poll.identity and poll.start - p.finish < 60
        ]
        worst = max(worst, len(earlier) + 1)
    return worst


# -- the pacer ------------------------------------------------------------------------


def test_a_request_never_made_before_goes_at_once() -> None:
    assert seconds_to_wait([], 100.0, hinted=True, interval=DEFAULT_INTERVAL) == 0
    assert seconds_to_wait([], 100.0, hinted=False, interval=DEFAULT_INTERVAL) == 0


def test_a_fourth_identical_request_waits_until_the_first_leaves_smscs_minute() -> None:
    sent = hinted(10.0, 40.0, 41.0)
    wait = seconds_to_wait(sent, 45.0, hinted=True, interval=300)
    assert wait == pytest.approx(10.0 + RATE_WINDOW - 45.0)
    assert seconds_to_wait(sent, 45.0 + wait, hinted=True, interval=300) == 0


def test_the_timer_waits_only_where_hints_took_its_room() -> None:
    assert seconds_to_wait(timed(1, 2, 3), 4.0, hinted=False, interval=1) == 0
    wait = seconds_to_wait(timed(1, 2) + hinted(3), 4.0, hinted=False, interval=1)
    assert wait == pytest.approx(1 + RATE_WINDOW - 4.0)


def test_a_hint_waits_where_the_timers_next_polls_would_need_the_room() -> None:
    # Timed polls at 0 and 30 s: the next timed one comes at 60 s (from the last one's end).
    # A hinted poll now would make that one the fourth in SMSC's minute: it waits.
    sent = timed(0.0, 30.0)
    assert seconds_to_wait(sent, 30.2, hinted=True, interval=DEFAULT_INTERVAL) > 0
    assert seconds_to_wait(sent, 31.0, hinted=True, interval=DEFAULT_INTERVAL) == 0


def test_a_request_stops_counting_the_moment_it_leaves_smscs_minute() -> None:
    # Found by hypothesis: with times like these, floating-point rounding once kept the
    # request finished at 90.2 s "inside" at 90.7 s, and the hint waited for the timer.
    sent = timed(0.05, 30.1, 60.15, 90.2)
    wait = seconds_to_wait(sent, 90.5, hinted=True, interval=DEFAULT_INTERVAL)
    assert wait == pytest.approx(0.2)


@given(interval=st.floats(1, 20))
def test_hints_add_nothing_when_the_timer_alone_fills_smscs_rule(interval: float) -> None:
    assert seconds_to_wait([], 0.0, hinted=True, interval=interval) == math.inf


def test_the_request_log_forgets_what_can_no_longer_count() -> None:
    log = RequestLog()
    for second in range(10_000):
        log.record(second % 7, SentRequest(float(second), hinted=True))
    kept = sum(len(log.identical_to(identity)) for identity in range(7))
    assert kept <= RATE_WINDOW + 1


# -- the schedule, driven like the poller -----------------------------------------------

intervals = st.floats(21, 600)
hint_moments = st.lists(st.floats(0, 400), max_size=120)
bursts = st.tuples(st.floats(0, 350), st.integers(1, 1000), st.floats(0.1, 10)).map(
    lambda b: [b[0] + b[2] * n / b[1] for n in range(b[1])]
)
durations = st.lists(st.floats(0.001, 3), max_size=60)
outcomes = st.lists(st.booleans(), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    interval=intervals,
    hints=st.one_of(hint_moments, bursts),
    finds_new=outcomes,
    durations=durations,
)
def test_hints_never_break_smscs_rule_nor_delay_the_timer(
    interval: float, hints: list[float], finds_new: list[bool], durations: list[float]
) -> None:
    polls = Simulation(interval, hints, finds_new, durations).run(until=450)
    assert most_identical_smsc_saw(polls) <= 3
    for poll in polls[1:]:
        assert poll.start <= poll.timer_due + 1e-9, poll


@given(interval=st.floats(1, 3600), durations=durations)
def test_without_hints_the_timer_keeps_its_pace_at_any_interval(
    interval: float, durations: list[float]
) -> None:
    polls = Simulation(interval, [], durations=durations).run(until=interval * 12)
    assert {p.reason for p in polls} == {PollReason.TIMER}
    assert all(p.start == pytest.approx(p.timer_due) for p in polls[1:])


@settings(max_examples=300, deadline=None)
@given(last_sms_at=st.floats(0, 400), hint_after=st.floats(0.1, 200))
def test_a_lone_hint_at_the_default_interval_polls_within_a_second(
    last_sms_at: float, hint_after: float
) -> None:
    simulation = Simulation(DEFAULT_INTERVAL, [last_sms_at, last_sms_at + hint_after])
    simulation.finds_new = [True] * 100  # every poll moves the cursor on: a busy inbox
    polls = simulation.run(until=last_sms_at + hint_after + 1)
    hint = last_sms_at + hint_after
    served = [p for p in polls if p.start >= hint]
    assert served and served[0].start - hint <= 1.0


@settings(max_examples=200, deadline=None)
@given(start=st.floats(0, 300), spread=st.floats(0, 2), count=st.integers(2, 1000))
def test_a_burst_of_hints_makes_one_poll_now_and_at_most_one_after_it(
    start: float, spread: float, count: int
) -> None:
    burst = [start + spread * n / count for n in range(count)]
    polls = Simulation(DEFAULT_INTERVAL, burst).run(until=start + 40)
    by_hints = [p for p in polls if start <= p.start < start + 25]
    assert 1 <= len(by_hints) <= 2


def test_a_hinted_poll_that_found_nothing_is_followed_up_once() -> None:
    schedule = PollSchedule(DEFAULT_INTERVAL)
    schedule.polled(finished_at=100.0, covered_hint=True, found_new=False)
    turn = schedule.next_turn(100.0, hint_pending=False, sent=hinted(100.0))
    assert turn.reason is PollReason.FOLLOW_UP and turn.at == 100.0 + FOLLOW_UP_AFTER
    schedule.polled(finished_at=turn.at, covered_hint=False, found_new=False)
    turn = schedule.next_turn(turn.at, hint_pending=False, sent=hinted(100.0, turn.at))
    assert turn.reason is PollReason.TIMER


def test_a_hinted_poll_that_found_an_sms_needs_no_follow_up() -> None:
    schedule = PollSchedule(DEFAULT_INTERVAL)
    schedule.polled(finished_at=100.0, covered_hint=True, found_new=True)
    turn = schedule.next_turn(100.0, hint_pending=False, sent=[])
    assert turn == turn.__class__(100.0 + DEFAULT_INTERVAL, PollReason.TIMER)
